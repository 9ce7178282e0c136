"""``codex-lsp``: the language server on stdio (default), ``exec``, ``rules``, ``protocol``…"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from codex_lsp import __version__
from codex_lsp.exec.hardening import harden_process


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


def _add_protocol_parser(sub: Any) -> None:
    """``protocol schema|ts``: the wire types for clients."""
    proto = sub.add_parser(
        "protocol", help="emit the protocol's JSON Schema or TypeScript declarations"
    )
    proto_sub = proto.add_subparsers(dest="protocol_command", required=True)
    schema = proto_sub.add_parser("schema", help="write one JSON Schema file per message")
    schema.add_argument("--out", required=True, help="output folder")
    ts = proto_sub.add_parser("ts", help="print (or write) the TypeScript declarations")
    ts.add_argument("--out", help="output file (stdout when omitted)")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    parser = argparse.ArgumentParser(
        prog="codex-lsp", description="A Codex-style coding agent served over LSP."
    )
    parser.add_argument("--version", action="version", version=f"codex-lsp {__version__}")
    parser.add_argument(
        "--stdio", action="store_true", help="serve LSP on stdin/stdout (the default)"
    )
    _add_config_flags(parser)
    sub = parser.add_subparsers(dest="command")

    ex = sub.add_parser("exec", help="run one conversation headless and print the final answer")
    ex.add_argument("prompt", nargs="?", help="the prompt; read from stdin when omitted or '-'")
    ex.add_argument(
        "--json", action="store_true", help="print every event as one JSON line on stdout"
    )
    ex.add_argument(
        "-s", "--sandbox", choices=["read-only", "workspace-write", "danger-full-access"]
    )
    ex.add_argument("-C", "--cd", dest="cwd", help="working directory of the agent")
    ex.add_argument(
        "-o",
        "--output-last-message",
        dest="output_last_message",
        help="also write the final answer to this file",
    )
    ex.add_argument("--full-auto", action="store_true", help="sandbox workspace-write, never ask")
    ex.add_argument(
        "--dangerously-bypass-approvals-and-sandbox",
        dest="yolo",
        action="store_true",
        help="no sandbox and no approvals (only inside an externally sandboxed machine)",
    )
    ex.add_argument(
        "--skip-git-repo-check", action="store_true", help="accepted for Codex compatibility"
    )
    _add_config_flags(ex)

    mcp = sub.add_parser("mcp-server", help="serve the agent over MCP (stdio) to other agents")
    _add_config_flags(mcp)
    acp = sub.add_parser(
        "acp", help="serve the agent over the Agent Client Protocol (stdio), for Zed and others"
    )
    _add_config_flags(acp)
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

    patch = sub.add_parser("apply-patch", help="apply a patch in Codex's apply_patch format")
    patch.add_argument("patch", nargs="?", help="the patch; read from stdin when omitted")

    config = sub.add_parser("config", help="show the effective configuration or its schema")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    show = config_sub.add_parser("show", help="every effective value and where it came from")
    show.add_argument(
        "-C", "--cd", dest="cwd", help="project folder (for its .codex-lsp/config.toml)"
    )
    _add_config_flags(show)
    config_sub.add_parser("schema", help="the JSON Schema of config.toml")
    config_sub.add_parser("docs", help="print the configuration reference (docs/config.md)")

    spec = sub.add_parser(
        "speckit", help="run a spec-kit command headless (new, status, clarify, analyze, …)"
    )
    spec.add_argument("name", help="the command: new, status, clarify, analyze, checklist, …")
    spec.add_argument("args", nargs=argparse.REMAINDER, help="its arguments, and --json")
    spec.add_argument("-C", "--cd", dest="cwd", help="project folder")
    _add_config_flags(spec)

    doctor = sub.add_parser("doctor", help="check the configuration, the provider and the sandbox")
    doctor.add_argument("-C", "--cd", dest="cwd", help="project folder")
    _add_config_flags(doctor)

    _add_rules_parser(sub)

    _add_protocol_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen front end."""
    harden_process()
    args = build_parser().parse_args(argv)
    overrides: dict[str, Any] = {}
    if args.overrides:
        from codex_lsp.config.overrides import parse_cli_overrides
        from codex_lsp.errors import ConfigError

        try:
            overrides = parse_cli_overrides(args.overrides)
        except ConfigError as exc:
            print(f"codex-lsp: {exc.message}", file=sys.stderr)
            return 2
    if args.model:
        overrides["model"] = args.model
    if args.profile:
        overrides["profile"] = args.profile
    if args.command == "exec":
        from codex_lsp.cli.exec_cmd import run_exec

        return run_exec(args, overrides)
    if args.command == "acp":
        from codex_lsp.acp.main import run_acp

        return run_acp(overrides)
    if args.command == "mcp-server":
        from codex_lsp.mcp_server.server import run_mcp_server

        return run_mcp_server(overrides)
    if args.command in ("import-codex", "export"):
        from codex_lsp.cli.rollout_cmd import run_export, run_import

        if args.command == "export":
            return run_export(args.conversation_id, args.out, overrides)
        return run_import(args.path, overrides)
    if args.command == "apply-patch":
        from codex_lsp.cli.apply_patch_cmd import run_apply_patch

        return run_apply_patch(args.patch)
    if args.command == "speckit":
        from codex_lsp.cli.speckit_cmd import run_speckit

        return run_speckit(args, overrides)
    if args.command == "doctor":
        from pathlib import Path

        from codex_lsp.cli.doctor_cmd import run_doctor

        return run_doctor(overrides, Path(args.cwd or ".").resolve())
    if args.command == "config":
        from codex_lsp.cli.config_cmd import run_config

        return run_config(args, overrides)
    if args.command == "rules":
        from codex_lsp.cli.rules_cmd import run_rules

        return run_rules(args, overrides)
    if args.command == "protocol":
        from codex_lsp.cli.protocol_cmd import run_protocol

        return run_protocol(args)
    from codex_lsp.lsp.server import run_stdio

    return run_stdio(overrides)


if __name__ == "__main__":
    raise SystemExit(main())
