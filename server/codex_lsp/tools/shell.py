"""``shell``: run a command (argv, or one script string) under the sandbox and approval policy.

Output streams to the client as ``execCommandOutputDelta`` events; the model gets the exit code,
the duration and the output cut to its budget (head and tail kept).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from codex_lsp.errors import SandboxError
from codex_lsp.exec.parse import parse_command
from codex_lsp.exec.runner import ExecResult
from codex_lsp.protocol.events import (
    ExecCommandBeginEvent,
    ExecCommandEndEvent,
    ExecCommandOutputDeltaEvent,
)
from codex_lsp.protocol.items import CommandExecutionItem, ExecOutputStream, ItemStatus
from codex_lsp.tools.command_call import (
    CommandCall,
    denied_by_sandbox,
    intercept_patch,
    resolve_workdir,
    run_approved,
    sandbox_for,
)
from codex_lsp.tools.commands import CommandRequest
from codex_lsp.tools.lifecycle import ToolCallLife
from codex_lsp.tools.registry import (
    ToolArgs,
    ToolInvocation,
    ToolInvocationError,
    ToolOutput,
    ToolSession,
    parse_arguments,
)
from codex_lsp.tools.truncation import truncate_middle

DEFAULT_TIMEOUT_MS = 10_000
MAX_TIMEOUT_MS = 30 * 60 * 1000


class ShellArgs(ToolArgs):
    """Arguments of ``shell``."""

    command: list[str] | str
    workdir: str | None = None
    timeout_ms: int | None = Field(default=None, ge=1, le=MAX_TIMEOUT_MS)
    with_escalated_permissions: bool = False
    justification: str | None = None


async def handle_shell(session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
    """Decide approval, run, report."""
    args = parse_arguments(ShellArgs, invocation)
    argv = ["bash", "-lc", args.command] if isinstance(args.command, str) else list(args.command)
    if not argv or not argv[0]:
        raise ToolInvocationError("shell: command must not be empty")
    call = CommandCall(
        session,
        invocation.call_id,
        argv,
        resolve_workdir("shell", session.cwd, args.workdir),
        escalated=args.with_escalated_permissions,
        justification=args.justification,
    )
    patched = await intercept_patch(call)
    if patched is not None:
        return patched
    timeout_s = (args.timeout_ms or DEFAULT_TIMEOUT_MS) / 1000

    async def attempt(life: ToolCallLife, item_id: str, sandboxed: bool) -> ExecResult:
        return await _run_item(
            _Command(session, life, call.call_id, argv, call.cwd, timeout_s),
            item_id,
            sandboxed=sandboxed,
        )

    result = await run_approved(
        call, attempt, lambda r: denied_by_sandbox(r.exit_code, r.aggregated_output)
    )
    if isinstance(result, ToolOutput):
        return result
    return _model_output(result, session.tool_output_max_bytes)


@dataclass(frozen=True)
class _Command:
    """One attempt at a command the model asked for."""

    session: ToolSession
    life: ToolCallLife
    call_id: str
    argv: list[str]
    cwd: Path
    timeout_s: float


async def _run_item(command: _Command, item_id: str, *, sandboxed: bool) -> ExecResult:
    session, argv, cwd, call_id = command.session, command.argv, command.cwd, command.call_id
    parsed = parse_command(argv)
    turn_id = session.turn_id
    item = CommandExecutionItem(id=item_id, command=argv, cwd=str(cwd), parsed_cmd=parsed)
    command.life.start(
        item,
        ExecCommandBeginEvent(
            turn_id=turn_id,
            item_id=item_id,
            call_id=call_id,
            command=argv,
            cwd=str(cwd),
            parsed_cmd=parsed,
        ),
    )

    def on_output(stream: ExecOutputStream, chunk: str) -> None:
        session.emit(
            ExecCommandOutputDeltaEvent(
                turn_id=turn_id, item_id=item_id, call_id=call_id, stream=stream, chunk=chunk
            )
        )

    started = time.monotonic()
    try:
        request = CommandRequest(
            argv,
            cwd,
            sandbox_for(session, sandboxed),
            call_id,
            command.timeout_s,
            env=session.command_env(),
        )
        result = await session.run_command(request, on_output)
    except (SandboxError, OSError) as exc:
        message = (
            exc.message if isinstance(exc, SandboxError) else f"{argv[0]}: {exc.strerror or exc}"
        )
        result = ExecResult(
            exit_code=-1,
            stdout="",
            stderr=message,
            aggregated_output=message,
            duration_s=time.monotonic() - started,
            timed_out=False,
        )
    if result.timed_out:
        note = f"\ncommand timed out after {result.duration_s:.1f}s and was killed"
        result = result._replace(
            aggregated_output=result.aggregated_output + note, stderr=result.stderr + note
        )
    status = ItemStatus.COMPLETED if result.exit_code == 0 else ItemStatus.FAILED
    duration_ms = int(result.duration_s * 1000)
    command.life.finish(
        ExecCommandEndEvent(
            turn_id=turn_id,
            item_id=item_id,
            call_id=call_id,
            command=argv,
            cwd=str(cwd),
            stdout=result.stdout,
            stderr=result.stderr,
            aggregated_output=result.aggregated_output,
            exit_code=result.exit_code,
            duration_ms=duration_ms,
            formatted_output=result.aggregated_output,
            status=status,
        ),
        item.model_copy(
            update={
                "status": status,
                "aggregated_output": result.aggregated_output,
                "exit_code": result.exit_code,
                "duration_ms": duration_ms,
            }
        ),
    )
    return result


def _model_output(result: ExecResult, budget: int) -> ToolOutput:
    body = {
        "output": truncate_middle(result.aggregated_output, budget),
        "metadata": {
            "exit_code": result.exit_code,
            "duration_seconds": round(result.duration_s, 1),
        },
    }
    return ToolOutput(json.dumps(body), success=result.exit_code == 0)
