"""Running one lifecycle hook: a shell command given the event as JSON on stdin.

The hook runs as a child process of its own process group (``sh -c COMMAND``), never on the event
loop's thread; its stdin gets the event, its stdout and stderr are read up to
:data:`MAX_OUTPUT_BYTES` each (the rest is drained and dropped), and after its timeout the whole
group is killed. Whatever it does — exit non-zero, hang, print garbage, close stdin — comes back
as a :class:`HookRun`; nothing here raises for a hook's behaviour.

What the output means follows Codex and Claude Code: exit 0 with JSON on stdout (``{"decision":
"block", "reason": ...}`` or ``{"hookSpecificOutput": {"permissionDecision": "deny",
"permissionDecisionReason": ...}}``) or exit 2 with the reason on stderr block the action; any
other exit is a failure that is reported and otherwise ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path
from typing import Any, NamedTuple

MAX_OUTPUT_BYTES = 64 * 1024
"""Most bytes of a hook's stdout (and of its stderr) that are kept."""
_REASON_CHARS = 2000
"""Most characters of a block reason or a failure's stderr passed on."""


class HookCommand(NamedTuple):
    """One configured hook."""

    event: str
    command: str
    timeout_s: float
    source: str
    """The file it was configured in, for reports."""


class HookRun(NamedTuple):
    """What one run of a hook said."""

    hook: HookCommand
    blocked: bool = False
    reason: str | None = None
    """Why it blocked (shown to the model or the user)."""
    problem: str | None = None
    """What went wrong with the hook, to report (a failed hook never blocks)."""


async def _read_capped(stream: asyncio.StreamReader | None) -> bytes:
    """Up to :data:`MAX_OUTPUT_BYTES` of ``stream``, then drain the rest to EOF."""
    if stream is None:
        return b""
    kept = bytearray()
    while chunk := await stream.read(65536):
        if len(kept) < MAX_OUTPUT_BYTES:
            kept += chunk[: MAX_OUTPUT_BYTES - len(kept)]
    return bytes(kept)


async def _feed(stdin: asyncio.StreamWriter | None, data: bytes) -> None:
    """Write the event; a hook that does not read it (closed stdin) is fine."""
    if stdin is None:
        return
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stdin.write(data)
        await stdin.drain()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stdin.close()
        await stdin.wait_closed()


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def run_hook(
    hook: HookCommand, event: dict[str, Any], cwd: Path, env: dict[str, str]
) -> HookRun:
    """Run ``hook`` on ``event`` in ``cwd`` with ``env``; cancelling the caller kills it."""
    data = json.dumps(event, ensure_ascii=False).encode("utf-8")
    try:
        process = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            hook.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        return HookRun(hook, problem=f"could not start: {exc.strerror or exc}")
    try:
        async with asyncio.timeout(hook.timeout_s):
            stdout, stderr, _ = await asyncio.gather(
                _read_capped(process.stdout),
                _read_capped(process.stderr),
                _feed(process.stdin, data),
            )
            code = await process.wait()
    except TimeoutError:
        return HookRun(hook, problem=f"timed out after {hook.timeout_s:g}s and was stopped")
    finally:
        if process.returncode is None:
            _kill_group(process)
            with contextlib.suppress(ProcessLookupError):
                await asyncio.shield(process.wait())
    return interpret(
        hook, code, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")
    )


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _REASON_CHARS else text[:_REASON_CHARS] + "…"


def interpret(hook: HookCommand, code: int, stdout: str, stderr: str) -> HookRun:
    """What an exit code and output mean (see the module docstring)."""
    if code == 2:
        reason = _short(stderr)
        if reason:
            return HookRun(hook, blocked=True, reason=reason)
        return HookRun(hook, problem="exited with code 2 but wrote no reason on stderr")
    if code != 0:
        detail = f": {_short(stderr)}" if stderr.strip() else ""
        return HookRun(hook, problem=f"exited with code {code}{detail}")
    text = stdout.strip()
    if not text.startswith(("{", "[")):
        return HookRun(hook)  # plain text (or nothing): informational, like Codex
    try:
        output = json.loads(text)
    except ValueError:
        return HookRun(hook, problem="printed invalid JSON on stdout; its output is ignored")
    if not isinstance(output, dict):
        return HookRun(hook, problem="printed JSON that is not an object; its output is ignored")
    return _decision(hook, output)


def _decision(hook: HookCommand, output: dict[str, Any]) -> HookRun:
    specific = output.get("hookSpecificOutput")
    if isinstance(specific, dict) and specific.get("permissionDecision") == "deny":
        reason = specific.get("permissionDecisionReason")
        return HookRun(hook, blocked=True, reason=_short(str(reason or "denied by a hook")))
    if output.get("decision") == "block" or output.get("continue") is False:
        reason = output.get("reason") or output.get("stopReason")
        return HookRun(hook, blocked=True, reason=_short(str(reason or "blocked by a hook")))
    return HookRun(hook)
