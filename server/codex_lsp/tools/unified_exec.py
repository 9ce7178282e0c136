"""``exec_command`` and ``write_stdin`` (Codex's unified exec): a command that may keep running
after its call returns, as a terminal the model polls and types into.

``exec_command`` takes the same path as ``shell`` (:func:`run_approved`: approval, sandbox, the
retry outside it), starts the command on a pseudo-terminal (``tty``) or pipes, and returns after
``yield_time_ms`` with the output so far: the exit code when it ended, else the ``session_id``
to poll. ``write_stdin`` sends ``chars`` (nothing: a poll) and returns what came since. Output
reaches the model cut to its budget (head and tail kept) in Codex's format, and the client as
``execCommandOutputDelta`` while the command runs, across turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
import time
from dataclasses import dataclass

from pydantic import Field

from codex_lsp.exec.parse import parse_command
from codex_lsp.exec.terminal import TerminalProcess
from codex_lsp.protocol.events import ExecCommandBeginEvent
from codex_lsp.protocol.items import CommandExecutionItem
from codex_lsp.tools.command_call import (
    CommandCall,
    denied_by_sandbox,
    intercept_patch,
    resolve_workdir,
    run_approved,
    sandbox_for,
)
from codex_lsp.tools.lifecycle import ToolCallLife
from codex_lsp.tools.registry import (
    ToolArgs,
    ToolInvocation,
    ToolInvocationError,
    ToolOutput,
    ToolSession,
    parse_arguments,
)
from codex_lsp.tools.specs import SandboxPermissions
from codex_lsp.tools.terminal import Terminal, output_text
from codex_lsp.tools.terminals import MAX_TERMINALS, WARN_TERMINALS
from codex_lsp.tools.truncation import truncate_middle

MIN_YIELD_MS = 250
MAX_YIELD_MS = 30_000
EXEC_YIELD_MS = 10_000
WRITE_YIELD_MS = 250
DEFAULT_MAX_OUTPUT_TOKENS = 10_000
BYTES_PER_TOKEN = 4
END_REPORT_S = 5.0
TERMINAL_ENV = {
    "NO_COLOR": "1",
    "TERM": "dumb",
    "PAGER": "cat",
    "GIT_PAGER": "cat",
    "GH_PAGER": "cat",
    "COLORTERM": "",
}
"""What a terminal's command runs with besides the conversation's environment: nothing pages
or colours output a model reads."""


class ExecCommandArgs(ToolArgs):
    """Arguments of ``exec_command``."""

    cmd: str = Field(min_length=1)
    workdir: str | None = None
    shell: str | None = Field(default=None, min_length=1)
    login: bool = True
    tty: bool = False
    yield_time_ms: int | None = Field(default=None, ge=0)
    max_output_tokens: int | None = Field(default=None, ge=1)
    sandbox_permissions: SandboxPermissions = SandboxPermissions.USE_DEFAULT
    justification: str | None = None


class WriteStdinArgs(ToolArgs):
    """Arguments of ``write_stdin``."""

    session_id: int
    chars: str = ""
    yield_time_ms: int | None = Field(default=None, ge=0)
    max_output_tokens: int | None = Field(default=None, ge=1)


@dataclass(frozen=True)
class _Collected:
    """What one call saw of a terminal."""

    terminal: Terminal
    output: str
    wall_s: float
    exit_code: int | None
    """None while the command runs."""
    warning: str | None = None


def _yield_s(requested: int | None, default: int) -> float:
    return (
        min(max(requested if requested is not None else default, MIN_YIELD_MS), MAX_YIELD_MS) / 1000
    )


def _budget(session: ToolSession, max_output_tokens: int | None) -> int:
    tokens = max_output_tokens or DEFAULT_MAX_OUTPUT_TOKENS
    return min(tokens * BYTES_PER_TOKEN, session.tool_output_max_bytes)


async def _collect(
    session: ToolSession, terminal: Terminal, yield_s: float, started: float
) -> _Collected:
    """The output until ``yield_s`` from now or the command's end (then its end is sent and
    its id forgotten)."""
    process = terminal.process
    loop = asyncio.get_running_loop()
    output = output_text(await process.collect(loop.time() + yield_s))
    exit_code = None
    if not process.running:
        with contextlib.suppress(TimeoutError):  # its end event is late: the answer is not
            await asyncio.wait_for(terminal.ended.wait(), END_REPORT_S)
        session.terminals.forget(terminal)
        exit_code = process.exit_code
    return _Collected(terminal, output, time.monotonic() - started, exit_code)


def _model_output(
    collected: _Collected, session: ToolSession, max_tokens: int | None
) -> ToolOutput:
    """Codex's unified exec answer: chunk id, wall time, exit code or session id, the output's
    size in tokens, and the output cut to the budget."""
    lines = [f"Chunk ID: {secrets.token_hex(3)}", f"Wall time: {collected.wall_s:.4f} seconds"]
    if collected.exit_code is not None:
        lines.append(f"Process exited with code {collected.exit_code}")
    else:
        lines.append(f"Process running with session ID {collected.terminal.id}")
    size = len(collected.output.encode("utf-8"))
    lines.append(f"Original token count: {math.ceil(size / BYTES_PER_TOKEN)}")
    if collected.warning:
        lines.append(f"Warning: {collected.warning}")
    lines += ["Output:", truncate_middle(collected.output, _budget(session, max_tokens))]
    return ToolOutput("\n".join(lines), success=collected.exit_code in (None, 0))


async def handle_exec_command(session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
    """Decide approval as for ``shell``, start the terminal, return after the yield time."""
    args = parse_arguments(ExecCommandArgs, invocation)
    argv = [args.shell or "bash", "-lc" if args.login else "-c", args.cmd]
    call = CommandCall(
        session,
        invocation.call_id,
        argv,
        resolve_workdir("exec_command", session.cwd, args.workdir),
        escalated=args.sandbox_permissions is SandboxPermissions.REQUIRE_ESCALATED,
        justification=args.justification,
    )
    patched = await intercept_patch(call)
    if patched is not None:
        return patched
    yield_s = _yield_s(args.yield_time_ms, EXEC_YIELD_MS)

    async def attempt(life: ToolCallLife, item_id: str, sandboxed: bool) -> _Collected:
        return await session.captured(
            sandbox_for(session, sandboxed),
            lambda: _start(call, life, item_id, sandboxed, tty=args.tty, yield_s=yield_s),
        )

    result = await run_approved(call, attempt, lambda r: denied_by_sandbox(r.exit_code, r.output))
    if isinstance(result, ToolOutput):
        return result
    return _model_output(result, session, args.max_output_tokens)


async def _start(
    call: CommandCall,
    life: ToolCallLife,
    item_id: str,
    sandboxed: bool,
    *,
    tty: bool,
    yield_s: float,
) -> _Collected:
    session, argv, cwd = call.session, call.argv, call.cwd
    terminals = session.terminals
    wrapped = sandbox_for(session, sandboxed).wrap(argv, tty=tty)
    started = time.monotonic()
    terminal_id = terminals.starting(argv, cwd)
    try:
        process = await TerminalProcess.start(
            wrapped, cwd, {**session.command_env(), **TERMINAL_ENV}, tty=tty
        )
    except BaseException as exc:
        terminals.not_started(terminal_id)
        if isinstance(exc, OSError):
            message = f"exec_command: {argv[0]}: {exc.strerror or exc}"
            raise ToolInvocationError(message) from exc
        raise
    parsed = parse_command(argv)
    item = CommandExecutionItem(
        id=item_id, command=argv, cwd=str(cwd), parsed_cmd=parsed, terminal_id=terminal_id
    )
    life.start(
        item,
        ExecCommandBeginEvent(
            turn_id=session.turn_id,
            item_id=item_id,
            call_id=call.call_id,
            command=argv,
            cwd=str(cwd),
            parsed_cmd=parsed,
            terminal_id=terminal_id,
        ),
    )
    terminal = Terminal(
        terminal_id, process, item, life, call.call_id, cwd, sandbox_for(session, sandboxed)
    )
    pruned = terminals.add(terminal)
    try:
        collected = await _collect(session, terminal, yield_s, started)
    finally:
        if process.running:  # returned (or interrupted) while it runs: it lives on
            terminals.detach(terminal)
    warning = None
    if pruned:
        warning = f"session {pruned[0].id} was ended to make room for this one"
    elif len(terminals) >= WARN_TERMINALS:
        warning = (
            f"{len(terminals)} sessions are open; at {MAX_TERMINALS} the least recently used "
            "is ended: reuse or end the ones you do not need"
        )
    return _Collected(terminal, collected.output, collected.wall_s, collected.exit_code, warning)


async def handle_write_stdin(session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
    """Type ``chars`` into a terminal (or just poll it) and return its new output."""
    args = parse_arguments(WriteStdinArgs, invocation)
    terminal = session.terminals.get(args.session_id)
    started = time.monotonic()
    if args.chars:
        if not terminal.process.tty:
            raise ToolInvocationError(
                f"write_stdin: session {args.session_id} has no stdin (it was started without "
                "tty); poll it with empty chars, or start the command with tty=true"
            )
        try:
            await terminal.process.write(args.chars.encode("utf-8"))
        except TimeoutError as exc:
            raise ToolInvocationError(
                f"write_stdin: session {args.session_id} is not reading its input; poll it, or "
                "end it"
            ) from exc
        except BrokenPipeError:
            pass  # it ended meanwhile: the poll below reports its exit
    yield_s = _yield_s(args.yield_time_ms, WRITE_YIELD_MS)
    collected = await session.captured(
        terminal.sandbox, lambda: _collect(session, terminal, yield_s, started)
    )
    return _model_output(collected, session, args.max_output_tokens)
