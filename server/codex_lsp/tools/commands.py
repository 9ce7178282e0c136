"""Where a tool's command runs. A :class:`CommandRunner` gets the command as the model asked for
it and the sandbox it must run under, wraps it (``exec.sandbox.sandboxed_argv``) and returns how
it ended. :func:`run_locally` is a subprocess of this server (every front end's default), its
launcher tied to the server's life; the ACP front end can run it in its client's terminal
instead."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from codex_lsp.exec.runner import ExecResult, OutputSink, run_command
from codex_lsp.exec.sandbox import Policy, sandboxed_argv


@dataclass(frozen=True)
class Sandbox:
    """The sandbox a command runs under: the policy, and the conversation's folder (the
    writable root; never the command's own working folder, which the model chooses)."""

    policy: Policy
    root: Path

    def wrap(self, argv: list[str], *, our_child: bool = True, tty: bool = False) -> list[str]:
        """``argv`` as the launcher runs it under this sandbox (:class:`SandboxError` when
        this machine cannot provide it); ``tty`` when its stdin is a pseudo-terminal."""
        return sandboxed_argv(argv, self.policy, self.root, our_child=our_child, tty=tty)


class CommandRunner(Protocol):
    """Runs one command for the tool call ``call_id``; raises ``OSError`` when it cannot start
    and ``SandboxError`` when its sandbox cannot be set up. A cancelled caller must find the
    command stopped."""

    async def __call__(
        self,
        argv: list[str],
        cwd: Path,
        *,
        sandbox: Sandbox,
        call_id: str,
        timeout_s: float,
        on_output: OutputSink | None,
        env: dict[str, str] | None,
    ) -> ExecResult:
        """Run ``argv`` in ``cwd`` under ``sandbox`` and report its end."""
        ...


async def run_locally(
    argv: list[str],
    cwd: Path,
    *,
    sandbox: Sandbox,
    call_id: str,
    timeout_s: float,
    on_output: OutputSink | None,
    env: dict[str, str] | None,
) -> ExecResult:
    """A subprocess of this server, supervised by the launcher, its output streamed (see
    :func:`run_command`)."""
    return await run_command(
        sandbox.wrap(argv), cwd, timeout_s=timeout_s, on_output=on_output, env=env
    )
