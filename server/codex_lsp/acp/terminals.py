"""Commands in the client's terminals (``terminal/*``), for clients that offer them when
``acp.client_terminals = true``: the client runs the command (still wrapped in the sandbox, which
is just the argv it is given) and shows its output live in the tool call; the agent waits, with
the command's timeout, takes the output for the model, and always releases the terminal. A
cancelled turn kills the command first."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable

from acp.agent.connection import AgentSideConnection
from acp.schema import EnvVariable

from codex_lsp.acp.session import Session
from codex_lsp.exec.runner import TIMEOUT_EXIT_CODE, ExecResult, OutputSink
from codex_lsp.tools.commands import CommandRequest, CommandRunner, run_locally

OUTPUT_BYTE_LIMIT = 1024 * 1024
RELEASE_TIMEOUT_S = 5.0


class ClientTerminals:
    """A :class:`~codex_lsp.tools.commands.CommandRunner` over the client's terminals."""

    def __init__(
        self,
        conn: AgentSideConnection,
        session_id: str,
        shown: Callable[[str, str], None],
    ) -> None:
        """``shown(call_id, terminal_id)`` puts the terminal in the tool call."""
        self._conn = conn
        self._session_id = session_id
        self._shown = shown

    async def __call__(
        self,
        request: CommandRequest,
        on_output: OutputSink | None,
    ) -> ExecResult:
        """Run ``request`` under its sandbox in a new client terminal until it exits, times out
        or is cancelled. The launcher is the client's child, not ours (``our_child=False``):
        the client owns the terminal's life, and the agent kills it on cancel."""
        argv = request.wrapped(our_child=False)
        started = time.monotonic()
        created = await self._conn.create_terminal(
            session_id=self._session_id,
            command=argv[0],
            args=argv[1:],
            env=[EnvVariable(name=k, value=v) for k, v in (request.env or {}).items()],
            cwd=str(request.cwd),
            output_byte_limit=OUTPUT_BYTE_LIMIT,
        )
        terminal = created.terminal_id
        self._shown(request.call_id, terminal)
        timed_out = False
        try:
            try:
                exited = await asyncio.wait_for(
                    self._conn.wait_for_terminal_exit(
                        session_id=self._session_id, terminal_id=terminal
                    ),
                    request.timeout_s,
                )
                exit_code = _exit_code(exited.exit_code, exited.signal)
            except TimeoutError:
                timed_out = True
                exit_code = TIMEOUT_EXIT_CODE
                await self._conn.kill_terminal(session_id=self._session_id, terminal_id=terminal)
            output = await self._conn.terminal_output(
                session_id=self._session_id, terminal_id=terminal
            )
        except BaseException:  # cancelled, or the client failed: never leave it running
            await asyncio.shield(self._stop(terminal, kill=True))
            raise
        await self._stop(terminal, kill=False)
        text = output.output
        if output.truncated:
            text = "[… earlier output left out by the client …]\n" + text
        return ExecResult(
            exit_code=exit_code,
            stdout=text,
            stderr="",
            aggregated_output=text,
            duration_s=time.monotonic() - started,
            timed_out=timed_out,
        )

    async def _stop(self, terminal: str, kill: bool) -> None:
        """Kill (when asked) and always release the terminal; a client that fails to is
        only logged, the command's result stands."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(RELEASE_TIMEOUT_S):
                if kill:
                    await self._conn.kill_terminal(
                        session_id=self._session_id, terminal_id=terminal
                    )
                await self._conn.release_terminal(session_id=self._session_id, terminal_id=terminal)


class SessionCommands:
    """The command runner of one session: the client's terminals when the session uses them
    (``acp.client_terminals`` and a client that offers them), else this server's processes.
    Decided at each command: the runner exists before its session is open."""

    def __init__(
        self,
        session_id: str,
        session_of: Callable[[str], Session | None],
        conn_of: Callable[[], AgentSideConnection | None],
    ) -> None:
        self._session_id = session_id
        self._session_of = session_of
        self._conn_of = conn_of

    async def __call__(
        self,
        request: CommandRequest,
        on_output: OutputSink | None,
    ) -> ExecResult:
        """Run ``request`` where the session runs commands."""
        session, conn = self._session_of(self._session_id), self._conn_of()
        runner: CommandRunner = run_locally
        if session is not None and session.client_terminals and conn is not None:
            shown_in = session

            def shown(call: str, terminal: str) -> None:
                shown_in.update(shown_in.renderer.in_terminal(call, terminal))

            runner = ClientTerminals(conn, self._session_id, shown)
        return await runner(request, on_output)


def _exit_code(code: int | None, signal_name: str | None) -> int:
    """The exit status as a shell reports it (128 + the signal for a killed command)."""
    if code is not None:
        return code
    if signal_name:
        with contextlib.suppress(KeyError, ValueError):
            name = signal_name if signal_name.startswith("SIG") else f"SIG{signal_name}"
            return 128 + signal.Signals[name].value
    return -1
