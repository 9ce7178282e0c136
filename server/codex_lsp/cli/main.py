"""``codex-lsp``: the language server on stdio (default), ``exec``, and ``protocol``.

``codex-lsp apply-patch [PATCH]`` is dispatched before anything else is imported (argparse,
typing, the process hardening's ctypes: ~10 ms, a third of Codex's whole apply_patch run); with
any other argument it goes through the parser like every other command."""

from __future__ import annotations

import gc
import sys

from codex_lsp import __version__

TYPE_CHECKING = False  # typing's would import typing, which apply-patch does not need
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help='override a config.toml key (dotted keys, TOML values), e.g. -c model="gpt-5"',
    )
    parser.add_argument("-m", "--model", help="model to use")
    parser.add_argument("-p", "--profile", help="configuration profile ([profiles.<name>])")


def _add_rules_parser(sub: Any) -> None:
    """``rules check``: which command rule decides about a command."""
    import argparse

    rules = sub.add_parser("rules", help="see which command rule decides about a command")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    check = rules_sub.add_parser("check", help="the rules matching a command, and the decision")
    check.add_argument("-C", "--cd", dest="cwd", help="project folder (for its .codex/rules)")
    check.add_argument(
        "-r",
        "--rules",
        dest="files",
        action="append",
        default=[],
        metavar="FILE",
        help="check against these .rules files only (repeatable), like codex execpolicy check",
    )
    check.add_argument("--json", action="store_true", help="print Codex's JSON evaluation")
    _add_config_flags(check)
    check.add_argument("argv", nargs=argparse.REMAINDER, help="the command, as words")


def _add_server_parsers(sub: Any) -> None:
    """``mcp-server`` and ``acp``: the agent served to other programs."""
    mcp = sub.add_parser("mcp-server", help="serve the agent over MCP (stdio) to other agents")
    _add_config_flags(mcp)
    acp = sub.add_parser(
        "acp", help="serve the agent over the Agent Client Protocol (stdio), for Zed and others"
    )
    _add_config_flags(acp)


def _add_rollout_parsers(sub: Any) -> None:
    """``import-codex`` and ``export``: conversations to and from Codex CLI rollout files."""
    imp = sub.add_parser("import-codex", help="import Codex CLI conversations (rollout files)")
    imp.add_argument(
        "path", nargs="?", help="a rollout file or a folder of them (default ~/.codex/sessions)"
    )
    _add_config_flags(imp)
    exp = sub.add_parser("export", help="write a conversation as a Codex CLI rollout file")
    exp.add_argument("conversation_id", help="the conversation to export")
    exp.add_argument(
        "--out",
        help="the file to write (default: in ~/.codex/sessions, where `codex resume` looks)",
    )
    _add_config_flags(exp)


def _add_apply_patch_parser(sub: Any) -> None:
    patch = sub.add_parser("apply-patch", help="apply a patch in Codex's apply_patch format")
    patch.add_argument("patch", nargs="?", help="the patch; read from stdin when omitted")


def _add_config_parser(sub: Any) -> None:
    config = sub.add_parser("config", help="show the effective configuration or its schema")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    show = config_sub.add_parser("show", help="every effective value and where it came from")
    show.add_argument(
        "-C", "--cd", dest="cwd", help="project folder (for its .codex-lsp/config.toml)"
    )
    _add_config_flags(show)
    config_sub.add_parser("schema", help="the JSON Schema of config.toml")
    config_sub.add_parser("docs", help="print the configuration reference (docs/config.md)")


def _add_speckit_parser(sub: Any) -> None:
    import argparse

    spec = sub.add_parser(
        "speckit", help="run a spec-kit command headless (new, status, clarify, analyze, …)"
    )
    spec.add_argument("name", help="the command: new, status, clarify, analyze, checklist, …")
    spec.add_argument("args", nargs=argparse.REMAINDER, help="its arguments, and --json")
    spec.add_argument("-C", "--cd", dest="cwd", help="project folder")
    _add_config_flags(spec)


def _add_doctor_parser(sub: Any) -> None:
    doctor = sub.add_parser("doctor", help="check the configuration, the provider and the sandbox")
    doctor.add_argument("-C", "--cd", dest="cwd", help="project folder")
    _add_config_flags(doctor)


def _add_protocol_parser(sub: Any) -> None:
    proto = sub.add_parser(
        "protocol", help="emit the protocol's JSON Schema or TypeScript declarations"
    )
    proto_sub = proto.add_subparsers(dest="protocol_command", required=True)
    schema = proto_sub.add_parser("schema", help="write one JSON Schema file per message")
    schema.add_argument("--out", required=True, help="output folder")
    ts = proto_sub.add_parser("ts", help="print (or write) the TypeScript declarations")
    ts.add_argument("--out", help="output file (stdout when omitted)")


def _add_exec_parser(sub: Any) -> None:
    from codex_lsp.cli.exec_args import add_exec_parser

    add_exec_parser(sub, _add_config_flags)


_SUBCOMMANDS: dict[str, Callable[[Any], None]] = {
    "exec": _add_exec_parser,
    "mcp-server": _add_server_parsers,
    "acp": _add_server_parsers,
    "import-codex": _add_rollout_parsers,
    "export": _add_rollout_parsers,
    "apply-patch": _add_apply_patch_parser,
    "config": _add_config_parser,
    "speckit": _add_speckit_parser,
    "doctor": _add_doctor_parser,
    "rules": _add_rules_parser,
    "protocol": _add_protocol_parser,
}
"""Each subcommand's name and what adds its parser, in ``--help``'s order."""


