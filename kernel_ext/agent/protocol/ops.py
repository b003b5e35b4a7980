"""Submissions: what a front end sends to a session (spec §1.1).

`Submission{id, op}`; `Op` is a union tagged by `type`. Approval decisions carry the
`call_id` of the request they answer in `id`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .policy import AskForApproval, ReasoningEffort, ReasoningSummary, ReviewDecision, SandboxPolicy


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextInput(_Op):
    type: Literal["text"] = "text"
    text: str


class ImageInput(_Op):
    type: Literal["image"] = "image"
    image_url: str


class LocalImageInput(_Op):
    type: Literal["local_image"] = "local_image"
    path: str


UserInput = Annotated[Union[TextInput, ImageInput, LocalImageInput], Field(discriminator="type")]


class UserInputOp(_Op):
    """Start a task, or, while one runs, queue the items into it as pending input."""

    type: Literal["user_input"] = "user_input"
    items: list[UserInput]


class TurnOverrides(_Op):
    """Per-turn settings; a field left unset keeps the session's current value."""

    cwd: str | None = None
    approval_policy: AskForApproval | None = None
    sandbox_policy: SandboxPolicy | None = None
    model: str | None = None
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary | None = None


class UserTurn(TurnOverrides):
    """Like user_input, with settings for this turn only (`override_turn_context` changes
    the defaults of later turns); text that joins a running turn keeps that turn's settings."""

    type: Literal["user_turn"] = "user_turn"
    items: list[UserInput]
    final_output_json_schema: dict[str, Any] | None = None


class OverrideTurnContext(TurnOverrides):
    """Change the defaults for later turns without starting one."""

    type: Literal["override_turn_context"] = "override_turn_context"


class Interrupt(_Op):
    type: Literal["interrupt"] = "interrupt"


class Approval(_Op):
    """The user's answer to an approval request (`exec_approval_request` or
    `apply_patch_approval_request`: core resolves both the same way)."""

    type: Literal["approval"] = "approval"
    call_id: str
    """The `call_id` of the request being answered."""
    decision: ReviewDecision


class AddToHistory(_Op):
    type: Literal["add_to_history"] = "add_to_history"
    text: str


class Compact(_Op):
    type: Literal["compact"] = "compact"


class Undo(_Op):
    type: Literal["undo"] = "undo"


class Shutdown(_Op):
    type: Literal["shutdown"] = "shutdown"


Op = Annotated[
    Union[
        UserInputOp,
        UserTurn,
        OverrideTurnContext,
        Interrupt,
        Approval,
        AddToHistory,
        Compact,
        Undo,
        Shutdown,
    ],
    Field(discriminator="type"),
]


class Submission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    op: Op


op_adapter: TypeAdapter[Op] = TypeAdapter(Op)


def text_turn(text: str, **overrides: Any) -> UserTurn:
    """A user turn holding one text item."""
    return UserTurn(items=[TextInput(text=text)], **overrides)
