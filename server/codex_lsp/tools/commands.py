"""Where a tool's command runs. A :class:`CommandRunner` gets the command as the model asked for
it and the sandbox it must run under, wraps it (``exec.sandbox.sandboxed_argv``) and returns how
it ended. :func:`run_locally` is a subprocess of this server (every front end's default), its
launcher tied to the server's life; the ACP front end can run it in its client's terminal
instead."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Protocol

from codex_lsp.exec.runner import ExecResult, OutputSink, run_command
from codex_lsp.exec.sandbox import Policy, sandboxed_argv


class Sandbox(NamedTuple):
    """The sandbox a command runs under: the policy, and the conversation's folder (the
    writable root; never the command's own working folder, which the model chooses)."""

    policy: Policy
    root: Path

    def wrap(self, argv: list[str], *, our_child: bool = True, tty: bool = False) -> list[str]:
        """``argv`` as the launcher runs it under this sandbox (:class:`SandboxError` when
        this machine cannot provide it); ``tty`` when its stdin is a pseudo-terminal."""
        return sandboxed_argv(argv, self.policy, self.root, our_child=our_child, tty=tty)


class CommandRequest(NamedTuple):
    """One command a tool call runs: the argv as the model asked for it, its working folder,
    the sandbox it must run under, the call it belongs to, how long it may take and its
    environment (None: the server's)."""

    argv: list[str]
    cwd: Path
    sandbox: Sandbox
    call_id: str
    timeout_s: float
    env: dict[str, str] | None = None

    def wrapped(self, *, our_child: bool = True) -> list[str]:
        """The argv under its sandbox (see :meth:`Sandbox.wrap`)."""
        return self.sandbox.wrap(self.argv, our_child=our_child)


class CommandRunner(Protocol):
    """Runs one command; raises ``OSError`` when it cannot start and ``SandboxError`` when its
    sandbox cannot be set up. A cancelled caller must find the command stopped."""

    async def __call__(
        self,
        request: CommandRequest,
        on_output: OutputSink | None,
    ) -> ExecResult:
        """Run ``request`` and report its end, its output streamed to ``on_output``."""
        ...


async def run_locally(request: CommandRequest, on_output: OutputSink | None) -> ExecResult:
    """A subprocess of this server, supervised by the launcher, its output streamed (see
    :func:`run_command`)."""
    return await run_command(
        request.wrapped(),
        request.cwd,
        timeout_s=request.timeout_s,
        on_output=on_output,
        env=request.env,
    )
