"""The terminals of one conversation: the commands ``exec_command`` left running, by the id the
model and the client know them by, until they end, are killed, or the conversation closes.

Each terminal is one ``commandExecution`` item: its output streams as ``execCommandOutputDelta``
for as long as it runs (after the turn that started it, too) and its ``execCommandEnd`` comes
when it ends. :class:`TerminalWatcher` is the seam for what must see every command start and
end (a workspace snapshot before and after, for undo): :meth:`Terminals.starting` before the
command runs, ``command_ended`` once it and everything it started are gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from codex_lsp.background import create_task
from codex_lsp.errors import CodexError, UnknownTerminalError
from codex_lsp.protocol.events import EventMsg

if TYPE_CHECKING:
    from codex_lsp.tools.terminal import Terminal

MAX_TERMINALS = 64
"""Open terminals per conversation; starting one more ends the least recently used."""
WARN_TERMINALS = 60
PROTECTED_RECENT = 8
"""The most recently used terminals, never ended to make room."""
CLOSE_TIMEOUT_S = 10.0
FIRST_TERMINAL_ID = 1000


class TerminalWatcher(Protocol):
    """Sees every terminal's command start and end: the hook for capturing the files a command
    changed (a snapshot before, a comparison after). Add one to :attr:`Terminals.watchers`."""

    def command_starting(self, terminal_id: int, command: list[str], cwd: Path) -> None:
        """``command`` is about to start in ``cwd`` (nothing of it has run yet)."""
        ...

    def command_ended(self, terminal_id: int, exit_code: int) -> None:
        """The command and everything it started have ended (or it could not start: -1)."""
        ...


class Terminals:
    """A conversation's terminals. ``emit_detached`` sends the events of an item whose call
    has returned (stored as the conversation's, not a turn's)."""

    def __init__(self, emit_detached: Callable[[EventMsg], None]) -> None:
        self._emit_detached = emit_detached
        self._terminals: dict[int, Terminal] = {}
        self._ids = itertools.count(FIRST_TERMINAL_ID)
        self._tasks: set[asyncio.Task[None]] = set()
        self.watchers: list[TerminalWatcher] = []
        self.closed = False

    def __len__(self) -> int:
        """The terminals kept: running, or ended with the model not yet told."""
        return len(self._terminals)

    def starting(self, command: list[str], cwd: Path) -> int:
        """A command is about to start as a terminal: its id, the watchers told. Every call is
        followed by :meth:`add` of its terminal, or :meth:`not_started`."""
        if self.closed:
            raise CodexError("the conversation is closing: no new terminal can start")
        terminal_id = next(self._ids)
        for watcher in self.watchers:
            watcher.command_starting(terminal_id, command, cwd)
        return terminal_id

    def not_started(self, terminal_id: int) -> None:
        """The command of :meth:`starting` could not start."""
        for watcher in self.watchers:
            watcher.command_ended(terminal_id, -1)

    def add(self, terminal: Terminal) -> list[Terminal]:
        """Keep ``terminal`` and stream its output; returns the terminals ended to make room
        (already being stopped)."""
        pruned = self._prune()
        self._terminals[terminal.id] = terminal
        terminal.process.listeners.append(terminal.stream)
        self._keep(self._watch(terminal))
        return pruned

    def _prune(self) -> list[Terminal]:
        if len(self._terminals) < MAX_TERMINALS:
            return []
        recent = sorted(self._terminals.values(), key=lambda t: t.last_used, reverse=True)
        candidates = recent[PROTECTED_RECENT:]
        ended = [t for t in candidates if not t.process.running]
        victim = (ended or candidates)[-1]
        del self._terminals[victim.id]
        self._keep(victim.process.stop())
        return [victim]

    def _keep(self, work: Coroutine[Any, Any, None]) -> None:
        create_task(work, name="terminal-stop", owner=self._tasks)

    def get(self, terminal_id: int) -> Terminal:
        """The terminal ``terminal_id``, marked as just used; :class:`UnknownTerminalError`
        when there is none (it ended and its end was reported, or it never existed)."""
        terminal = self._terminals.get(terminal_id)
        if terminal is None:
            known = ", ".join(str(i) for i in self._terminals) or "none"
            raise UnknownTerminalError(
                f"no terminal with session_id {terminal_id} (running: {known}); it has ended "
                "and its exit was reported, or was never started: start it with exec_command"
            )
        terminal.last_used = time.monotonic()
        return terminal

    def forget(self, terminal: Terminal) -> None:
        """The model has seen ``terminal``'s end: its id is free of it."""
        self._terminals.pop(terminal.id, None)

    def running(self) -> list[Terminal]:
        """The terminals whose command still runs, oldest first."""
        return [t for t in self._terminals.values() if t.process.running]

    async def kill(self, terminal_id: int) -> Terminal:
        """End ``terminal_id`` and everything its command started; returns it once its end
        was sent (the model sees the exit at its next ``write_stdin``)."""
        terminal = self._terminals.get(terminal_id)
        if terminal is None or not terminal.process.running:
            raise UnknownTerminalError(f"no running terminal {terminal_id} in this conversation")
        await terminal.process.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(terminal.ended.wait(), CLOSE_TIMEOUT_S)
        return terminal

    async def close(self) -> None:
        """End every terminal (the conversation closes), within ``CLOSE_TIMEOUT_S``."""
        self.closed = True
        terminals, self._terminals = list(self._terminals.values()), {}
        stops = [t.process.stop() for t in terminals]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*stops, return_exceptions=True), CLOSE_TIMEOUT_S)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*list(self._tasks), return_exceptions=True), CLOSE_TIMEOUT_S
            )

    def detach(self, terminal: Terminal) -> None:
        """The call that started ``terminal`` returned while it runs: its later events are
        the conversation's."""
        terminal.life.detach(self._emit_detached)

    async def _watch(self, terminal: Terminal) -> None:
        """Send ``execCommandEnd`` and complete the item when the command ends."""
        process = terminal.process
        while not await process.wait_closed(3600):
            pass
        code = terminal.finish()
        for watcher in self.watchers:
            watcher.command_ended(terminal.id, code)
