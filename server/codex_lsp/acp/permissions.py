"""Approvals as ``session/request_permission``: allow once, allow always (for this session),
reject once, reject always (a deny rule for a command; for a patch or an MCP tool, refused unasked
for the rest of the session). A ``cancelled`` outcome stops the turn (the client sends it after
``session/cancel``); a client that fails, or does not answer within the limit, is taken as a
rejection. When the turn is cancelled first, the request is abandoned with it (the client, having
sent ``session/cancel``, answers it ``cancelled`` itself)."""

from __future__ import annotations

import asyncio
import logging

from acp import RequestError
from acp.agent.connection import AgentSideConnection
from acp.schema import AllowedOutcome, PermissionOption, ToolCallUpdate
from pydantic import ValidationError

from codex_lsp.acp.session import Session
from codex_lsp.protocol.events import ApplyPatchApprovalRequestEvent, ExecApprovalRequestEvent
from codex_lsp.protocol.policies import ReviewDecision

log = logging.getLogger(__name__)

ANSWER_TIMEOUT_S = 15 * 60
OPTIONS = (
    ("allow_once", "Allow", "allow_once", ReviewDecision.APPROVED),
    (
        "allow_always",
        "Always allow in this session",
        "allow_always",
        ReviewDecision.APPROVED_FOR_SESSION,
    ),
    ("reject_once", "Reject", "reject_once", ReviewDecision.DENIED),
    ("reject_always", "Always reject", "reject_always", ReviewDecision.DENIED_ALWAYS),
)
DECISIONS = {option_id: decision for option_id, _, _, decision in OPTIONS}


def options() -> list[PermissionOption]:
    """The four choices, every one with its kind (clients show them by kind)."""
    return [
        PermissionOption(option_id=option_id, name=name, kind=kind)
        for option_id, name, kind, _ in OPTIONS
    ]


async def ask(
    conn: AgentSideConnection,
    session: Session,
    request: ExecApprovalRequestEvent | ApplyPatchApprovalRequestEvent,
) -> ReviewDecision:
    """Ask the client; the answer as a core decision (a rejection also ends the tool call)."""
    tool_call = ToolCallUpdate.model_validate(session.renderer.permission_call(request))
    try:
        response = await asyncio.wait_for(
            conn.request_permission(
                session_id=session.session_id, tool_call=tool_call, options=options()
            ),
            ANSWER_TIMEOUT_S,
        )
    except TimeoutError:
        log.warning("permission request unanswered after %ss: rejected", ANSWER_TIMEOUT_S)
        decision = ReviewDecision.DENIED
    except (RequestError, ConnectionError, ValidationError) as exc:
        log.warning("permission request failed (%s): rejected", exc)
        decision = ReviewDecision.DENIED
    else:
        outcome = response.outcome
        if isinstance(outcome, AllowedOutcome):
            decision = DECISIONS.get(outcome.option_id, ReviewDecision.DENIED)
        else:
            decision = ReviewDecision.ABORT
    for update in session.renderer.denied(request.call_id, decision):
        session.update(update)
    return decision
