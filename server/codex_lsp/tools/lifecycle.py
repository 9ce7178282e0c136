"""One tool call's life as the user sees it, written once for ``shell``, ``apply_patch`` and MCP
tools: the approval ask, with the answers that outlive it ("approved for this session", "always"),
and the item, started with the tool's begin event and completed after its end event. Whether to
ask at all is :func:`codex_lsp.exec.safety.decide_approval`'s call; this module only carries it
out."""

from __future__ import annotations

from collections.abc import Callable

from codex_lsp.exec.safety import Ask, Run
from codex_lsp.protocol.answers import ApprovalResult
from codex_lsp.protocol.events import (
    ApplyPatchApprovalRequestEvent,
    EventMsg,
    ExecApprovalRequestEvent,
    ExecCommandBeginEvent,
    ExecCommandEndEvent,
    ItemCompletedEvent,
    ItemStartedEvent,
    McpToolCallBeginEvent,
    McpToolCallEndEvent,
    PatchApplyBeginEvent,
    PatchApplyEndEvent,
)
from codex_lsp.protocol.items import CommandExecutionItem, FileChangeItem, McpToolCallItem
from codex_lsp.protocol.policies import ReviewDecision
from codex_lsp.tools.registry import (
    REJECTED_FOR_GOOD,
    ToolInvocation,
    ToolOutput,
    ToolSession,
    TurnAbortRequested,
)

ToolItem = CommandExecutionItem | FileChangeItem | McpToolCallItem
BeginEvent = ExecCommandBeginEvent | PatchApplyBeginEvent | McpToolCallBeginEvent
EndEvent = ExecCommandEndEvent | PatchApplyEndEvent | McpToolCallEndEvent


class ToolCallLife:
    """The approvals and items of one call. ``key`` names what an approval for the session
    covers (the argv, the patched files, the MCP tool)."""

    def __init__(self, session: ToolSession, key: tuple[str, ...]) -> None:
        self.session = session
        self.key = key
        self._emit: Callable[[EventMsg], None] = session.emit

    def emit(self, msg: EventMsg) -> None:
        """An event of this call's item, to wherever its events go now."""
        self._emit(msg)

    def detach(self, emit: Callable[[EventMsg], None]) -> None:
        """The call has returned but its item lives on (a terminal still running): its later
        events (output, end) go to ``emit``, not to the turn that made the call."""
        self._emit = emit

    @property
    def approved_for_session(self) -> bool:
        """The user already approved ``key`` for the rest of the conversation."""
        return self.key in self.session.approved_for_session

    async def ask(
        self,
        request: ExecApprovalRequestEvent | ApplyPatchApprovalRequestEvent,
        denied: str,
        remember_always: Callable[[], None] | None = None,
        remember_deny: Callable[[], None] | None = None,
    ) -> ApprovalResult | ToolOutput:
        """Ask the user. Approved: their answer (with the hunks of a patch they rejected),
        remembered for the conversation under ``key`` when they say so, or for good through
        ``remember_always`` when the tool can. Denied: ``denied``, for the model; for good with
        ``deniedAlways`` (through ``remember_deny`` when the tool can, else under ``key`` for
        the rest of the conversation). Abort: the turn ends (:class:`TurnAbortRequested`)."""
        if isinstance(request, ApplyPatchApprovalRequestEvent):
            answer = await self.session.request_patch_approval(request)
        else:
            answer = ApprovalResult(decision=await self.session.request_exec_approval(request))
        decision = answer.decision
        if decision is ReviewDecision.ABORT:
            raise TurnAbortRequested("the user aborted the turn at an approval request")
        if decision is ReviewDecision.DENIED_ALWAYS:
            if remember_deny is not None:
                remember_deny()
            else:
                self.session.denied_for_session.add(self.key)
            return ToolOutput(denied, success=False)
        if decision is ReviewDecision.DENIED:
            return ToolOutput(denied, success=False)
        if decision is ReviewDecision.APPROVED_ALWAYS and remember_always is not None:
            remember_always()
        elif decision in (ReviewDecision.APPROVED_FOR_SESSION, ReviewDecision.APPROVED_ALWAYS):
            self.session.approved_for_session.add(self.key)
        return answer

    async def ask_unless_run(
        self,
        decision: Run | Ask,
        invocation: ToolInvocation,
        item_id: str,
        command: list[str],
        denied: str,
    ) -> ToolOutput | None:
        """A tool call that is not a command (an MCP or a web tool): ``None`` when
        ``decision`` lets it run or the user approves, else what the model is told (also when
        the user rejected ``key`` for the conversation already). The user sees ``command``."""
        if isinstance(decision, Run):
            return None
        if self.key in self.session.denied_for_session:
            return ToolOutput(f"{invocation.name}: {REJECTED_FOR_GOOD}", success=False)
        request = ExecApprovalRequestEvent(
            turn_id=self.session.turn_id,
            item_id=item_id,
            call_id=invocation.call_id,
            command=command,
            cwd=str(self.session.cwd),
            reason=decision.reason,
        )
        answer = await self.ask(request, denied)
        return answer if isinstance(answer, ToolOutput) else None

    def start(self, item: ToolItem, begin: BeginEvent) -> None:
        """The item starts (``itemStarted`` with its initial state), then the tool's begin
        event."""
        self._emit(ItemStartedEvent(turn_id=self.session.turn_id, item=item))
        self._emit(begin)

    def finish(self, end: EndEvent, done: ToolItem) -> None:
        """The tool's end event, then ``itemCompleted`` with the item's final state ``done``."""
        self._emit(end)
        self._emit(ItemCompletedEvent(turn_id=self.session.turn_id, item=done))
