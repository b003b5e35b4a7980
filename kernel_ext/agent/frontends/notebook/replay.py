"""A resumed or forked session's earlier conversation, as a transcript.

`%agent resume` / `fork` print it as Markdown; the side panel shows it as its first
segment. Recorded payloads this version can't read are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.core.api import Session

    from ..transcript.reducer import Transcript


def recorded_transcript(session: Session, *, header: bool) -> Transcript:
    """The session's recorded messages and startup warnings, reduced; with `header`, after
    its session line (model, sandbox, id)."""
    from agent.protocol.events import Event

    from ..transcript.reducer import Transcript

    transcript = Transcript()
    if header:
        transcript.apply(session.configured)
    for payload in getattr(session.configured.msg, "initial_messages", None) or []:
        try:
            transcript.apply(Event(id="replay", msg=payload))
        except ValueError:
            continue
    return transcript
