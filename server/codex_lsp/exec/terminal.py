"""A long-running command (a terminal of ``exec_command``): started on a pseudo-terminal or on
pipes, read without blocking the event loop, written to, and stopped with everything it started.

The argv is already wrapped by the sandbox launcher (``exec.sandbox.sandboxed_argv`` with
``tty``), which ties the command's life to the server's (a parent-death signal) and, when it
ends or is told to stop, kills every process the command started. Output is kept in a
:class:`HeadTailBuffer` until someone collects it, so a chatty process cannot grow the server.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import errno
import fcntl
import os
import pty
import signal
import struct
import termios
import time
from collections.abc import Callable
from pathlib import Path

from codex_lsp.background import create_task
from codex_lsp.protocol.items import ExecOutputStream

READ_CHUNK = 65536
READ_RATE = 8 * 1024 * 1024
"""Bytes per second read from one terminal; beyond it reading pauses, so a command that
prints without end (``yes``) waits on its full pipe as on a terminal nobody reads, instead of
keeping the server's event loop busy."""
READ_WINDOW_S = 0.1
BUFFER_CAP = 1024 * 1024
STOP_GRACE_S = 1.0
WRITE_TIMEOUT_S = 5.0
EXIT_DRAIN_S = 0.05
TERMINAL_ROWS, TERMINAL_COLUMNS = 24, 80

OutputListener = Callable[[ExecOutputStream, str], None]


class HeadTailBuffer:
    """Text kept within ``cap`` bytes: the first half and the last half of what came, with a
    count of the bytes dropped between them."""

    def __init__(self, cap: int = BUFFER_CAP) -> None:
        self.cap = cap
        self._head: list[bytes] = []
        self._head_size = 0
        self._tail: list[bytes] = []
        self._tail_size = 0
        self.omitted = 0

    def __len__(self) -> int:
        """The bytes kept."""
        return self._head_size + self._tail_size

    def add(self, data: bytes) -> None:
        """Keep ``data``: in the head while it has room, then in the tail, dropping the oldest
        tail bytes beyond the cap."""
        half = self.cap // 2
        room = half - self._head_size
        if room > 0:
            self._head.append(data[:room])
            self._head_size += min(room, len(data))
            data = data[room:]
        if not data:
            return
        self._tail.append(data)
        self._tail_size += len(data)
        while self._tail_size > self.cap - half:
            excess = self._tail_size - (self.cap - half)
            first = self._tail[0]
            if len(first) <= excess:
                self._tail.pop(0)
                self._tail_size -= len(first)
                self.omitted += len(first)
            else:
                self._tail[0] = first[excess:]
                self._tail_size -= excess
                self.omitted += excess

    def snapshot(self) -> tuple[bytes, bytes, int]:
        """Head, tail and the bytes omitted between them."""
        return b"".join(self._head), b"".join(self._tail), self.omitted

    def take(self) -> tuple[bytes, bytes, int]:
        """The same as :meth:`snapshot`; the buffer is empty afterwards."""
        taken = self.snapshot()
        self._head, self._tail = [], []
        self._head_size = self._tail_size = self.omitted = 0
        return taken


