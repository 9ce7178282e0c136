"""A conversation: consumes Ops from a queue and emits Events to a sink.

Ops are handled in order by one submission loop, each by its entry in
:attr:`Conversation.OP_HANDLERS`; turns run as separate tasks so the loop stays responsive: an
interrupt cancels the running turn at once, and input sent during a turn is queued and given to
the model at its next step (steering), never lost: when the user interrupts the turn, what they
queued for it is handed back to them in ``turnAborted``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from codex_lsp.background import create_task
from codex_lsp.config.model import Config, ModelProviderInfo
from codex_lsp.core.agent_loop import run_regular
from codex_lsp.core.compaction import run_compact
from codex_lsp.core.config_folders import config_folders
from codex_lsp.core.context import environment_context
from codex_lsp.core.hook_events import session_start
from codex_lsp.core.journal import Journal
from codex_lsp.core.model_info import model_price
from codex_lsp.core.opening import session_configured, startup_warnings, store_new
from codex_lsp.core.pending_input import PendingInput
from codex_lsp.core.recorder import SESSION_SUBMISSION_ID, Recorder
from codex_lsp.core.review import run_review
from codex_lsp.core.rewind import rewind
from codex_lsp.core.seams import EventSink, Seams
from codex_lsp.core.shell_capture import ShellCapture
from codex_lsp.core.supervisor import CommandRouter, TurnBody, TurnSupervisor
from codex_lsp.core.turn import TurnRunner
from codex_lsp.core.turn_context import TurnContext, existing_folder
from codex_lsp.core.turn_parts import Settings, TurnParts
from codex_lsp.core.undo import run_undo
from codex_lsp.core.undo_log import UndoLog
from codex_lsp.core.usage import UsageMeter
from codex_lsp.errors import CodexError, ProtocolError, bug_message
from codex_lsp.protocol.events import (
    ErrorEvent,
    EventMsg,
    SessionConfiguredEvent,
    ShutdownCompleteEvent,
    WarningEvent,
)
from codex_lsp.protocol.history import HistoryItem, InputText, UserMessage
from codex_lsp.protocol.items import TokenUsage
from codex_lsp.protocol.ops import (
    CompactOp,
    InterruptOp,
    Op,
    OverrideTurnContextOp,
    ReviewOp,
    RewindConversationOp,
    ShutdownOp,
    UndoTurnOp,
    UserInputOp,
    UserTurnOp,
)
from codex_lsp.tools.files import FileSink
from codex_lsp.tools.terminals import Terminals

log = logging.getLogger(__name__)

OpHandler = Callable[["Conversation", str, Any], Awaitable[None]]


@dataclass(frozen=True)
class ConversationSetup:
    """What a conversation is made of, besides its id and turn settings."""

    config: Config
    seams: Seams
    sink: EventSink
    journal: Journal
    base_instructions: str
    home: Path | None
    forked_from: str | None = None
    router: CommandRouter | None = None
    """Turns a typed command of a layer above the core into its task (none: all to the model)."""


class Conversation:
    """One conversation's state and its submission loop."""

    def __init__(self, conversation_id: str, ctx: TurnContext, setup: ConversationSetup) -> None:
        self.id = conversation_id
        self.ctx = ctx
        self.forked_from = setup.forked_from
        self.turn_ids: set[str] = set()
        """Every turn of this conversation (stored ones included), for checking a turnId."""
        recorder = Recorder(conversation_id, setup.journal, setup.sink)
        self.parts = TurnParts(
            conversation_id=conversation_id,
            home=setup.home,
            base_instructions=setup.base_instructions,
            settings=Settings.load(
                setup.config, setup.home, config_folders(setup.config, setup.home, ctx.cwd)
            ),
            seams=setup.seams,
            recorder=recorder,
            usage=UsageMeter(),
            pending=PendingInput(),
            background=self.spawn_background,
            approved_for_session=set(),
            denied_for_session=set(),
            snapshots=UndoLog(setup.journal),
            shell_capture=ShellCapture(),
            terminals=Terminals(recorder.emit_detached),
        )
        """What its turns see of it."""
        self._recorder = self.parts.recorder
        self._turns = TurnSupervisor(self.parts, self._turn_ended)
        self._router = setup.router
        self._output_schema: dict[str, Any] | None = None
        self._ops: asyncio.Queue[tuple[str, Op]] = asyncio.Queue()
        self._context_stale = False
        self._ctx_overridden = False
        self._background: set[asyncio.Task[None]] = set()
        self._closed = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------- what others read
    @property
    def config(self) -> Config:
        """The configuration in effect (replaced by a reload)."""
        return self.parts.config

    @property
    def provider_info(self) -> ModelProviderInfo:
        """The provider its model client talks to."""
        return self.parts.seams.provider_info

    @property
    def files(self) -> FileSink:
        """Where its file edits go."""
        return self.parts.seams.files

    @property
    def journal(self) -> Journal:
        """Its store writer."""
        return self._recorder.journal

    @property
    def history(self) -> list[HistoryItem]:
        """The model's history."""
        return self._recorder.history

    @property
    def terminals(self) -> Terminals:
        """Its running ``exec_command`` terminals (``codex/listTerminals``)."""
        return self.parts.terminals

    @property
    def snapshots(self) -> UndoLog:
        """The files each file-changing turn touched, oldest first (what undo can restore)."""
        return self.parts.snapshots

    @property
    def updated_at(self) -> float:
        """When it last sent an event."""
        return self._recorder.updated_at

    @property
    def running(self) -> bool:
        """True while a turn, compaction or review runs."""
        return self._turns.running

    @property
    def closed(self) -> bool:
        """True after shutdown."""
        return self._closed.is_set()

    # ---------------------------------------------------------------- lifecycle
    def start(
        self,
        seed: list[HistoryItem] | None = None,
        seed_events: list[str] | None = None,
        warnings: list[str] | None = None,
        *,
        resumed: bool = False,
        opening: list[UserMessage] | None = None,
    ) -> None:
        """Store (unless resumed), announce the session and start consuming Ops. ``seed`` is
        the history of a resumed or forked conversation; ``seed_events`` what a fork copies;
        ``opening`` a new one's :func:`initial_context`, read beforehand off the event loop."""
        parts, recorder = self.parts, self._recorder
        if not resumed:
            store_new(parts, self.ctx, self.forked_from)
        if seed is None:
            recorder.history.extend(opening or [])
        else:
            recorder.history.extend(seed)
            recorder.repair_history()
        for body in seed_events or []:
            recorder.journal.event_json(body, None)
        recorder.journal.sync(recorder.history, None)
        recorder.emit(SESSION_SUBMISSION_ID, self.session_configured())
        # start-up warnings are sent, not stored: every start (or resume) checks them anew
        for warning in startup_warnings(parts, self.ctx, warnings or []):
            recorder.deliver(SESSION_SUBMISSION_ID, WarningEvent(message=warning))
        self._loop_task = create_task(self._submission_loop(), name=f"conversation-{self.id}")
        hooks = session_start(parts, self.ctx, resumed)
        parts.session_hooks.append(
            create_task(hooks, name=f"session-hooks-{self.id}", owner=self._background)
        )

    def session_configured(
        self, initial: list[dict[str, Any]] | None = None
    ) -> SessionConfiguredEvent:
        """The settings event (with replayed messages on resume)."""
        return session_configured(self.id, self.ctx, self.forked_from, initial)

    def count_stored_usage(self, total: TokenUsage) -> None:
        """A resumed conversation's token totals (and so its cost) so far, from the store."""
        self.parts.usage.add(total, model_price(self.ctx.model, self.config.model_price))

    async def wait_closed(self, limit_s: float) -> None:
        """Wait up to ``limit_s`` for shutdown to finish."""
        await asyncio.wait_for(self._closed.wait(), limit_s)

    def emit(self, submission_id: str, msg: EventMsg) -> None:
        """Store (unless transient) and deliver one event."""
        self._recorder.emit(submission_id, msg)

    def spawn_background(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run after-turn work (notify, history) without holding the turn; failures are logged."""
        create_task(work, name=f"{name}-{self.id}", owner=self._background)

    def apply_config(self, config: Config, ctx: TurnContext | None) -> None:
        """Take a reloaded configuration from the next turn on. ``ctx`` (model and policies from
        the new config) applies unless the user changed the turn settings in this conversation."""
        home = self.parts.home
        settings = Settings.load(config, home, config_folders(config, home, self.ctx.cwd))
        self.parts.settings.config = settings.config
        self.parts.settings.command_rules = settings.command_rules
        self.parts.settings.hooks = settings.hooks
        if ctx is not None and not self._ctx_overridden:
            self._apply_ctx(ctx)

    def _apply_ctx(self, ctx: TurnContext) -> None:
        before = environment_context(self.ctx)
        self.ctx = ctx
        if environment_context(self.ctx) != before:
            self._context_stale = True

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
        undo = op.turn_id if isinstance(op, UndoTurnOp | RewindConversationOp) else None
        if undo is not None and undo not in self.turn_ids:
            raise ProtocolError(
                f"turn {undo!r} is not a turn of conversation {self.id}; pass the turnId of "
                "one of its turns, or numTurns"
            )

    async def _submission_loop(self) -> None:
        while not self.closed:
            submission_id, op = await self._ops.get()
            try:
                await self.OP_HANDLERS[type(op)](self, submission_id, op)
            except Exception as exc:
                log.exception("op %s failed", type(op).__name__)
                self.emit(
                    submission_id, ErrorEvent(message=bug_message(f"the {op.type} operation", exc))
                )

    async def _on_input(self, submission_id: str, op: UserInputOp | UserTurnOp) -> None:
        if isinstance(op, UserTurnOp):
            self._apply_overrides(op)
        command = self._router(list(op.items)) if self._router is not None else None
        if command is not None:
            self._command(submission_id, command)
            return
        if isinstance(op, UserTurnOp):
            self._output_schema = op.output_schema
        self.parts.pending.add(list(op.items))
        if not self._turns.running:
            self._spawn(submission_id, "regular", self._regular_body)

    async def _on_override(self, submission_id: str, op: OverrideTurnContextOp) -> None:
        self._apply_overrides(op)

    async def _on_interrupt(self, submission_id: str, op: InterruptOp) -> None:
        await self._turns.abort("interrupted")

    async def _on_compact(self, submission_id: str, op: CompactOp) -> None:
        await self._turns.abort("replaced")
        self._spawn(submission_id, "compact", run_compact)

    async def _on_review(self, submission_id: str, op: ReviewOp) -> None:
        await self._turns.abort("replaced")
        request = op.review_request
        self._spawn(submission_id, "review", lambda runner: run_review(runner, request))

    async def _on_undo(self, submission_id: str, op: UndoTurnOp) -> None:
        await self._turns.abort("replaced")
        num, since = op.num_turns, op.turn_id
        self._spawn(submission_id, "undo", lambda runner: run_undo(runner, num, since))

    async def _on_rewind(self, submission_id: str, op: RewindConversationOp) -> None:
        await self._turns.abort("interrupted")
        try:
            rewound = await rewind(self.parts, self.ctx.cwd, self.turn_ids, op)
        except CodexError as exc:
            self.emit(submission_id, ErrorEvent(message=exc.message))
            return
        self._recorder.deliver(submission_id, rewound)  # not stored: what it drops is gone

    async def _on_shutdown(self, submission_id: str, op: ShutdownOp) -> None:
        await self._turns.abort("interrupted")
        for hooks in self.parts.session_hooks:  # a SessionStart hook still running is stopped
            hooks.cancel()
        await self.parts.terminals.close()
        with contextlib.suppress(Exception):
            await self.parts.seams.client.aclose()
        self.journal.release()
        self.parts.shell_capture.close()
        with contextlib.suppress(CodexError):
            await self.journal.durable()
        self.emit(submission_id, ShutdownCompleteEvent())
        self._closed.set()

    OP_HANDLERS: ClassVar[dict[type[Op], OpHandler]] = {
        UserInputOp: _on_input,
        UserTurnOp: _on_input,
        OverrideTurnContextOp: _on_override,
        InterruptOp: _on_interrupt,
        CompactOp: _on_compact,
        ReviewOp: _on_review,
        UndoTurnOp: _on_undo,
        RewindConversationOp: _on_rewind,
        ShutdownOp: _on_shutdown,
    }
    """Every Op → what handles it (one entry per Op; a test holds the table to the union)."""

    def _apply_overrides(self, op: UserTurnOp | OverrideTurnContextOp) -> None:
        self._ctx_overridden = True
        self._apply_ctx(self.ctx.with_overrides(op))

    def _command(self, submission_id: str, body: TurnBody) -> None:
        """A command typed as a message runs as a task of its own (as a review does); typed
        while a task runs, it is refused, not sent to the model as text."""
        if self._turns.running:
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
        return await run_regular(runner, self.parts.pending.take_first())

    # ---------------------------------------------------------------- turns
    def _spawn(self, submission_id: str, kind: str, body: TurnBody) -> None:
        self.turn_ids.add(self._turns.start(submission_id, kind, body, self.ctx))

    def _turn_ended(self, submission_id: str, status: str) -> None:
        # Input queued during the turn runs next when the turn ended on its own, failed or not
        # (a failure must not swallow what the user sent). An interrupt means "stop": what was
        # queued for the turn is handed back in turnAborted (as Codex's TUI puts it back in the
        # composer); a task that replaced the turn runs first, and the queue after it.
        if status != "aborted" and self.parts.pending and not self.closed:
            self._spawn(submission_id, "regular", self._regular_body)
