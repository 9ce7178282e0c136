"""A conversation: consumes Ops from a queue and emits Events to a sink.

Ops are handled in order by one submission loop; turns run as separate tasks so the loop stays
responsive: an interrupt cancels the running turn at once, and input sent during a turn is
queued and given to the model at its next step (steering), never lost: when the user interrupts
the turn, what they queued for it is handed back to them in ``turnAborted``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from codex_lsp.config.model import Config, ModelProviderInfo
from codex_lsp.core.config_folders import load_rules_and_hooks
from codex_lsp.core.context import environment_context, initial_context
from codex_lsp.core.hook_events import session_start
from codex_lsp.core.journal import Journal, NewConversationRow
from codex_lsp.core.model_info import model_price, usage_cost
from codex_lsp.core.notify import run_notify
from codex_lsp.core.prompts import load_prompt
from codex_lsp.core.tasks import run_compact, run_review
from codex_lsp.core.turn import TurnRunner
from codex_lsp.core.turn_context import TurnContext, existing_folder
from codex_lsp.core.turn_diff import TurnSnapshot
from codex_lsp.core.undo import run_undo
from codex_lsp.errors import CodexError, ProtocolError, ProviderError
from codex_lsp.exec.sandbox import landlock_abi, unavailable_warning
from codex_lsp.protocol.events import (
    AgentMessageDeltaEvent,
    AgentReasoningDeltaEvent,
    AgentReasoningRawContentDeltaEvent,
    ApplyPatchApprovalRequestEvent,
    ErrorEvent,
    EventEnvelope,
    EventMsg,
    ExecApprovalRequestEvent,
    ExecCommandOutputDeltaEvent,
    RequestUserInputEvent,
    SessionConfiguredEvent,
    ShutdownCompleteEvent,
    TaskCompleteEvent,
    TaskStartedEvent,
    TurnAbortedEvent,
    WarningEvent,
)
from codex_lsp.protocol.history import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    HistoryItem,
    InputText,
    UserMessage,
)
from codex_lsp.protocol.items import TokenUsage, UserInputItem
from codex_lsp.protocol.ops import (
    CompactOp,
    InterruptOp,
    Op,
    OverrideTurnContextOp,
    ReviewOp,
    ShutdownOp,
    UndoTurnOp,
    UserInputOp,
    UserTurnOp,
)
from codex_lsp.protocol.policies import DangerFullAccess, ReviewDecision
from codex_lsp.protocol.requests import ApprovalResult, RequestUserInputResult
from codex_lsp.providers.base import ModelClient
from codex_lsp.tools.commands import CommandRunner
from codex_lsp.tools.files import FileSink
from codex_lsp.tools.registry import ToolRegistry, TurnAbortRequested

log = logging.getLogger(__name__)

EventSink = Callable[[EventEnvelope], None]
ApprovalRequest = ExecApprovalRequestEvent | ApplyPatchApprovalRequestEvent
ApprovalHandler = Callable[[str, ApprovalRequest], Awaitable[ReviewDecision | ApprovalResult]]
"""Asks the user; a plain decision, or (for patches) a decision with the hunks rejected."""
UserInputHandler = Callable[[str, RequestUserInputEvent], Awaitable[RequestUserInputResult | None]]
"""Asks the user the model's questions (``request_user_input``); None: dismissed or nobody can
answer. It may raise :class:`~codex_lsp.tools.registry.TurnFailedError` to fail the turn."""
UrlOpener = Callable[[str], Awaitable[bool]]
"""Opens an http(s) link for the user (an MCP url-mode elicitation); False when it cannot."""
AbortReason = Literal["interrupted", "replaced", "reviewEnded"]
TaskBody = Callable[[TurnRunner], Awaitable[str | None]]
CommandRouter = Callable[[list[UserInputItem]], TaskBody | None]
"""Turns a message that is a command of a layer above the core (spec-kit's ``/speckit.plan``)
into the task that carries it out; None for anything else (then it goes to the model)."""

SESSION_SUBMISSION_ID = "session"
ABORT_WAIT_S = 10.0
_TRANSIENT = (
    AgentMessageDeltaEvent,
    AgentReasoningDeltaEvent,
    AgentReasoningRawContentDeltaEvent,
    ExecCommandOutputDeltaEvent,
    SessionConfiguredEvent,
    ShutdownCompleteEvent,
)


async def deny_all_approvals(conversation_id: str, request: ApprovalRequest) -> ReviewDecision:
    """The approval handler of front ends that cannot ask anyone."""
    return ReviewDecision.DENIED


async def no_user_input(
    conversation_id: str, request: RequestUserInputEvent
) -> RequestUserInputResult | None:
    """The user-input handler of front ends that cannot ask anyone."""
    return None


async def no_url_opener(url: str) -> bool:
    """The link opener of front ends that cannot show a link."""
    return False


@dataclass
class _ActiveTask:
    runner: TurnRunner
    kind: str
    task: asyncio.Task[None]
    finishing: bool = False


class Conversation:
    """One conversation's state and its submission loop."""

    def __init__(
        self,
        conversation_id: str,
        ctx: TurnContext,
        *,
        config: Config,
        client: ModelClient,
        provider_info: ModelProviderInfo,
        tools: ToolRegistry,
        sink: EventSink,
        approvals: ApprovalHandler,
        files: FileSink,
        commands: CommandRunner,
        base_instructions: str,
        home: Path | None,
        journal: Journal,
        forked_from: str | None = None,
        router: CommandRouter | None = None,
        user_input: UserInputHandler = no_user_input,
        open_url: UrlOpener = no_url_opener,
    ) -> None:
        self.id = conversation_id
        self.ctx = ctx
        self.config = config
        self.client = client
        self.provider_info = provider_info
        self.tools = tools
        self.approvals = approvals
        self.user_input = user_input
        self.open_url = open_url
        self.files = files
        self.commands = commands
        self.command_rules, self.hooks = load_rules_and_hooks(config, home, ctx.cwd)
        self.base_instructions = base_instructions
        self.home = home
        self.journal = journal
        self.forked_from = forked_from
        self.history: list[HistoryItem] = []
        self.snapshots: list[TurnSnapshot] = []
        self.turn_ids: set[str] = set()
        """Every turn of this conversation (stored ones included), for checking a turnId."""
        self.total_usage = TokenUsage()
        self.cost_usd: float | None = 0.0
        self.context_tokens = 0
        self._store_warned: str | None = None
        self.approved_for_session: set[tuple[str, ...]] = set()
        self.denied_for_session: set[tuple[str, ...]] = set()
        self.created_at = time.time()
        self.updated_at = self.created_at
        self._sink = sink
        self._router = router
        self._output_schema: dict[str, Any] | None = None
        self._ops: asyncio.Queue[tuple[str, Op]] = asyncio.Queue()
        self._pending: list[list[UserInputItem]] = []
        self._returned_input: list[list[UserInputItem]] = []
        self._active: _ActiveTask | None = None
        self._abort_reason: AbortReason = "interrupted"
        self._context_stale = False
        self._ctx_overridden = False
        self._background: set[asyncio.Task[None]] = set()
        self.session_hooks: asyncio.Task[None] | None = None
        """The SessionStart hooks, which the first prompt waits for."""
        self._closed = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(
        self,
        seed: list[HistoryItem] | None = None,
        seed_events: list[str] | None = None,
        warnings: list[str] | None = None,
        *,
        resumed: bool = False,
    ) -> None:
        """Store (unless resumed), announce the session and start consuming Ops. ``seed`` is
        the history of a resumed or forked conversation; ``seed_events`` what a fork copies."""
        if not resumed:
            self.journal.create(
                NewConversationRow(
                    cwd=str(self.ctx.cwd),
                    model=self.ctx.model,
                    provider=self.ctx.provider_id,
                    base_instructions=None
                    if self.base_instructions == load_prompt("base_instructions")
                    else self.base_instructions,
                    forked_from=self.forked_from,
                )
            )
        if seed is None:
            self.history.extend(
                initial_context(self.ctx, self.config.project_doc_max_bytes, self.home)
            )
        else:
            self.history.extend(seed)
            self._repair_history()
        for body in seed_events or []:
            self.journal.event_json(body, None)
        self.journal.sync(self.history, None)
        self.emit(SESSION_SUBMISSION_ID, self.session_configured())
        # start-up warnings are sent, not stored: every start (or resume) checks them anew
        for warning in [*(warnings or []), *self.command_rules.warnings, *self.hooks.warnings]:
            self._deliver(SESSION_SUBMISSION_ID, WarningEvent(message=warning))
        policy = self.ctx.sandbox_policy
        if not isinstance(policy, DangerFullAccess) and landlock_abi() < 1:
            message = unavailable_warning(policy.type)
            self._deliver(SESSION_SUBMISSION_ID, WarningEvent(message=message))
        self._loop_task = asyncio.create_task(
            self._submission_loop(), name=f"conversation-{self.id}"
        )
        self.session_hooks = self.spawn_background(session_start(self, resumed))

    def session_configured(
        self, initial: list[dict[str, Any]] | None = None
    ) -> SessionConfiguredEvent:
        """The settings event (with replayed messages on resume)."""
        return SessionConfiguredEvent(
            session_id=self.id,
            model=self.ctx.model,
            model_provider_id=self.ctx.provider_id,
            approval_policy=self.ctx.approval_policy,
            sandbox_policy=self.ctx.sandbox_policy,
            cwd=self.ctx.cwd,
            reasoning_effort=self.ctx.effort,
            reasoning_summary=self.ctx.summary,
            forked_from_id=self.forked_from,
            initial_messages=initial,
        )

    @property
    def running(self) -> bool:
        """True while a turn, compaction or review runs."""
        return self._active is not None

    @property
    def closed(self) -> bool:
        """True after shutdown."""
        return self._closed.is_set()

    async def wait_closed(self, limit_s: float) -> None:
        """Wait up to ``limit_s`` for shutdown to finish."""
        await asyncio.wait_for(self._closed.wait(), limit_s)

    # ---------------------------------------------------------------- events
    def add_cost(self, usage: TokenUsage, model: str) -> None:
        """Add what one response cost; once a response's price is unknown, so is the total."""
        price = model_price(model, self.config.model_price)
        if price is None or self.cost_usd is None:
            self.cost_usd = None
        else:
            self.cost_usd += usage_cost(usage, price)

    def emit(self, submission_id: str, msg: EventMsg) -> None:
        """Store (unless transient) and deliver one event."""
        self._deliver(submission_id, msg, self._journal(msg))

    async def emit_durable(self, submission_id: str, msgs: list[EventMsg], turn_id: str) -> None:
        """Store ``msgs`` with the history so far and deliver them once that is on disk (a user
        message: what the client shows, the store keeps). They are delivered even when the
        turn is cancelled meanwhile, so the client is not missing what the store has."""
        bodies = [self._journal(msg) for msg in msgs]
        try:
            await self.checkpoint(turn_id)
        finally:
            for msg, body in zip(msgs, bodies, strict=True):
                self._deliver(submission_id, msg, body)

    def _journal(self, msg: EventMsg) -> str | None:
        """Enqueue ``msg`` (unless transient) after the history items before it; its JSON."""
        if isinstance(msg, _TRANSIENT):
            return None
        turn_id = getattr(msg, "turn_id", None)
        self.journal.sync(self.history, turn_id)
        return self.journal.event(msg, turn_id)

    def _deliver(self, submission_id: str, msg: EventMsg, body: str | None = None) -> None:
        self.updated_at = time.time()
        try:
            self._sink(EventEnvelope(self.id, submission_id, msg, body))
        except Exception:
            log.exception("event sink failed for conversation %s", self.id)

    # ---------------------------------------------------------------- ops
    def submit(self, op: Op) -> str:
        """Queue ``op``; returns the submission id its events will carry."""
        if self.closed:
            raise CodexError(f"conversation {self.id} is shut down; start or resume another one")
        self._check(op)
        submission_id = uuid.uuid4().hex[:16]
        self._ops.put_nowait((submission_id, op))
        return submission_id

    def _check(self, op: Op) -> None:
        """Refuse (ProtocolError) an Op that names what does not exist, before it is queued."""
        if isinstance(op, UserTurnOp | OverrideTurnContextOp) and op.cwd is not None:
            existing_folder(op.cwd, self.ctx.cwd)
        undo = op.turn_id if isinstance(op, UndoTurnOp) else None
        if undo is not None and undo not in self.turn_ids:
            raise ProtocolError(
                f"turn {undo!r} is not a turn of conversation {self.id}; pass the turnId of "
                "one of its turns, or numTurns"
            )

    def take_pending_input(self) -> list[list[UserInputItem]]:
        """Input queued while the turn ran, oldest first."""
        pending, self._pending = self._pending, []
        return pending

    def spawn_background(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run after-turn work (notify, history) without holding the turn; failures are logged."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def take_snapshots(self, count: int, since: str | None = None) -> list[TurnSnapshot]:
        """Remove and return the file snapshots of the last ``count`` file-changing turns (or
        of turn ``since`` and every later one), newest first; none when ``since`` changed no
        files or was undone already."""
        if since is not None:
            ids = [s.turn_id for s in self.snapshots]
            count = len(ids) - ids.index(since) if since in ids else 0
        taken = self.snapshots[len(self.snapshots) - count :][::-1] if count else []
        del self.snapshots[len(self.snapshots) - len(taken) :]
        return taken

    def has_pending_input(self) -> bool:
        """True when steered input waits for the model."""
        return bool(self._pending)

    async def _submission_loop(self) -> None:
        while not self.closed:
            submission_id, op = await self._ops.get()
            try:
                await self._handle(submission_id, op)
            except Exception as exc:
                log.exception("op %s failed", type(op).__name__)
                self.emit(
                    submission_id, ErrorEvent(message=f"internal error handling {op.type}: {exc}")
                )

    async def _handle(self, submission_id: str, op: Op) -> None:
        if isinstance(op, UserTurnOp | OverrideTurnContextOp):
            self._apply_overrides(op)
        if isinstance(op, UserInputOp | UserTurnOp):
            command = self._router(list(op.items)) if self._router is not None else None
            if command is not None:
                self._command(submission_id, command)
                return
            if isinstance(op, UserTurnOp):
                self._output_schema = op.output_schema
            self._pending.append(list(op.items))
            if self._active is None:
                self._spawn(submission_id, "regular", self._regular_body)
        elif isinstance(op, InterruptOp):
            await self._abort("interrupted")
        elif isinstance(op, CompactOp):
            await self._abort("replaced")
            self._spawn(submission_id, "compact", run_compact)
        elif isinstance(op, ReviewOp):
            await self._abort("replaced")
            request = op.review_request
            self._spawn(submission_id, "review", lambda runner: run_review(runner, request))
        elif isinstance(op, UndoTurnOp):
            await self._abort("replaced")
            undo = op
            self._spawn(
                submission_id, "undo", lambda runner: run_undo(runner, undo.num_turns, undo.turn_id)
            )
        elif isinstance(op, ShutdownOp):
            await self._abort("interrupted")
            with contextlib.suppress(Exception):
                await self.client.aclose()
            self.journal.release()
            with contextlib.suppress(CodexError):
                await self.journal.durable()
            self.emit(submission_id, ShutdownCompleteEvent())
            self._closed.set()

    def apply_config(self, config: Config, ctx: TurnContext | None) -> None:
        """Take a reloaded configuration from the next turn on. ``ctx`` (model and policies from
        the new config) applies unless the user changed the turn settings in this conversation."""
        self.config = config
        self.command_rules, self.hooks = load_rules_and_hooks(config, self.home, self.ctx.cwd)
        if ctx is not None and not self._ctx_overridden:
            self._apply_ctx(ctx)

    def _apply_ctx(self, ctx: TurnContext) -> None:
        before = environment_context(self.ctx)
        self.ctx = ctx
        if environment_context(self.ctx) != before:
            self._context_stale = True

    def _apply_overrides(self, op: UserTurnOp | OverrideTurnContextOp) -> None:
        self._ctx_overridden = True
        self._apply_ctx(self.ctx.with_overrides(op))

    def _command(self, submission_id: str, body: TaskBody) -> None:
        """A command typed as a message runs as a task of its own (as a review does); typed
        while a task runs, it is refused, not sent to the model as text."""
        if self._active is not None:
            self.emit(
                submission_id,
                ErrorEvent(
                    message="a turn is running: wait for it to finish (or interrupt it), then "
                    "send the command again"
                ),
            )
            return
        self._spawn(submission_id, "command", body)

    async def _regular_body(self, runner: TurnRunner) -> str | None:
        runner.output_schema, self._output_schema = self._output_schema, None
        if self._context_stale:
            self._context_stale = False
            self.history.append(
                UserMessage(content=[InputText(text=environment_context(runner.ctx))])
            )
        pending = self.take_pending_input()
        first, rest = pending[0], pending[1:]
        self._pending[:0] = rest
        return await runner.run_regular(first)

    # ---------------------------------------------------------------- tasks
    def _spawn(self, submission_id: str, kind: str, body: TaskBody) -> None:
        runner = TurnRunner(self, submission_id, self.ctx)
        self.turn_ids.add(runner.turn_id)
        task = asyncio.create_task(
            self._run_task(runner, body, kind), name=f"{kind}-{runner.turn_id}"
        )
        self._active = _ActiveTask(runner, kind, task)

    async def _run_task(self, runner: TurnRunner, body: TaskBody, kind: str) -> None:
        started = time.monotonic()
        self.journal.turn_started(runner.turn_id, kind)
        runner.emit(
            TaskStartedEvent(
                turn_id=runner.turn_id, model_context_window=runner.ctx.model_context_window
            )
        )
        status = "failed"
        final: list[EventMsg] = [TaskCompleteEvent(turn_id=runner.turn_id)]
        try:
            last = await body(runner)
            status = "completed"
            final = [
                TaskCompleteEvent(
                    turn_id=runner.turn_id,
                    last_agent_message=last,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    stop_reason=runner.stop_reason,
                )
            ]
            self.spawn_background(run_notify(self.config, runner.turn_id, runner.inputs, last))
        except (asyncio.CancelledError, TurnAbortRequested) as exc:
            if isinstance(exc, TurnAbortRequested):  # aborted at an approval: an interrupt
                self._drop_pending_input()
            status = "aborted"
            returned, self._returned_input = self._returned_input, []
            final = [
                TurnAbortedEvent(
                    turn_id=runner.turn_id,
                    reason=self._abort_reason,
                    returned_input=returned or None,
                )
            ]
        except CodexError as exc:
            info = exc.error_info if isinstance(exc, ProviderError) else None
            final.insert(
                0, ErrorEvent(message=exc.message, codex_error_info=info, turn_id=runner.turn_id)
            )
        except Exception as exc:
            log.exception("turn %s failed", runner.turn_id)
            final.insert(0, ErrorEvent(message=f"internal error: {exc!r}", turn_id=runner.turn_id))
        if status != "completed":
            self._repair_history()
        if self._active is not None:
            self._active.finishing = True
        await self._finish(runner, status, final)
        snapshot = runner.diff.snapshot(runner.turn_id)
        if snapshot is not None:
            self.snapshots.append(snapshot)
        self._active = None
        self._abort_reason = "interrupted"
        # Input queued during the turn runs next when the turn ended on its own, failed or not
        # (a failure must not swallow what the user sent). An interrupt means "stop": what was
        # queued for the turn is handed back in turnAborted (as Codex's TUI puts it back in the
        # composer); a task that replaced the turn runs first, and the queue after it.
        if status != "aborted" and self._pending and not self.closed:
            self._spawn(runner.submission_id, "regular", self._regular_body)

    async def _finish(self, runner: TurnRunner, status: str, final: list[EventMsg]) -> None:
        """End a turn: its items, end state and final events are on disk before the client
        hears that it ended (a client never shows a finished turn the store lost)."""
        self.journal.sync(self.history, runner.turn_id)
        bodies = [self.journal.event(msg, runner.turn_id) for msg in final]
        self.journal.turn_ended(
            runner.turn_id,
            status,
            history=self.history,
            model=runner.ctx.model,
            usage=runner.usage,
            total_usage=self.total_usage,
            events_len=self.journal.next_event_seq,
        )
        try:
            await self.journal.durable()
        except CodexError as exc:
            log.error("conversation %s: %s", self.id, exc.message)
            self._deliver(runner.submission_id, ErrorEvent(message=exc.message))
        for msg, body in zip(final, bodies, strict=True):
            self._deliver(runner.submission_id, msg, body)

    def _drop_pending_input(self) -> None:
        """The user stopped the turn: what they queued for it is not sent to the model but
        handed back to them with the turn's ``turnAborted``."""
        self._returned_input.extend(self._pending)
        self._pending.clear()

    async def _abort(self, reason: AbortReason) -> None:
        """Stop the running task. An interrupt also drops the input queued for it (handed back
        in ``turnAborted.returnedInput``): the user stopped that turn, so what they sent into it
        is theirs to send again, edit or discard, as in Codex."""
        if reason == "interrupted":
            self._drop_pending_input()
        active = self._active
        if active is None:
            return
        self._abort_reason = reason
        if not active.finishing:
            active.task.cancel()
        await asyncio.wait({active.task}, timeout=ABORT_WAIT_S)
        if self._active is active and active.task.done():
            # cancelled before its first step: nothing ran, so nothing ended it; say so
            self._active = None
            self._abort_reason = "interrupted"
            self._deliver(
                active.runner.submission_id,
                TurnAbortedEvent(turn_id=active.runner.turn_id, reason=reason),
            )

    async def checkpoint(self, turn_id: str) -> None:
        """Make the history and events so far durable (before a model request and before
        tools run, so a crash in a long stream or command keeps what led up to it). A store
        that cannot write is reported once per turn and does not stop the turn."""
        self.journal.sync(self.history, turn_id)
        try:
            await self.journal.durable()
        except CodexError as exc:
            if self._store_warned != turn_id:
                self._store_warned = turn_id
                self.emit(SESSION_SUBMISSION_ID, WarningEvent(message=exc.message))

    def replace_history(self, items: list[HistoryItem], turn_id: str) -> None:
        """Swap the whole history (compaction); the store keeps the old one as an epoch."""
        self.history[:] = items
        self.journal.replace(self.history, turn_id)

    def _repair_history(self) -> None:
        """Give every tool call without an output one, so the next request is valid."""
        answered = {
            i.call_id
            for i in self.history
            if isinstance(i, FunctionCallOutput | CustomToolCallOutput)
        }
        for item in list(self.history):
            if isinstance(item, FunctionCall) and item.call_id not in answered:
                self.history.append(
                    FunctionCallOutput(
                        call_id=item.call_id, output="aborted by the user", success=False
                    )
                )
            elif isinstance(item, CustomToolCall) and item.call_id not in answered:
                self.history.append(
                    CustomToolCallOutput(call_id=item.call_id, output="aborted by the user")
                )
