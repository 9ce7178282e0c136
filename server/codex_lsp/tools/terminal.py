"""One ``exec_command`` terminal: its running command, its ``commandExecution`` item, and its
output (head and tail kept for the model and ``codex/listTerminals``, streamed to the client at
a bounded rate). Loaded with ``exec_command``'s first call; a conversation keeps its terminals
in :class:`codex_lsp.tools.terminals.Terminals`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from codex_lsp.exec.terminal import HeadTailBuffer, TerminalProcess
from codex_lsp.protocol.events import ExecCommandEndEvent, ExecCommandOutputDeltaEvent
from codex_lsp.protocol.items import CommandExecutionItem, ExecOutputStream, ItemStatus
from codex_lsp.protocol.terminals import TerminalInfo
from codex_lsp.tools.commands import Sandbox
from codex_lsp.tools.lifecycle import ToolCallLife

TRANSCRIPT_CAP = 256 * 1024
LISTED_OUTPUT_MAX = 16 * 1024
"""Characters of a terminal's latest output ``codex/listTerminals`` gives."""
STREAM_RATE = 512 * 1024
"""Bytes per second of a terminal's output streamed to the client (bursts up to as much);
the rest is counted and named in the next delta, so a chatty command cannot flood the editor.
The model and ``codex/listTerminals`` still get the output, head and tail."""


@dataclass
class Terminal:
    """One running command, its item, and what the model has not seen of its output."""

    id: int
    process: TerminalProcess
    item: CommandExecutionItem
    life: ToolCallLife
    call_id: str
    cwd: Path
    sandbox: Sandbox
    """What it runs under: what a later ``write_stdin`` captures for undo follows it."""
    last_used: float = field(default_factory=time.monotonic)
    transcript: HeadTailBuffer = field(default_factory=lambda: HeadTailBuffer(TRANSCRIPT_CAP))
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once ``execCommandEnd`` is sent."""
    stream_budget: float = STREAM_RATE
    stream_refilled: float = field(default_factory=time.monotonic)
    unstreamed: int = 0

    @property
    def command(self) -> list[str]:
        """The command as the model asked for it."""
        return self.item.command

    def info(self, conversation_id: str) -> TerminalInfo:
        """What ``codex/listTerminals`` says about it."""
        head, tail, omitted = self.transcript.snapshot()
        return TerminalInfo(
            conversation_id=conversation_id,
            terminal_id=self.id,
            command=self.command,
            cwd=str(self.cwd),
            tty=self.process.tty,
            call_id=self.call_id,
            running=self.process.running,
            exit_code=self.process.exit_code,
            started_ms_ago=int((time.monotonic() - self.process.started) * 1000),
            output=_text(head, tail, omitted)[-LISTED_OUTPUT_MAX:],
        )

    def stream(self, stream: ExecOutputStream, chunk: str) -> None:
        """Keep a chunk of the command's output and stream it to the client, within
        ``STREAM_RATE`` (what is over is counted and named in the next delta)."""
        data = chunk.encode()
        self.transcript.add(data)
        now = time.monotonic()
        refill = (now - self.stream_refilled) * STREAM_RATE
        self.stream_budget = min(STREAM_RATE, self.stream_budget + refill)
        self.stream_refilled = now
        if len(data) > self.stream_budget:
            self.unstreamed += len(data)
            return
        self.stream_budget -= len(data)
        if self.unstreamed:
            chunk = f"\n[... {self.unstreamed} bytes of output not shown ...]\n{chunk}"
            self.unstreamed = 0
        self.life.emit(
            ExecCommandOutputDeltaEvent(
                turn_id=self.life.session.turn_id,
                item_id=self.item.id,
                call_id=self.call_id,
                stream=stream,
                chunk=chunk,
                terminal_id=self.id,
            )
        )

    def finish(self) -> int:
        """The command has ended: send ``execCommandEnd``, complete the item, set
        :attr:`ended`; returns its exit code (-1 when unknown)."""
        process = self.process
        code = process.exit_code if process.exit_code is not None else -1
        duration_ms = int(((process.ended_at or time.monotonic()) - process.started) * 1000)
        output = output_text(self.transcript.snapshot())
        status = ItemStatus.COMPLETED if code == 0 else ItemStatus.FAILED
        item = self.item
        self.life.finish(
            ExecCommandEndEvent(
                turn_id=self.life.session.turn_id,
                item_id=item.id,
                call_id=self.call_id,
                command=item.command,
                cwd=item.cwd,
                stdout=output,
                stderr="",
                aggregated_output=output,
                exit_code=code,
                duration_ms=duration_ms,
                formatted_output=output,
                status=status,
                terminal_id=self.id,
            ),
            item.model_copy(
                update={
                    "status": status,
                    "aggregated_output": output,
                    "exit_code": code,
                    "duration_ms": duration_ms,
                }
            ),
        )
        self.ended.set()
        return code


def _text(head: bytes, tail: bytes, omitted: int) -> str:
    middle = f"\n[... {omitted} bytes of output omitted ...]\n" if omitted else ""
    return head.decode("utf-8", "replace") + middle + tail.decode("utf-8", "replace")


def output_text(taken: tuple[bytes, bytes, int]) -> str:
    """Output collected from a terminal as text, the bytes dropped from its middle named."""
    return _text(*taken)
