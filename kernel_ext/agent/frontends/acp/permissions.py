"""Approval requests -> `session/request_permission`; the client's answer -> our decision.

    decision = await ask_permission(client, session_id, request, tool_call)

Options: allow once (`approved`), allow always (`approved_for_session`, commands only: a
patch is approved one at a time, as in every front end) and reject once (`denied`: the
model is told). A client that answers `cancelled` (the prompt was cancelled) or an
option we did not offer, or that fails to answer, aborts the turn or denies: nothing
runs that the user did not pick.
"""

from __future__ import annotations

import logging
from typing import Any

from acp import RequestError
from acp.schema import AllowedOutcome, PermissionOption

from agent.protocol import events as ev
from agent.protocol.policy import ReviewDecision

log = logging.getLogger(__name__)

ALLOW_ONCE = PermissionOption(option_id="approved", name="Allow", kind="allow_once")
ALLOW_ALWAYS = PermissionOption(option_id="approved_for_session", name="Allow for this session", kind="allow_always")
REJECT_ONCE = PermissionOption(option_id="denied", name="Reject", kind="reject_once")


def options_for(request: ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest) -> list[PermissionOption]:
    if isinstance(request, ev.ExecApprovalRequest):
        return [ALLOW_ONCE, ALLOW_ALWAYS, REJECT_ONCE]
    return [ALLOW_ONCE, REJECT_ONCE]


async def ask_permission(client: Any, session_id: str, request: ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest,
                         tool_call: Any) -> ReviewDecision:
    """Ask the client; the decision to send to the session."""
    options = options_for(request)
    try:
        response = await client.request_permission(session_id=session_id, tool_call=tool_call, options=options)
    except (RequestError, ConnectionError) as err:
        log.warning("the client did not answer a permission request (%s): the turn is stopped", err)
        return "abort"
    outcome = response.outcome
    if not isinstance(outcome, AllowedOutcome):
        return "abort"
    offered = {option.option_id for option in options}
    if outcome.option_id not in offered:
        log.warning("the client picked an option that was not offered (%r): denied", outcome.option_id)
        return "denied"
    return outcome.option_id  # type: ignore[return-value]  # the ids are our decisions
