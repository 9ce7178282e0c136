"""One ACP session (a stored conversation open over ACP): its settings, its updates, and the
prompts waiting for their turn to end.

A prompt's answer follows its turn: an input prompt belongs to the turn that records its message
(a second prompt sent during a turn steers it, so both are answered when it ends); a command
(``/compact``, ``/review``…) to the task its Op starts. ``taskComplete`` answers ``end_turn`` (or
``max_tokens`` / ``refusal``), an ``error`` before it becomes the prompt's JSON-RPC error,
``turnAborted`` answers ``cancelled`` — and since every update is written as its event arrives,
all of a turn's updates precede its answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from codex_lsp.acp import updates
from codex_lsp.acp.capabilities import ClientFeatures
from codex_lsp.acp.modes import Settings
from codex_lsp.protocol.events import (
    AgentMessageDeltaEvent,
    ErrorEvent,
    EventEnvelope,
    EventMsg,
    ShutdownCompleteEvent,
    TaskCompleteEvent,
    TaskStartedEvent,
    TurnAbortedEvent,
    UserMessageEvent,
)
from codex_lsp.protocol.items import StopReason
from codex_lsp.protocol.ops import Op, UserInputOp, UserTurnOp
from codex_lsp.store.records import title_from

log = logging.getLogger(__name__)

_EVENTS: TypeAdapter[Any] = TypeAdapter(EventMsg)
_STOP_REASONS = {StopReason.MAX_TOKENS: "max_tokens", StopReason.REFUSAL: "refusal"}


@dataclass(frozen=True)
class Outcome:
    """How a prompt ended: an ACP stop reason, or the error that ended its turn."""

    stop_reason: str
    error: ErrorEvent | None = None


@dataclass
class _Waiter:
    """A prompt waiting for its turn to end."""

    answer: asyncio.Future[Outcome]
    task: bool
    """A command, bound to the task its Op starts (else: to the turn that takes its input)."""
    submission: str | None = None
    turn: str | None = None
    cancelled: bool = False

    def resolve(self, outcome: Outcome) -> None:
        if not self.answer.done():
            self.answer.set_result(outcome)


@dataclass
class Session:
    """State of one session; ``send`` writes a ``session/update`` payload, ``send_json`` a whole
    notification already encoded."""

    session_id: str
    cwd: Path
    extra_roots: list[Path]
    features: ClientFeatures
    settings: Settings
    client_terminals: bool
    known: Callable[[Path], str | None]
    send: Callable[[str, dict[str, Any]], None]
    send_json: Callable[[str], None]
    ready: bool = False
    renderer: updates.Renderer = field(init=False)
    _held: list[EventEnvelope] = field(default_factory=list)
    _waiters: list[_Waiter] = field(default_factory=list)
    _errors: dict[str, ErrorEvent] = field(default_factory=dict)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        """The renderer needs the session's folder, features and known items."""
        self.renderer = updates.Renderer(self.cwd, self.features, self.known)

    # ---------------------------------------------------------------- updates
    def update(self, update: dict[str, Any]) -> None:
        """Send one update for this session."""
        self.send(self.session_id, update)

    def open(self) -> None:
        """The session's response is out: send what was held back (updates must not precede
        it) and everything from now on."""
        self.ready = True
        held, self._held = self._held, []
        for envelope in held:
            self.observe(envelope)

    def observe(self, envelope: EventEnvelope) -> None:
        """One event of the conversation (live)."""
        if not self.ready:
            self._held.append(envelope)
            return
        msg = envelope.msg
        if isinstance(msg, AgentMessageDeltaEvent):  # the per-token path
            self.send_json(self.renderer.delta_json(self.session_id, msg))
            return
        for update in self.renderer.render(msg):
            self.update(update)
        self._track(envelope)

    def replay(self, events: list[dict[str, Any]]) -> None:
        """Send a stored conversation's history as updates (``session/load``)."""
        for raw in events:
            try:
                msg = _EVENTS.validate_python(raw)
            except ValidationError:
                continue  # an event this version does not know: nothing to show for it
            for update in self.renderer.render(msg, replay=True):
                self.update(update)
            if isinstance(msg, UserMessageEvent):
                self.renderer.titled = True
        for update in self.renderer.open_calls():  # a crash left them running
            self.update(update)

    def _track(self, envelope: EventEnvelope) -> None:
        msg = envelope.msg
        if isinstance(msg, UserMessageEvent):
            waiter = next((w for w in self._waiters if not w.task and w.turn is None), None)
            if waiter is not None:
                waiter.turn = msg.turn_id
            if not self.renderer.titled and msg.message.strip():
                self.renderer.titled = True
                self.update(
                    {"sessionUpdate": "session_info_update", "title": title_from(msg.message)}
                )
        elif isinstance(msg, TaskStartedEvent):
            for waiter in self._waiters:
                if waiter.task and waiter.submission == envelope.submission_id and not waiter.turn:
                    waiter.turn = msg.turn_id
        elif isinstance(msg, ErrorEvent):
            self._error(envelope, msg)
        elif isinstance(msg, TaskCompleteEvent):
            error = self._errors.pop(msg.turn_id, None)
            stop = _STOP_REASONS.get(msg.stop_reason, "end_turn") if msg.stop_reason else "end_turn"
            self._end_turn(msg.turn_id, Outcome(stop, error))
        elif isinstance(msg, TurnAbortedEvent):
            self._end_turn(msg.turn_id, Outcome("cancelled"), dropped=msg.reason == "interrupted")
        elif isinstance(msg, ShutdownCompleteEvent):
            self._end_all()

    def _error(self, envelope: EventEnvelope, msg: ErrorEvent) -> None:
        if msg.turn_id is not None:
            self._errors[msg.turn_id] = msg
            return
        for waiter in self._waiters:  # an Op that failed without starting a task
            if waiter.submission == envelope.submission_id and waiter.turn is None:
                waiter.resolve(Outcome("end_turn", msg))

    def _end_turn(self, turn_id: str | None, outcome: Outcome, dropped: bool = False) -> None:
        """Answer the prompts of a finished turn; after an interrupt also those whose input
        the core dropped with it, and those the client cancelled."""
        for update in self.renderer.open_calls():
            self.update(update)
        for waiter in self._waiters:
            mine = turn_id is not None and waiter.turn == turn_id
            gone = waiter.turn is None and (waiter.cancelled or (dropped and not waiter.task))
            if mine or gone:
                waiter.resolve(outcome if mine else Outcome("cancelled"))
        self._waiters = [w for w in self._waiters if not w.answer.done()]

    def _end_all(self) -> None:
        for update in self.renderer.open_calls():
            self.update(update)
        for waiter in self._waiters:
            waiter.resolve(Outcome("cancelled"))
        self._waiters.clear()
        self.closed.set()

    # ---------------------------------------------------------------- prompts
    async def run(self, op: Op, submit: Callable[[Op], str]) -> Outcome:
        """Submit ``op`` and wait for the end of the turn that takes it."""
        waiter = _Waiter(
            asyncio.get_running_loop().create_future(),
            task=not isinstance(op, UserInputOp | UserTurnOp),
        )
        self._waiters.append(waiter)
        try:
            waiter.submission = submit(op)
        except BaseException:
            self._waiters.remove(waiter)
            raise
        return await waiter.answer

    def cancel(self) -> None:
        """``session/cancel``: every prompt waiting now ends ``cancelled`` when the
        interrupt lands (the caller submits it)."""
        for waiter in self._waiters:
            waiter.cancelled = True
