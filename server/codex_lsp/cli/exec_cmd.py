"""``codex-lsp exec``: one conversation, headless. The final answer goes to stdout, the event
stream to stderr (or, with ``--json``, every event as a JSON line on stdout). Exit status: 0 on
success, 1 when the turn failed, 2 for bad usage or configuration, 130 when interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

from codex_lsp.cli.render import EventPrinter
from codex_lsp.cli.terminal_input import ask_in_terminal, show_link
from codex_lsp.config.loader import load_layered
from codex_lsp.config.overrides import ConfigOverrides
from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.errors import CodexError, ConfigError, ProviderError
from codex_lsp.protocol.events import (
    ErrorEvent,
    EventEnvelope,
    ShutdownCompleteEvent,
    TaskCompleteEvent,
    TurnAbortedEvent,
)
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import InterruptOp, ShutdownOp, UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.speckit.front import speckit_router

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _read_prompt(arg: str | None) -> str | None:
    if arg is not None and arg != "-":
        return arg
    if arg is None and sys.stdin.isatty():
        return None
    return sys.stdin.read()


def _check_config(args: argparse.Namespace, overrides: ConfigOverrides) -> None:
    """Load the configuration as the user wrote it, before exec forces ``approval_policy =
    never`` and the sandbox flags over it: a value there that is invalid is reported (as
    :class:`ConfigError`), not silently replaced."""
    load_layered(overrides, workspace=Path(args.cwd or ".").resolve())


def _exec_overrides(args: argparse.Namespace, overrides: ConfigOverrides) -> ConfigOverrides:
    out: dict[str, Any] = {"approval_policy": "never", **overrides}
    if args.full_auto:
        out.update({"sandbox_mode": "workspace-write", "approval_policy": "never"})
    if args.yolo:
        out.update({"sandbox_mode": "danger-full-access", "approval_policy": "never"})
    if args.sandbox:
        out["sandbox_mode"] = args.sandbox
    return out


class _Outcome:
    """Collects how the turn ended."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.closed = asyncio.Event()
        self.final: str | None = None
        self.failed = False
        self.aborted = False

    def observe(self, event: EventEnvelope) -> None:
        msg = event.msg
        if isinstance(msg, ErrorEvent):
            self.failed = True
        elif isinstance(msg, TaskCompleteEvent):
            self.final = msg.last_agent_message
            self.done.set()
        elif isinstance(msg, TurnAbortedEvent):
            self.aborted = True
            self.done.set()
        elif isinstance(msg, ShutdownCompleteEvent):
            self.closed.set()


async def _run(prompt: str, args: argparse.Namespace, overrides: ConfigOverrides) -> int:
    outcome = _Outcome()
    printer = EventPrinter(sys.stderr)

    def sink(event: EventEnvelope) -> None:
        outcome.observe(event)
        if args.json:
            sys.stdout.write(event.to_wire_json() + "\n")
            sys.stdout.flush()
        else:
            printer(event)

    front_end = FrontEnd(sink, user_input=ask_in_terminal, open_url=show_link)
    manager = ConversationManager(
        front_end, ConfigSources(cli_overrides=overrides), router=speckit_router
    )
    try:
        return await _converse(manager, prompt, args, outcome)
    finally:
        await manager.shutdown_all()


async def _converse(
    manager: ConversationManager, prompt: str, args: argparse.Namespace, outcome: _Outcome
) -> int:
    """Run one conversation of one turn; the exit code says how it ended."""
    cwd = Path(args.cwd) if args.cwd else None
    try:
        config = manager.load_config(NewConversationParams(cwd=cwd)).config
        if manager.start_mcp(config):
            limit = max(c.startup_timeout_sec for c in config.mcp_servers.values())
            await manager.mcp.wait_started(limit + 1)
        for status in manager.mcp.statuses():
            if status.state == "failed":
                print(f"codex-lsp exec: MCP server {status.name}: {status.reason}", file=sys.stderr)
        conv = await manager.new_conversation(NewConversationParams(cwd=cwd))
    except CodexError as exc:
        print(f"codex-lsp exec: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGINT, lambda: conv.submit(InterruptOp()))
    conv.submit(UserInputOp(items=[TextInput(text=prompt)]))
    await outcome.done.wait()
    conv.submit(ShutdownOp())
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(outcome.closed.wait(), 10)
    if outcome.aborted:
        return EXIT_INTERRUPTED
    if outcome.final is not None and args.output_last_message:
        await asyncio.to_thread(Path(args.output_last_message).write_text, outcome.final, "utf-8")
    if outcome.failed:
        return EXIT_FAILED
    if not args.json and outcome.final is not None:
        print(outcome.final)
    return EXIT_OK


def run_headless(prompt: str, cwd: Path, overrides: ConfigOverrides) -> int:
    """``prompt`` as ``codex-lsp exec -C cwd prompt`` runs it, with exec's defaults."""
    args = argparse.Namespace(
        prompt=prompt,
        cwd=str(cwd),
        json=False,
        output_last_message=None,
        full_auto=False,
        yolo=False,
        sandbox=None,
    )
    return _run_checked(prompt, args, overrides, "codex-lsp")


def _run_checked(
    prompt: str, args: argparse.Namespace, overrides: ConfigOverrides, name: str
) -> int:
    """Check the configuration, then run the conversation; a configuration or provider
    problem is reported with what to fix."""
    try:
        _check_config(args, overrides)
        return asyncio.run(_run(prompt, args, _exec_overrides(args, overrides)))
    except (ConfigError, ProviderError) as exc:
        print(f"{name}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def run_exec(args: argparse.Namespace, overrides: ConfigOverrides) -> int:
    """Entry point of ``codex-lsp exec``."""
    prompt = _read_prompt(args.prompt)
    if not prompt or not prompt.strip():
        print(
            "codex-lsp exec: no prompt given. Pass one as an argument or on stdin: "
            'codex-lsp exec "fix the failing test"',
            file=sys.stderr,
        )
        return EXIT_USAGE
    from codex_lsp.cli.speckit_cmd import run_slash

    answered = run_slash(prompt, Path(args.cwd or "."), overrides, args.json)
    if answered is not None:
        return answered
    return _run_checked(prompt, args, overrides, "codex-lsp exec")