class TerminalProcess:
    """One running command and its output. Create it with :meth:`start`."""

    def __init__(
        self, proc: asyncio.subprocess.Process, tty: bool, readers: dict[int, ExecOutputStream]
    ) -> None:
        self._proc = proc
        self.tty = tty
        self.pid = proc.pid
        self.started = time.monotonic()
        self._readers = dict(readers)
        self._write_fd = next(iter(readers)) if tty else None
        self._decoders = {
            fd: codecs.getincrementaldecoder("utf-8")("replace") for fd in self._readers
        }
        self.pending = HeadTailBuffer()
        """Output nobody has collected yet (what the next ``write_stdin`` returns)."""
        self.listeners: list[OutputListener] = []
        self._changed = asyncio.Event()
        self.exit_code: int | None = None
        self.ended_at: float | None = None
        self._closed = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._window_start = self._loop.time()
        self._window_bytes = 0
        self._paused = False
        for fd in self._readers:
            os.set_blocking(fd, False)
        self._listen()
        self._waiter = create_task(self._wait(), name="terminal-wait")

    @classmethod
    async def start(
        cls, argv: list[str], cwd: Path, env: dict[str, str] | None, *, tty: bool
    ) -> TerminalProcess:
        """Start ``argv`` in ``cwd``, in a session of its own: with ``tty``, on a new
        pseudo-terminal (stdin, stdout and stderr; the launcher makes it the controlling
        terminal); otherwise with stdin closed and stdout and stderr on two pipes. Raises
        ``OSError`` when it cannot start."""
        if tty:
            parent, child = pty.openpty()
            winsize = struct.pack("HHHH", TERMINAL_ROWS, TERMINAL_COLUMNS, 0, 0)
            fcntl.ioctl(child, termios.TIOCSWINSZ, winsize)
            ends: tuple[int | None, int, int] = (child, child, child)
            readers = {parent: ExecOutputStream.STDOUT}
            ours, theirs = [parent], [child]
        else:
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            ends = (None, out_w, err_w)
            readers = {out_r: ExecOutputStream.STDOUT, err_r: ExecOutputStream.STDERR}
            ours, theirs = [out_r, err_r], [out_w, err_w]
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=str(cwd),
                env=env,
                stdin=ends[0] if ends[0] is not None else asyncio.subprocess.DEVNULL,
                stdout=ends[1],
                stderr=ends[2],
                start_new_session=True,
            )
        except BaseException:
            for fd in ours:
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        return cls(proc, tty, readers)

    # ------------------------------------------------------------------ output
    def _listen(self) -> None:
        self._paused = False
        for fd in self._readers:
            self._loop.add_reader(fd, self._read, fd)

    def _throttle(self, size: int) -> None:
        """Pause reading until the window ends once it read its share of ``READ_RATE``."""
        now = self._loop.time()
        if now - self._window_start >= READ_WINDOW_S:
            self._window_start, self._window_bytes = now, 0
        self._window_bytes += size
        if self._window_bytes >= READ_RATE * READ_WINDOW_S and not self._paused:
            self._paused = True
            for fd in self._readers:
                self._loop.remove_reader(fd)
            self._loop.call_later(self._window_start + READ_WINDOW_S - now, self._listen)

    def _read(self, fd: int) -> None:
        try:
            data = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as exc:  # EIO: every process holding the terminal has closed it
            if exc.errno != errno.EIO:
                raise
            data = b""
        if not data:
            self._close_reader(fd)
            return
        self._throttle(len(data))
        self.pending.add(data)
        text = self._decoders[fd].decode(data)
        if text:
            stream = self._readers[fd]
            for listener in list(self.listeners):
                listener(stream, text)
        self._changed.set()

    def _close_reader(self, fd: int) -> None:
        if fd not in self._readers:
            return
        self._loop.remove_reader(fd)
        del self._readers[fd]
        if fd != self._write_fd:
            os.close(fd)
        if not self._readers:
            self._changed.set()

    async def _wait(self) -> None:
        code = await self._proc.wait()
        # what it wrote just before it ended may still be in the pipes
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained(), EXIT_DRAIN_S)
        for fd in list(self._readers):
            self._close_reader(fd)
        if self._write_fd is not None:
            os.close(self._write_fd)
            self._write_fd = None
        self.exit_code = code
        self.ended_at = time.monotonic()
        self._closed.set()
        self._changed.set()

    async def _drained(self) -> None:
        while self._readers:
            self._changed.clear()
            await self._changed.wait()

    @property
    def running(self) -> bool:
        """True until the command has ended and its output is read."""
        return not self._closed.is_set()

    async def wait_closed(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the end; True when it ended."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), timeout_s)
        return self._closed.is_set()

    async def collect(self, deadline: float) -> tuple[bytes, bytes, int]:
        """Wait until the loop's clock reaches ``deadline`` or the command ends, then take
        the output so far (head, tail, bytes omitted between them)."""
        loop = asyncio.get_running_loop()
        while self.running:
            left = deadline - loop.time()
            if left <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), left)
        return self.pending.take()

    # ------------------------------------------------------------------ input
    async def write(self, data: bytes) -> None:
        """Send ``data`` to the terminal. Raises ``BrokenPipeError`` when there is no terminal
        to write to any more (the command ended), ``TimeoutError`` when the command has not
        read its input for ``WRITE_TIMEOUT_S``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WRITE_TIMEOUT_S
        while data:
            fd = self._write_fd
            if fd is None:
                raise BrokenPipeError(errno.EPIPE, "the command has ended")
            try:
                written = os.write(fd, data)
            except BlockingIOError:
                if loop.time() > deadline:
                    raise TimeoutError("the command is not reading its input") from None
                await asyncio.sleep(0.01)
                continue
            except OSError as exc:
                raise BrokenPipeError(errno.EPIPE, "the command has ended") from exc
            data = data[written:]

    # ------------------------------------------------------------------ stop
    async def stop(self) -> None:
        """End the command and everything it started: SIGTERM to the launcher (which kills
        them all and tidies up), then, after a short grace, SIGKILL to its process group."""
        if not self.running:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGTERM)
        if await self.wait_closed(STOP_GRACE_S):
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        await self.wait_closed(STOP_GRACE_S * 5)
