"""``codex-lsp exec``: one conversation, headless. The final answer goes to stdout, the event
stream to stderr (or, with ``--json``, every event as a JSON line on stdout). Exit status: 0 on
success, 1 when the turn failed, 2 for bad usage or configuration, 130 when interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from codex_lsp.cli.exec_options import (
    ExecOptions,
    answer_problem,
    check_git_repository,
    check_options,
    sandbox_overrides,
    turn_op,
)
from codex_lsp.cli.exec_resume import check_resume_args, find_conversation
from codex_lsp.cli.exec_review import blocking, print_review, review_op
from codex_lsp.cli.render import EventPrinter
from codex_lsp.cli.terminal_input import ask_in_terminal, show_link
from codex_lsp.config.loader import LoadedConfig, load_layered
from codex_lsp.config.overrides import ConfigOverrides
from codex_lsp.core import ConfigSources, Conversation, ConversationManager, FrontEnd
from codex_lsp.core.supervisor import CommandRouter, TurnBody
from codex_lsp.errors import CodexError, ConfigError, ProviderError
from codex_lsp.protocol.conversations import NewConversationParams
from codex_lsp.protocol.events import (
    ErrorEvent,
    EventEnvelope,
    ExitedReviewModeEvent,
    ShutdownCompleteEvent,
    TaskCompleteEvent,
    TurnAbortedEvent,
)
from codex_lsp.protocol.items import ReviewOutput, TextInput, UserInputItem
from codex_lsp.protocol.ops import InterruptOp, ReviewOp, ShutdownOp, UserTurnOp

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
ExecOp = UserTurnOp | ReviewOp
"""What one exec run submits: a turn, or (``exec review``) a review."""


def _read_prompt(arg: str | None) -> str | None:
    if arg is not None and arg != "-":
        return arg
    if arg is None and sys.stdin.isatty():
        return None
    try:
        return sys.stdin.read()
    except UnicodeDecodeError:
        raise ConfigError("the prompt on stdin is not UTF-8 text") from None


def _check_config(args: argparse.Namespace, overrides: ConfigOverrides) -> LoadedConfig:
    """Load the configuration as the user wrote it, before exec forces ``approval_policy =
    never`` and the sandbox flags over it: a value there that is invalid is reported (as
    :class:`ConfigError`), not silently replaced."""
    return load_layered(overrides, workspace=Path(args.cwd or ".").resolve())


class _Outcome:
    """Collects how the turn ended."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.closed = asyncio.Event()
        self.final: str | None = None
        self.failed = False
        self.aborted = False
        self.review: ReviewOutput | None = None

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
        elif isinstance(msg, ExitedReviewModeEvent):
            self.review = msg.review
        elif isinstance(msg, ShutdownCompleteEvent):
            self.closed.set()


def _speckit_router(manager: ConversationManager) -> CommandRouter:
    """spec-kit's router, imported with the first message that starts with a slash: a plain
    prompt never pays for spec-kit's modules (~40 ms of a turn's start)."""
    built: list[CommandRouter] = []

    def router(items: list[UserInputItem]) -> TurnBody | None:
        first = items[0] if items else None
        if not (isinstance(first, TextInput) and first.text.lstrip().startswith("/")):
            return None  # not a command: what speckit_router would say too
        if not built:
            from codex_lsp.speckit.front import speckit_router

            built.append(speckit_router(manager))
        return built[0](items)

    return router


async def _run(
    op: ExecOp, args: argparse.Namespace, opts: ExecOptions, overrides: ConfigOverrides
) -> int:
    outcome = _Outcome()
    printer = EventPrinter(sys.stderr)
    codex = None
    if args.json_format == "codex":
        from codex_lsp.cli.codex_jsonl import CodexJsonl  # only this format needs its models

        codex = CodexJsonl()

    def sink(event: EventEnvelope) -> None:
        outcome.observe(event)
        if codex is not None:
            lines = [line.to_line() for line in codex(event)]
            sys.stdout.write("".join(f"{line}\n" for line in lines))
            sys.stdout.flush()
        elif args.json:
            sys.stdout.write(event.to_wire_json() + "\n")
            sys.stdout.flush()
        else:
            printer(event)

    front_end = FrontEnd(sink, user_input=ask_in_terminal, open_url=show_link)
    manager = ConversationManager(
        front_end, ConfigSources(cli_overrides=overrides), router=_speckit_router
    )
    try:
        return await _converse(manager, op, args, opts, outcome)
    finally:
        await manager.shutdown_all()


async def _open(manager: ConversationManager, args: argparse.Namespace, cwd: Path) -> Conversation:
    """A new conversation, or (``exec resume``) the stored one asked for."""
    if args.subcommand != "resume":
        return await manager.new_conversation(NewConversationParams(cwd=cwd))
    conversation_id = await find_conversation(manager, args, cwd)
    await manager.resume(conversation_id)
    return manager.get(conversation_id)


