"""The command line of ``codex-lsp exec`` and its ``resume`` and ``review`` forms, with Codex's
flag names (``codex exec --help`` of Codex 0.169).

``codex exec`` takes an optional prompt *and* subcommands, which argparse cannot express
directly: the exec parser takes the prompt and keeps what follows it; when the prompt is the
word ``resume`` or ``review``, :func:`parse_exec_subcommand` parses the rest with that form's
parser (which takes the shared flags too, as Codex's does)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

ConfigFlags = Callable[[argparse.ArgumentParser], None]
"""Adds ``-c``, ``-m`` and ``-p`` (the flags every command takes) to a parser."""

SUBCOMMANDS = ("resume", "review")
PRIORITIES = ("P0", "P1", "P2", "P3")


def add_shared_flags(parser: argparse.ArgumentParser, top: bool) -> None:
    """The flags ``exec`` and its subcommands share. ``top``: the defaults are set (the exec
    parser); a subcommand's parser leaves them unset (``SUPPRESS``) so the flags given before
    the subcommand keep their values."""

    def flag(*names: str, **kwargs: object) -> None:
        if top:
            kwargs.setdefault("default", False if kwargs.get("action") == "store_true" else None)
        else:
            kwargs["default"] = argparse.SUPPRESS
        parser.add_argument(*names, **kwargs)  # type: ignore[arg-type]

    flag("--json", action="store_true", help="print every event as one JSON line on stdout")
    flag(
        "--json-format",
        choices=["codex-lsp", "codex"],
        help="the --json lines: this server's events (default) or codex exec's "
        "thread.*/turn.*/item.* lines (implies --json)",
    )
    flag("-s", "--sandbox", choices=["read-only", "workspace-write", "danger-full-access"])
    flag("-C", "--cd", dest="cwd", metavar="DIR", help="working directory of the agent")
    flag(
        "-o",
        "--output-last-message",
        dest="output_last_message",
        metavar="FILE",
        help="also write the final answer to this file",
    )
    flag(
        "--output-schema",
        dest="output_schema",
        metavar="FILE",
        help="a JSON Schema file the final answer must match (checked; exit 1 when it does not)",
    )
    flag(
        "-i",
        "--image",
        dest="images",
        action="extend",
        nargs="+",
        metavar="FILE",
        help="image(s) to attach to the prompt (put the prompt first, or after --)",
    )
    flag(
        "--add-dir",
        dest="add_dirs",
        action="append",
        metavar="DIR",
        help="another folder the workspace-write sandbox may write to (repeatable)",
    )
    flag("--ephemeral", action="store_true", help="store nothing: the conversation is not kept")
    flag("--full-auto", action="store_true", help="sandbox workspace-write, never ask")
    flag(
        "--dangerously-bypass-approvals-and-sandbox",
        dest="yolo",
        action="store_true",
        help="no sandbox and no approvals (only inside an externally sandboxed machine)",
    )
    flag(
        "--skip-git-repo-check",
        action="store_true",
        help="allow running outside a Git repository",
    )


def add_exec_parser(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    config_flags: ConfigFlags,
) -> None:
    """``codex-lsp exec [flags] [PROMPT]`` (and ``exec resume …``, ``exec review …``)."""
    ex = sub.add_parser(
        "exec",
        allow_abbrev=False,
        help="run one conversation headless and print the final answer",
        usage="codex-lsp exec [flags] [PROMPT]\n       codex-lsp exec [flags] resume "
        "(--last | ID) [PROMPT]\n       codex-lsp exec [flags] review "
        "[--uncommitted | --base BRANCH | --commit SHA] [--fail-on P0..P3] [INSTRUCTIONS]",
    )
    ex.add_argument(
        "prompt",
        nargs="?",
        help="the prompt; read from stdin when omitted or '-'; 'resume' and 'review' start "
        "those forms (see exec resume --help, exec review --help)",
    )
    ex.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    add_shared_flags(ex, top=True)
    config_flags(ex)


def _trailing_parser(
    config_flags: ConfigFlags,
) -> argparse.ArgumentParser:
    """Flags written after the prompt (``codex exec "fix it" --json``, as clap allows)."""
    parser = argparse.ArgumentParser(prog="codex-lsp exec", allow_abbrev=False)
    add_shared_flags(parser, top=False)
    config_flags(parser)
    return parser


def _resume_parser(
    config_flags: ConfigFlags,
) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codex-lsp exec resume",
        allow_abbrev=False,
        description="Continue a stored conversation with one more turn.",
    )
    parser.add_argument("session_id", nargs="?", help="conversation id or title")
    parser.add_argument("prompt", nargs="?", help="the prompt; read from stdin when '-'")
    parser.add_argument(
        "--last", action="store_true", help="the most recent conversation of this folder"
    )
    parser.add_argument(
        "--all", dest="all_workspaces", action="store_true", help="with --last: of any folder"
    )
    add_shared_flags(parser, top=False)
    config_flags(parser)
    return parser


def _review_parser(config_flags: ConfigFlags) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codex-lsp exec review",
        allow_abbrev=False,
        description="Review code and print the findings; exit 1 when one is at or above "
        "--fail-on (or the review failed).",
    )
    parser.add_argument("prompt", nargs="?", help="custom review instructions ('-': stdin)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--uncommitted",
        action="store_true",
        help="staged, unstaged and untracked changes (the default)",
    )
    target.add_argument("--base", metavar="BRANCH", help="the changes against this branch")
    target.add_argument("--commit", metavar="SHA", help="the changes of this commit")
    parser.add_argument("--title", help="the commit's title (with --commit)")
    parser.add_argument(
        "--fail-on",
        choices=PRIORITIES,
        default="P1",
        help="exit 1 when a finding of this priority or a more urgent one exists (default P1)",
    )
    add_shared_flags(parser, top=False)
    config_flags(parser)
    return parser


def parse_exec_subcommand(
    args: argparse.Namespace, config_flags: ConfigFlags
) -> argparse.Namespace:
    """``args`` of ``codex-lsp exec`` with its subcommand's arguments (``args.subcommand``:
    ``None``, ``"resume"`` or ``"review"``) and the flags after the prompt merged in; a
    second prompt word is a usage error, as in Codex."""
    rest: list[str] = list(args.rest or [])
    del args.rest
    args.subcommand = None
    builder = _trailing_parser
    if args.prompt in SUBCOMMANDS:
        args.subcommand = args.prompt
        args.prompt = None
        builder = _resume_parser if args.subcommand == "resume" else _review_parser
    parsed, extra = builder(config_flags).parse_known_args(rest)
    if extra:
        builder(config_flags).error(
            f"unexpected argument {extra[0]!r}: quote the prompt as one argument"
        )
    for key, value in vars(parsed).items():
        if key == "overrides":
            args.overrides = [*args.overrides, *value]
        elif value is not None or not hasattr(args, key):
            setattr(args, key, value)
    args.json = args.json or args.json_format is not None  # --json-format implies --json
    return args
