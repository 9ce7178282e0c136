"""``update_plan``: the model keeps a checklist the user sees live.

The tool's arguments are Codex's (the model's contract: ``in_progress``); the plan the clients
see follows the protocol's spelling (``inProgress``), mapped here at the boundary.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from codex_lsp.protocol.events import ItemCompletedEvent, ItemStartedEvent, PlanUpdateEvent
from codex_lsp.protocol.items import PlanItem, PlanStatus, PlanUpdateItem
from codex_lsp.tools.registry import (
    ToolArgs,
    ToolInvocation,
    ToolInvocationError,
    ToolOutput,
    ToolSession,
    parse_arguments,
)

_MODEL_STATUS = {
    "pending": PlanStatus.PENDING,
    "in_progress": PlanStatus.IN_PROGRESS,
    "completed": PlanStatus.COMPLETED,
}


class _PlanStep(ToolArgs):
    step: str = Field(min_length=1)
    status: Literal["pending", "in_progress", "completed"]


class UpdatePlanArgs(ToolArgs):
    """Arguments of ``update_plan``."""

    explanation: str | None = None
    plan: list[_PlanStep]


async def handle_update_plan(session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
    """Validate the plan, show it to the user, and acknowledge."""
    args = parse_arguments(UpdatePlanArgs, invocation)
    if sum(1 for s in args.plan if s.status == "in_progress") > 1:
        raise ToolInvocationError("update_plan: at most one step can be in_progress at a time")
    plan = [PlanItem(step=s.step, status=_MODEL_STATUS[s.status]) for s in args.plan]
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