async def _converse(
    manager: ConversationManager,
    op: ExecOp,
    args: argparse.Namespace,
    opts: ExecOptions,
    outcome: _Outcome,
) -> int:
    """Run one turn (or review) in a new (or resumed) conversation; the exit code says how it
    ended."""
    try:
        config = manager.load_config(NewConversationParams(cwd=opts.cwd)).config
        if manager.start_mcp(config):
            limit = max(c.startup_timeout_sec for c in config.mcp_servers.values())
            await manager.mcp.wait_started(limit + 1)
        for status in manager.mcp.statuses():
            if status.state == "failed":
                print(f"codex-lsp exec: MCP server {status.name}: {status.reason}", file=sys.stderr)
        conv = await _open(manager, args, opts.cwd)
    except CodexError as exc:
        print(f"codex-lsp exec: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGINT, lambda: conv.submit(InterruptOp()))
    conv.submit(op)
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
    if outcome.review is not None:
        if not args.json:
            print_review(outcome.review, sys.stdout)
        found = blocking(outcome.review, args.fail_on)
        if found:
            print(
                f"codex-lsp exec review: {len(found)} finding(s) at {args.fail_on} or above",
                file=sys.stderr,
            )
            return EXIT_FAILED
        return EXIT_OK
    if opts.output_schema is not None:
        problem = answer_problem(outcome.final or "", opts.output_schema)
        if problem is not None:
            print(
                f"codex-lsp exec: the final answer does not match --output-schema "
                f"{args.output_schema}: {problem}",
                file=sys.stderr,
            )
            return EXIT_FAILED
    if not args.json and outcome.final is not None:
        print(outcome.final)
    return EXIT_OK


def run_headless(prompt: str, cwd: Path, overrides: ConfigOverrides) -> int:
    """``prompt`` as ``codex-lsp exec -C cwd prompt`` runs it, with exec's defaults."""
    args = argparse.Namespace(
        prompt=prompt,
        subcommand=None,
        cwd=str(cwd),
        json=False,
        json_format=None,
        output_last_message=None,
        output_schema=None,
        images=None,
        add_dirs=None,
        ephemeral=False,
        full_auto=False,
        yolo=False,
        sandbox=None,
        skip_git_repo_check=True,
    )
    opts = ExecOptions(cwd=cwd, images=[], output_schema=None)
    try:
        op = turn_op(prompt, opts)
    except ConfigError as exc:
        print(f"codex-lsp: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    return _run_checked(op, args, opts, overrides, "codex-lsp")


def _run_checked(
    op: ExecOp,
    args: argparse.Namespace,
    opts: ExecOptions,
    overrides: ConfigOverrides,
    name: str,
) -> int:
    """Check the configuration and the flags, then run the conversation; a configuration,
    flag or provider problem is reported with what to fix."""
    try:
        loaded = _check_config(args, overrides)
        check_git_repository(args, opts.cwd)
        roots = loaded.config.sandbox_workspace_write.writable_roots
        with ephemeral_store(args.ephemeral, overrides) as stored:
            forced = sandbox_overrides(args, stored, roots)
            return asyncio.run(_run(op, args, opts, forced))
    except (ConfigError, ProviderError) as exc:
        print(f"{name}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


@contextlib.contextmanager
def ephemeral_store(ephemeral: bool, overrides: ConfigOverrides) -> Iterator[ConfigOverrides]:
    """``--ephemeral``: the conversation lives in a store in a temporary folder, removed on
    exit, so nothing of it is kept."""
    if not ephemeral:
        yield overrides
        return
    import tempfile  # with random and shutil: only --ephemeral needs it

    with tempfile.TemporaryDirectory(prefix="codex-lsp-ephemeral-") as folder:
        yield {**overrides, "state_db": str(Path(folder) / "state.db")}


def run_exec(args: argparse.Namespace, overrides: ConfigOverrides) -> int:
    """Entry point of ``codex-lsp exec``."""
    name = "codex-lsp exec"
    try:
        if args.subcommand == "resume":
            check_resume_args(args)
        opts = check_options(args)
        op: ExecOp
        if args.subcommand == "review":
            instructions = _read_prompt(args.prompt) if args.prompt else None
            op, name = review_op(args, instructions), "codex-lsp exec review"
        else:
            prompt = _read_prompt(args.prompt)
            if not prompt or not prompt.strip():
                raise ConfigError(
                    "no prompt given. Pass one as an argument or on stdin: "
                    'codex-lsp exec "fix the failing test"'
                )
            if args.subcommand is None and prompt.lstrip().startswith("/"):
                from codex_lsp.cli.speckit_cmd import run_slash  # spec-kit only for a command

                answered = run_slash(prompt, Path(args.cwd or "."), overrides, args.json)
                if answered is not None:
                    return answered
            op = turn_op(prompt, opts)
    except ConfigError as exc:
        print(f"{name}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    return _run_checked(op, args, opts, overrides, name)
