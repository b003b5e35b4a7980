"""The session is a `TurnHost`: the turn loop and compaction reach it only through the
members the Protocol names, so each must exist on a real session with the type named."""

from __future__ import annotations

import typing

from agent.core.turn_host import TurnHost

from .conftest import make_session


def test_a_session_provides_every_turn_host_member(config, client):
    session = make_session(config, client)
    members = {name: typing.get_type_hints(getattr(TurnHost, name).fget)["return"]
               for name, value in vars(TurnHost).items() if isinstance(value, property)}
    assert set(members) == {"client", "fanout", "conversation", "accounting", "prompts", "tool_runner", "retry_policy"}
    for name, kind in members.items():
        if name != "client":  # a Protocol: any model client will do
            assert isinstance(getattr(session, name), kind), name
    assert session.client is client
