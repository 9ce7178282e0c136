"""``codex-lsp rules check <cmd…>``: which command rules match a command and what they decide,
the way a conversation in the folder would see them (or, with ``--rules FILE``, those files
alone, like ``codex execpolicy check``). ``--json`` prints Codex's evaluation shape."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from codex_lsp.config.loader import codex_lsp_home, load_layered
from codex_lsp.core.config_folders import load_command_rules
from codex_lsp.errors import CodexError
from codex_lsp.exec.rules import CommandRules, RuleEvaluation, RuleMatch, RuleVerdict
from codex_lsp.exec.rules_file import RuleDecision, RulesFileError, parse_rules
from codex_lsp.exec.rules_load import LoadedRules, read_rules_text

_DECISION = {
    RuleVerdict.ALLOW: "allow",
    RuleVerdict.PROMPT: "prompt",
    RuleVerdict.DENY: "forbidden",
}


def run_rules(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    """Print the evaluation; 2 on a usage or configuration error."""
    argv = args.argv[1:] if args.argv[:1] == ["--"] else list(args.argv)
    if not argv:
        print("codex-lsp rules check: give the command to check, e.g. `git push`", file=sys.stderr)
        return 2
    try:
        rules = _from_files(args.files) if args.files else _effective(args, overrides)
    except CodexError as exc:
        print(f"codex-lsp: {exc.message}", file=sys.stderr)
        return 2
    for warning in rules.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    evaluation = rules.evaluate(argv)
    if args.json:
        print(json.dumps(codex_evaluation(evaluation), ensure_ascii=False, separators=(",", ":")))
    else:
        print(_describe(argv, evaluation))
    return 0


def _effective(args: argparse.Namespace, overrides: dict[str, Any]) -> CommandRules:
    cwd = Path(args.cwd or ".").resolve()
    home = codex_lsp_home()
    loaded = load_layered(overrides, home=home, workspace=cwd)
    return load_command_rules(loaded.config, home, cwd)


def _from_files(files: list[str]) -> CommandRules:
    """Only the rules of ``files`` (a bad file is an error here: it was named on purpose)."""
    merged = LoadedRules()
    for name in files:
        path = Path(name)
        try:
            parsed = parse_rules(read_rules_text(path), str(path))
        except RulesFileError as exc:
            raise RulesFileError(f"{exc.message}. Fix the file and try again.") from None
        merged.rules.extend(parsed.rules)
        merged.host_executables.update(parsed.host_executables)
    return CommandRules([], [], files=merged)


def codex_evaluation(evaluation: RuleEvaluation) -> dict[str, Any]:
    """What ``codex execpolicy check`` prints for the same matches: ``matchedRules`` (each a
    ``prefixRuleMatch``) and the ``decision`` (left out when nothing matched)."""
    out: dict[str, Any] = {
        "matchedRules": [{"prefixRuleMatch": _match(m)} for m in evaluation.matches]
    }
    decision = _DECISION.get(evaluation.verdict)
    if decision is None and evaluation.matches:
        decision = RuleDecision.ALLOW.value  # some commands allowed, the others match nothing
    if decision is not None:
        out["decision"] = decision
    return out


def _match(match: RuleMatch) -> dict[str, Any]:
    body: dict[str, Any] = {"matchedPrefix": match.prefix, "decision": match.decision.value}
    if match.resolved_program:
        body["resolvedProgram"] = match.resolved_program
    if match.rule.justification:
        body["justification"] = match.rule.justification
    return body


def _describe(argv: list[str], evaluation: RuleEvaluation) -> str:
    command = shlex.join(argv)
    if not evaluation.matches:
        return f"{command}: no rule matches; the approval policy decides"
    decision = _DECISION.get(evaluation.verdict)
    lines = [
        f"{command}: {decision}"
        if decision
        else f"{command}: not every command is allowed; the approval policy decides the rest"
    ]
    deciding = evaluation.deciding()
    for match in evaluation.matches:
        mark = "*" if match in deciding else " "
        words = shlex.join(match.prefix) if match.prefix else "(mentioned in the script)"
        why = f" — {match.rule.justification}" if match.rule.justification else ""
        lines.append(f"{mark} {match.decision.value:<9} {words}  [{match.rule.source}]{why}")
    return "\n".join(lines)