def build_parser(arguments: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line. When ``arguments`` start with a subcommand's name, only that
    subcommand's parser is made: it reads them the same, and a run does not pay for the
    others' (~2 ms of every ``exec``)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="codex-lsp", description="A Codex-style coding agent served over LSP."
    )
    parser.add_argument("--version", action="version", version=f"codex-lsp {__version__}")
    parser.add_argument(
        "--stdio", action="store_true", help="serve LSP on stdin/stdout (the default)"
    )
    _add_config_flags(parser)
    chosen = _SUBCOMMANDS.get(arguments[0]) if arguments else None
    # with only the chosen parser made, the usage line of an error still names every command
    metavar = "{" + ",".join(_SUBCOMMANDS) + "}" if chosen else None
    sub = parser.add_subparsers(dest="command", metavar=metavar)
    for add in dict.fromkeys(_SUBCOMMANDS.values()):
        if chosen is None or add is chosen:
            add(sub)
    return parser


def _plain_apply_patch(arguments: list[str]) -> bool:
    """``apply-patch`` alone or with its patch: what the parser would read the same way."""
    return (
        arguments[:1] == ["apply-patch"]
        and len(arguments) <= 2
        and not arguments[-1].startswith("-")
    )


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen front end.

    The cyclic garbage collector is off while the front end's modules load: start-up makes
    ~50,000 objects that live as long as the process (modules, classes, pydantic schemas), and
    the ~130 collections their making would trigger are ~12% of a headless turn's CPU. They are
    then frozen (never scanned again) and collection resumes for what the front end makes.
    ``apply-patch``, a short run with no cycles worth collecting, keeps it off."""
    gc.disable()
    arguments = sys.argv[1:] if argv is None else argv
    if _plain_apply_patch(arguments):  # it holds no secret: not worth the hardening's import
        from codex_lsp.cli.apply_patch_cmd import run_apply_patch

        return run_apply_patch(arguments[1] if len(arguments) == 2 else None)
    try:
        front_end = _load(arguments)
    finally:
        gc.freeze()
        gc.enable()
    return front_end()


def _load(arguments: list[str]) -> Callable[[], int]:
    """Parse ``arguments``, import the front end they choose, and return how to run it."""
    from codex_lsp.cli import no_pydantic_plugins
    from codex_lsp.exec.hardening import harden_process

    no_pydantic_plugins.install()

    harden_process()
    args = build_parser(arguments).parse_args(arguments)
    if args.command == "exec":
        from codex_lsp.cli.exec_args import parse_exec_subcommand

        args = parse_exec_subcommand(args, _add_config_flags)
    overrides: dict[str, Any] = {}
    if args.overrides:
        from codex_lsp.config.overrides import parse_cli_overrides
        from codex_lsp.errors import ConfigError

        try:
            overrides = parse_cli_overrides(args.overrides)
        except ConfigError as exc:
            message = f"codex-lsp: {exc.message}"
            return lambda: _usage_error(message)
    if args.model:
        overrides["model"] = args.model
    if args.profile:
        overrides["profile"] = args.profile
    if args.command == "exec":
        from codex_lsp.cli.exec_cmd import run_exec

        return lambda: run_exec(args, overrides)
    if args.command == "acp":
        from codex_lsp.acp.main import run_acp

        return lambda: run_acp(overrides)
    if args.command == "mcp-server":
        from codex_lsp.mcp_server.server import run_mcp_server

        return lambda: run_mcp_server(overrides)
    if args.command in ("import-codex", "export"):
        from codex_lsp.cli.rollout_cmd import run_export, run_import

        if args.command == "export":
            return lambda: run_export(args.conversation_id, args.out, overrides)
        return lambda: run_import(args.path, overrides)
    if args.command == "apply-patch":
        from codex_lsp.cli.apply_patch_cmd import run_apply_patch

        return lambda: run_apply_patch(args.patch)
    if args.command == "speckit":
        from codex_lsp.cli.speckit_cmd import run_speckit

        return lambda: run_speckit(args, overrides)
    if args.command == "doctor":
        from pathlib import Path

        from codex_lsp.cli.doctor_cmd import run_doctor

        return lambda: run_doctor(overrides, Path(args.cwd or ".").resolve())
    if args.command == "config":
        from codex_lsp.cli.config_cmd import run_config

        return lambda: run_config(args, overrides)
    if args.command == "rules":
        from codex_lsp.cli.rules_cmd import run_rules

        return lambda: run_rules(args, overrides)
    if args.command == "protocol":
        from codex_lsp.cli.protocol_cmd import run_protocol

        return lambda: run_protocol(args)
    from codex_lsp.lsp.server import run_stdio

    return lambda: run_stdio(overrides)


def run() -> None:
    """``codex-lsp`` and ``python -m codex_lsp``: :func:`main` as the whole process.

    When it returns with no other thread left, the process ends without the interpreter's
    teardown (freeing every module, class and schema one by one: after a headless turn, the
    exit took 11-28 ms from here at best, 4 ms without it): what teardown would still do for us
    (``atexit`` callbacks such as logging's flush, the standard streams' buffers) is done
    first. With a thread still running, the interpreter ends as usual and waits for it."""
    code = main()
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        raise SystemExit(code)
    import atexit
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: the process started without that descriptor
                stream.flush()
        except (OSError, ValueError):  # a closed pipe: Python's own exit reports it as 120
            code = 120
    os._exit(code)


def _usage_error(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


if __name__ == "__main__":
    run()
