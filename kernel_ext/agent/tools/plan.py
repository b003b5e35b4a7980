"""`update_plan`: the model keeps a visible checklist (spec §4.2). Emits `plan_update`."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from agent.protocol.events import PlanUpdate

from .base import ToolCall, ToolContext, ToolResult, function_spec
from .errors import RespondToModel

DESCRIPTION = (
    "Updates the task plan shown to the user.\n"
    "Provide an optional explanation and a list of plan items, each with a step and a status.\n"
    "At most one step can be in_progress at a time."
)


class UpdatePlanTool:
    name = "update_plan"
    supports_parallel = False
    quiet = True
    """It reports itself through `plan_update`; no generic tool-call events."""

    def spec(self) -> dict[str, Any]:
        item = {
            "type": "object",
            "properties": {
                "step": {"type": "string"},
                "status": {"type": "string", "description": "One of: pending, in_progress, completed"},
            },
            "required": ["step", "status"],
            "additionalProperties": False,
        }
        props = {"explanation": {"type": "string"}, "plan": {"type": "array", "items": item}}
        return function_spec(self.name, DESCRIPTION, props, ["plan"])

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = call.json_arguments()
        try:
            update = PlanUpdate.model_validate({"type": "plan_update", **args})
        except ValidationError as err:
            raise RespondToModel(f"failed to parse function arguments: {_first_error(err)}") from None
        if sum(item.status == "in_progress" for item in update.plan) > 1:
            raise RespondToModel("at most one plan step can be in_progress at a time")
        await ctx.emit(update)
        return ToolResult("Plan updated")


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]
