"""Asks the editor's user to approve a command or a patch.

Clients that declare ``experimental.codex.approvals: true`` get a ``codex/execApproval`` /
``codex/patchApproval`` request; those that declare ``"commands"`` answer the approval events with
the ``codex-lsp.approve`` / ``codex-lsp.deny`` commands, naming the request by its ``callId`` (as
Codex's ``ExecApproval { id, decision }`` does); any other client gets
``window/showMessageRequest`` with the same choices, so a plain LSP client can approve. A command
without a ``callId`` (a keybinding) answers the only pending request, never a guess among several.

A request the turn stops waiting for (an interrupt, an answer by command, the timeout) is
withdrawn with ``$/cancelRequest`` so the editor closes its dialog; a request the client answers
with a JSON-RPC error counts as denied.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import uuid
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pydantic import Field, ValidationError
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from codex_lsp.background import create_task
from codex_lsp.core.seams import ApprovalRequest
from codex_lsp.errors import ProtocolError
from codex_lsp.lsp.wire import CodexProtocol
from codex_lsp.protocol.base import WireModel
from codex_lsp.protocol.events import ExecApprovalRequestEvent
from codex_lsp.protocol.method_names import EXEC_APPROVAL, PATCH_APPROVAL
from codex_lsp.protocol.policies import ReviewDecision
from codex_lsp.protocol.requests import ApprovalResult, ExecApprovalParams, PatchApprovalParams

log = logging.getLogger(__name__)

APPROVAL_TIMEOUT_S = 15 * 60
CHOICES: tuple[tuple[str, ReviewDecision], ...] = (
    ("Approve", ReviewDecision.APPROVED),
    ("Approve for this session", ReviewDecision.APPROVED_FOR_SESSION),
    ("Always allow this command", ReviewDecision.APPROVED_ALWAYS),
    ("Deny", ReviewDecision.DENIED),
    ("Abort turn", ReviewDecision.ABORT),
)


class ApprovalTarget(WireModel):
    """Which pending request a ``codex-lsp.deny`` answers: the ``callId`` of its
    ``execApprovalRequest`` / ``applyPatchApprovalRequest`` event; when two conversations wait
    on the same callId, the ``conversationId``; and optionally the event's ``itemId``, made by
    the server, so that a provider that reuses call ids cannot turn a late answer to a withdrawn
    request into an answer to a new one."""

    call_id: str = Field(min_length=1)
    conversation_id: str | None = None
    item_id: str | None = None


class ApprovalAnswer(ApprovalTarget):
    """A ``codex-lsp.approve`` by id: Codex's ``ExecApproval { id, decision }``, plus the hunks
    rejected in a patch review."""

    decision: ReviewDecision = ReviewDecision.APPROVED
    rejected_hunks: dict[str, list[int]] = Field(default_factory=dict)


@dataclass
class PendingApproval:
    """An approval request waiting for the user."""

    conversation_id: str
    request: ApprovalRequest
    answer: asyncio.Future[ApprovalResult]

    def __str__(self) -> str:
        """How an error message names it: its callId and conversation."""
        return f"{self.request.call_id} (conversation {self.conversation_id})"


class ClientApprover:
    """The approval handler the LSP front end gives the core. A pending request can also be
    answered by the ``codex-lsp.approve`` / ``codex-lsp.deny`` commands (a keybinding)."""

    def __init__(self, server: LanguageServer) -> None:
        self._server = server
        protocol = server.protocol
        assert isinstance(protocol, CodexProtocol)
        self._protocol = protocol
        self.mode: str | None = None
        self.pending: list[PendingApproval] = []

    async def __call__(self, conversation_id: str, request: ApprovalRequest) -> ApprovalResult:
        """Ask, wait (with a timeout) for the client's answer or a command, and map the
        answer; no answer means denied."""
        pending = PendingApproval(
            conversation_id, request, asyncio.get_running_loop().create_future()
        )
        self.pending.append(pending)
        asking = create_task(
            self._ask(conversation_id, request), name=f"approval-{request.call_id}"
        )
        try:
            done, _ = await asyncio.wait(
                {asking, pending.answer},
                timeout=APPROVAL_TIMEOUT_S,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if pending.answer in done:
                return pending.answer.result()
            if asking in done:
                return asking.result()
            log.warning(
                "approval request timed out after %ss; treating it as denied", APPROVAL_TIMEOUT_S
            )
            return ApprovalResult(decision=ReviewDecision.DENIED)
        finally:
            asking.cancel()
            self.pending.remove(pending)

    def answer(self, result: ApprovalResult, target: ApprovalTarget) -> None:
        """Answer the pending request ``target`` names. A ProtocolError naming the pending
        call ids when it names none (a stale id must never answer the next request instead),
        or requests of several conversations."""
        waiting = self._waiting()
        chosen = [p for p in waiting if _names(target, p)]
        if chosen and len({p.conversation_id for p in chosen}) == 1:
            chosen[0].answer.set_result(result)
            return
        raise ProtocolError(_not_named(waiting, chosen, target))

    def answer_only(self, result: ApprovalResult, conversation_id: str | None) -> None:
        """A keybinding's answer, which names no request: the only pending one (of
        ``conversation_id`` when given). A ProtocolError naming the pending call ids when none
        or several are pending."""
        waiting = self._waiting()
        chosen = [p for p in waiting if conversation_id in (None, p.conversation_id)]
        if len(chosen) == 1:
            chosen[0].answer.set_result(result)
            return
        raise ProtocolError(_not_only(waiting, chosen, conversation_id))

    def _waiting(self) -> list[PendingApproval]:
        return [p for p in self.pending if not p.answer.done()]

    async def _ask(self, conversation_id: str, request: ApprovalRequest) -> ApprovalResult:
        if self.mode == "commands":  # the client answers with codex-lsp.approve / deny
            never: asyncio.Future[ApprovalResult] = asyncio.get_running_loop().create_future()
            return await never
        if self.mode == "requests":
            return await self._ask_custom(conversation_id, request)
        return await self._ask_message(request)

    async def _ask_custom(self, conversation_id: str, request: ApprovalRequest) -> ApprovalResult:
        params: ExecApprovalParams | PatchApprovalParams
        if isinstance(request, ExecApprovalRequestEvent):
            method = EXEC_APPROVAL
            params = ExecApprovalParams(
                conversation_id=conversation_id, **request.model_dump(exclude={"type"})
            )
        else:
            method = PATCH_APPROVAL
            params = PatchApprovalParams(
                conversation_id=conversation_id, **request.model_dump(exclude={"type"})
            )
        answer = await self._request(method, params.to_wire())
        if answer is None:
            return ApprovalResult(decision=ReviewDecision.DENIED)
        try:
            return ApprovalResult.model_validate(answer)
        except ValidationError:
            log.warning("client answered %s with %r; treating it as denied", method, answer)
            return ApprovalResult(decision=ReviewDecision.DENIED)

    async def _ask_message(self, request: ApprovalRequest) -> ApprovalResult:
        if isinstance(request, ExecApprovalRequestEvent):
            text = f"codex-lsp wants to run `{shlex.join(request.command)}` in {request.cwd}"
        else:
            text = f"codex-lsp wants to change {len(request.changes)} file(s): " + ", ".join(
                sorted(request.changes)
            )
        if request.reason:
            text += f"\nReason: {request.reason}"
        choices = [
            c
            for c in CHOICES
            if c[1] is not ReviewDecision.APPROVED_ALWAYS
            or isinstance(request, ExecApprovalRequestEvent)
        ]
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Warning,
            message=text,
            actions=[types.MessageActionItem(title=title) for title, _ in choices],
        )
        answer = await self._request(types.WINDOW_SHOW_MESSAGE_REQUEST, params)
        title = getattr(answer, "title", None)
        return ApprovalResult(
            decision=next((d for t, d in CHOICES if t == title), ReviewDecision.DENIED)
        )

    async def _request(self, method: str, params: Any) -> Any:
        return await ask_client(self._protocol, method, params)


async def ask_client(protocol: CodexProtocol, method: str, params: Any) -> Any:
    """Send one request that waits for the user and return the answer; None when the client
    answered with an error. Withdrawn (``$/cancelRequest``) when the wait is cancelled, so the
    editor closes its dialog."""
    msg_id = f"codex-ask-{uuid.uuid4().hex}"
    try:
        return await protocol.send_request_async(method, params, msg_id=msg_id)
    except asyncio.CancelledError:
        protocol.cancel_request(msg_id)
        raise
    except JsonRpcException as exc:
        log.warning("the client answered %s with an error (%s)", method, exc.message)
        return None


def _names(target: ApprovalTarget, pending: PendingApproval) -> bool:
    """Does ``target`` name ``pending``? (The fields it leaves out match anything.)"""
    request = pending.request
    return (
        target.call_id == request.call_id
        and target.conversation_id in (None, pending.conversation_id)
        and target.item_id in (None, request.item_id)
    )


def _not_named(
    waiting: list[PendingApproval], chosen: list[PendingApproval], target: ApprovalTarget
) -> str:
    """Why ``target`` names no single pending request, and the ones that are pending."""
    if chosen:
        return (
            f"callId {target.call_id!r} is pending in {len(chosen)} conversations "
            f"({_listing(chosen)}): name the conversationId too"
        )
    asked = f"callId {target.call_id!r}"
    if target.item_id is not None:
        asked += f" and itemId {target.item_id!r}"
    if not waiting:
        stale = "it was answered, withdrawn, or never asked"
        return f"no approval request with {asked} is pending ({stale})"
    where = f" in conversation {target.conversation_id}" if target.conversation_id else ""
    return f"no approval request with {asked} is pending{where}; pending: {_listing(waiting)}"


def _not_only(
    waiting: list[PendingApproval], chosen: list[PendingApproval], conversation_id: str | None
) -> str:
    """Why a keybinding's answer is refused: none or several requests are pending."""
    if chosen:
        return (
            f"{len(chosen)} approval requests are pending ({_listing(chosen)}): name the one to "
            f'answer by its callId, e.g. {{"callId": "{chosen[0].request.call_id}"}}'
        )
    if not waiting or conversation_id is None:
        return "no approval request is pending"
    return (
        f"no approval request is pending in conversation {conversation_id}; "
        f"pending: {_listing(waiting)}"
    )


def _listing(pending: list[PendingApproval]) -> str:
    return ", ".join(str(p) for p in pending)
