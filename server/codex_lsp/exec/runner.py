"""Runs one command as a subprocess: output streamed as it comes, a timeout, and cancellation
that stops it at once: SIGTERM to the process the runner started (the sandbox launcher, which
then kills everything the command started and tidies up), then SIGKILL to its process group.

A launcher argv from :func:`codex_lsp.exec.sandbox.sandboxed_argv` is started by the fork server
(:mod:`codex_lsp.exec.spawn`), which runs the same launcher without exec'ing a new interpreter;
any other argv, or a launcher when no fork server can start it, is exec'd."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

from codex_lsp.exec.sandbox import launcher_args
from codex_lsp.protocol.items import ExecOutputStream

if TYPE_CHECKING:
    from codex_lsp.exec.spawn import LaunchedProcess

_Process: TypeAlias = "asyncio.subprocess.Process | LaunchedProcess"

OutputSink = Callable[[ExecOutputStream, str], None]
READ_CHUNK = 8192
TIMEOUT_EXIT_CODE = 124
LOST_STATUS_EXIT_CODE = -1
"""Reported when the command ran but its exit status could not be learnt (see spawn.py)."""
TRUNCATION_MARKER = "\n[... output truncated by codex-lsp ...]\n"
STOP_GRACE_S = 1.0


class StatusLost(OSError):
    """The command ran, but the fork server stopped answering before it reported the exit
    status (it has been killed; the next command starts on a new one)."""

    def __init__(self) -> None:
        super().__init__(
            "the command's exit status was lost: the sandbox's fork server stopped answering "
            "(it has been restarted)"
        )


class _Capture:
    """One stream's output, kept up to ``cap`` characters."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False

    def add(self, text: str) -> str | None:
        """Keep ``text`` within the cap; return what should be streamed, if anything."""
        if self.truncated:
            return None
        room = self.cap - self.size
        if len(text) > room:
            text = text[:room] + TRUNCATION_MARKER
            self.truncated = True
        self.parts.append(text)
        self.size += len(text)
        return text

    def text(self) -> str:
        return "".join(self.parts)


class ExecResult(NamedTuple):
    """How a command ended and what it printed."""

    exit_code: int
    stdout: str
    stderr: str
    aggregated_output: str
    duration_s: float
    timed_out: bool


async def run_command(
    argv: list[str],
    cwd: Path,
    *,
    timeout_s: float,
    on_output: OutputSink | None = None,
    env: dict[str, str] | None = None,
    output_cap: int = 1024 * 1024,
) -> ExecResult:
    """Run ``argv`` in ``cwd``. Raises ``OSError`` when it cannot start; a cancelled caller
    stops the command before the cancellation propagates."""
    started = time.monotonic()
    proc = await _start(argv, cwd, env)
    try:
        return await _follow(proc, started, timeout_s, on_output, output_cap)
    finally:
        if not isinstance(proc, asyncio.subprocess.Process):
            proc.close()


async def _start(argv: list[str], cwd: Path, env: dict[str, str] | None) -> _Process:
    args = launcher_args(argv)
    if args is not None:
        from codex_lsp.exec import spawn  # the fork server's client loads with a first launcher

        if spawn.available():
            try:
                environment = dict(os.environ) if env is None else env
                return await spawn.spawn(args, str(cwd), environment)
            except spawn.ForkServerUnavailable:
                pass  # exec'd below: the same launcher
    return await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(cwd),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )


async def _follow(
    proc: _Process,
    started: float,
    timeout_s: float,
    on_output: OutputSink | None,
    output_cap: int,
) -> ExecResult:
    out, err = _Capture(output_cap), _Capture(output_cap)
    aggregated: list[str] = []

    async def pump(
        reader: asyncio.StreamReader | None, which: ExecOutputStream, capture: _Capture
    ) -> None:
        if reader is None:
            return
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        while chunk := await reader.read(READ_CHUNK):
            text = decoder.decode(chunk)
            kept = capture.add(text) if text else None
            if kept:
                aggregated.append(kept)
                if on_output is not None:
                    on_output(which, kept)
        tail = decoder.decode(b"", final=True)
        if tail and (kept := capture.add(tail)):
            aggregated.append(kept)

    pumps = asyncio.gather(
        pump(proc.stdout, ExecOutputStream.STDOUT, out),
        pump(proc.stderr, ExecOutputStream.STDERR, err),
    )
    timed_out = False
    try:
        await asyncio.wait_for(asyncio.shield(pumps), timeout_s)
        exit_code = await asyncio.wait_for(proc.wait(), timeout_s)
    except StatusLost as exc:  # the output is whole; only the status is unknown
        exit_code = LOST_STATUS_EXIT_CODE
        note = f"\ncodex-lsp: {exc}"
        err.parts.append(note)  # past the cap too: the user must see it
        aggregated.append(note)
    except TimeoutError:
        timed_out = True
        await _stop(proc, pumps)
        exit_code = TIMEOUT_EXIT_CODE
    except asyncio.CancelledError:
        await _stop(proc, pumps)
        raise
    return ExecResult(
        exit_code=exit_code,
        stdout=out.text(),
        stderr=err.text(),
        aggregated_output="".join(aggregated),
        duration_s=time.monotonic() - started,
        timed_out=timed_out,
    )


async def _stop(proc: _Process, pumps: asyncio.Future[Any]) -> None:
    """SIGTERM to the leader, a short grace for it to end what it started, then SIGKILL to
    whatever is left of its process group (which the leader of a session started it in)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        proc.send_signal(signal.SIGTERM)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(proc.wait(), STOP_GRACE_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(proc.wait(), 5)
    pumps.cancel()
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(pumps, 1)
