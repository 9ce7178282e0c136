"""``update_plan``: the model keeps a checklist the user sees live."""

from __future__ import annotations

from pydantic import BaseModel, Field

from codex_lsp.protocol.events import ItemCompletedEvent, ItemStartedEvent, PlanUpdateEvent
from codex_lsp.protocol.items import PlanItem, PlanStatus, PlanUpdateItem
from codex_lsp.providers.base import FunctionToolSpec
from codex_lsp.tools.registry import (
    ToolInvocation,
    ToolInvocationError,
    ToolOutput,
    ToolSession,
    parse_arguments,
)


class _PlanStep(BaseModel):
    step: str = Field(min_length=1)
    status: PlanStatus


class UpdatePlanArgs(BaseModel):
    """Arguments of ``update_plan``."""

    explanation: str | None = None
    plan: list[_PlanStep]


SPEC = FunctionToolSpec(
    name="update_plan",
    description=(
        "Updates the task plan. Provide an optional explanation and a list of plan items, each "
        "with a step and status. At most one step can be in_progress at a time."
    ),
    parameters={
        "type": "object",
        "properties": {
            "explanation": {"type": "string"},
            "plan": {
                "type": "array",
                "description": "The list of steps",
                "items": {
                    "type": "object",
                    "properties": {
                        "step": {"type": "string"},
                        "status": {
                            "type": "string",
                            "enum": ["pending", "in_progress", "completed"],
                        },
                    },
                    "required": ["step", "status"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["plan"],
        "additionalProperties": False,
    },
)


async def handle_update_plan(session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
    """Validate the plan, show it to the user, and acknowledge."""
    args = parse_arguments(UpdatePlanArgs, invocation)
    if sum(1 for s in args.plan if s.status is PlanStatus.IN_PROGRESS) > 1:
        raise ToolInvocationError("update_plan: at most one step can be in_progress at a time")
    plan = [PlanItem(step=s.step, status=s.status) for s in args.plan]
    item_id = session.new_item_id()
    item = PlanUpdateItem(id=item_id, explanation=args.explanation, plan=plan)
    session.emit(ItemStartedEvent(turn_id=session.turn_id, item=item))
    session.emit(
        PlanUpdateEvent(
            turn_id=session.turn_id, item_id=item_id, explanation=args.explanation, plan=plan
        )
    )
    session.emit(ItemCompletedEvent(turn_id=session.turn_id, item=item))
    return ToolOutput("Plan updated")
