"""Command rules: argv prefixes that run without asking (allow), always ask (prompt) or never
run (forbidden / deny), from ``[command_rules]``, ``rules.toml`` and Codex ``.rules`` files.

A command matches a rule when its argv starts with the rule's prefix; a ``bash -lc`` script
matches when every command in it matches (allow) or any does (prompt, deny). A script the parser
cannot read never matches an allow rule, and matches the others if their words appear in it.
Rules saved from approval prompts go to ``rules.toml`` in the codex-lsp home.
"""

from __future__ import annotations

import json
import re
import tomllib
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from codex_lsp.config.folders import ConfigFolders
from codex_lsp.exec.parse import shell_script
from codex_lsp.exec.rules_file import PrefixRule, RuleDecision
from codex_lsp.exec.rules_load import LoadedRules, load_rules_files
from codex_lsp.exec.shell_parse import parse_script

RULES_FILE = "rules.toml"


class RuleVerdict(StrEnum):
    """What the rules say about a command (the strictest matching rule decides)."""

    ALLOW = "allow"
    PROMPT = "prompt"
    DENY = "deny"
    NONE = "none"


_VERDICTS = {
    RuleDecision.ALLOW: RuleVerdict.ALLOW,
    RuleDecision.PROMPT: RuleVerdict.PROMPT,
    RuleDecision.FORBIDDEN: RuleVerdict.DENY,
}


def _mentions(script: str, words: list[tuple[str, ...]]) -> bool:
    """The words (any of each one's alternatives) appear in order as whole words in ``script``
    (e.g. in ``$(...)``)."""
    pattern = r"\s+".join("(?:" + "|".join(map(re.escape, alts)) + ")" for alts in words)
    return bool(words) and re.search(rf"(?<![\w./-]){pattern}(?![\w./-])", script) is not None


def _expand(path: str) -> str:
    """``~/x`` → the home folder's ``x`` (``host_executable`` paths may be written so)."""
    return str(Path(path).expanduser()) if path.startswith("~/") else path


class RuleMatch(NamedTuple):
    """One rule that matched one command of what was checked."""

    rule: PrefixRule
    prefix: list[str]
    """The words it matched (empty: its words appear in a script the parser cannot read)."""
    resolved_program: str | None = None
    """The absolute program path that matched a rule written for its basename."""

    @property
    def decision(self) -> RuleDecision:
        """The rule's decision."""
        return self.rule.decision


class RuleEvaluation(NamedTuple):
    """The verdict on a command and every rule that matched it."""

    verdict: RuleVerdict
    matches: list[RuleMatch]

    def deciding(self) -> list[RuleMatch]:
        """The matches whose decision is the verdict."""
        return [m for m in self.matches if _VERDICTS[m.decision] is self.verdict]

    def reason(self) -> str | None:
        """The deciding rules, for the user and the model: where each was written and why."""
        parts = []
        for match in self.deciding():
            why = f": {match.rule.justification}" if match.rule.justification else ""
            parts.append(f"{match.rule.source}{why}")
        return "; ".join(dict.fromkeys(parts)) or None


class CommandRules:
    """Every command rule in effect: ``[command_rules]`` allow and deny prefixes, those saved
    from approval prompts, and the prefix rules of Codex ``.rules`` files. The strictest matching
    rule wins (forbidden > prompt > allow), as in Codex."""

    def __init__(
        self,
        allow: list[list[str]],
        deny: list[list[str]],
        saved_to: Path | None = None,
        *,
        files: LoadedRules | None = None,
        sources: dict[tuple[str, ...], str] | None = None,
    ) -> None:
        files = files or LoadedRules()
        self.allow = [list(p) for p in allow]
        self.deny = [list(p) for p in deny]
        self.file_rules = list(files.rules)
        self.host_executables = dict(files.host_executables)
        self.warnings = list(files.warnings)
        """What was wrong with the rules files (each one skipped is named)."""
        self._saved_to = saved_to
        self._sources = dict(sources or {})

    @classmethod
    def load(
        cls,
        allow: list[list[str]],
        deny: list[list[str]],
        home: Path | None,
        folders: ConfigFolders | None = None,
    ) -> CommandRules:
        """Config rules, those saved in ``home/rules.toml`` (a broken file is ignored) and the
        ``.rules`` files in ``folders``."""
        saved_allow: list[list[str]] = []
        saved_deny: list[list[str]] = []
        path = home / RULES_FILE if home else None
        if path is not None and path.is_file():
            try:
                data = tomllib.loads(path.read_text("utf-8"))
                saved_allow = [list(map(str, p)) for p in data.get("allow", [])]
                saved_deny = [list(map(str, p)) for p in data.get("deny", [])]
            except (tomllib.TOMLDecodeError, OSError, TypeError):
                pass
        sources = {tuple(p): f"allow in {path}" for p in saved_allow}
        sources |= {tuple(p): f"deny in {path}" for p in saved_deny}
        files = load_rules_files(folders) if folders else None
        return cls([*allow, *saved_allow], [*deny, *saved_deny], path, files=files, sources=sources)

    def rules(self) -> list[PrefixRule]:
        """Every rule, in the order they were read: config, saved, then files."""
        return [
            *(self._config_rule(p, RuleDecision.ALLOW) for p in self.allow),
            *(self._config_rule(p, RuleDecision.FORBIDDEN) for p in self.deny),
            *self.file_rules,
        ]

    def _config_rule(self, prefix: list[str], decision: RuleDecision) -> PrefixRule:
        kind = "allow" if decision is RuleDecision.ALLOW else "deny"
        source = self._sources.get(tuple(prefix), f"[command_rules] {kind} in config.toml")
        rest = tuple((word,) for word in prefix[1:])
        return PrefixRule(prefix[0] if prefix else "", rest, decision, source)

    def matches(self, argv: list[str], rules: list[PrefixRule] | None = None) -> list[RuleMatch]:
        """The rules matching ``argv`` itself (no script is looked into). An absolute program
        path matches the rules written for its basename, as Codex does, except that an allow
        rule then needs a ``host_executable`` listing that path: ``/tmp/x/git`` is not git."""
        rules = self.rules() if rules is None else rules
        exact = [RuleMatch(r, p) for r in rules if r.first and (p := r.matched_prefix(argv))]
        if exact or not argv or not argv[0].startswith("/"):
            return exact
        name = PurePosixPath(argv[0]).name
        vouched = argv[0] in (_expand(p) for p in self.host_executables.get(name, ()))
        found = []
        for rule in rules:
            prefix = rule.matched_prefix(argv, program=name)
            if prefix and (vouched or rule.decision is not RuleDecision.ALLOW):
                found.append(RuleMatch(rule, prefix, resolved_program=argv[0]))
        return found

    def evaluate(self, argv: list[str]) -> RuleEvaluation:
        """Deny if any command is forbidden, prompt if any must be asked for, allow if every
        command is allowed, else none. Prompt and forbidden rules also match the argv as given
        (a script denied as a whole, ``bash -lc ...``) and, in a script the parser cannot read,
        wherever their words appear."""
        rules = self.rules()
        script = shell_script(argv)
        commands = [argv] if script is None else parse_script(script)
        found: list[RuleMatch] = []
        if script is not None:
            found += [m for m in self.matches(argv, rules) if m.decision is not RuleDecision.ALLOW]
        if commands is None:
            assert script is not None
            found += [
                RuleMatch(r, [])
                for r in rules
                if r.decision is not RuleDecision.ALLOW and r.first and _mentions(script, r.words())
            ]
            all_allowed = False
        else:
            per_command = [self.matches(c, rules) for c in commands]
            found += [m for ms in per_command for m in ms]
            all_allowed = bool(commands) and all(
                any(m.decision is RuleDecision.ALLOW for m in ms) for ms in per_command
            )
        worst = max((m.decision for m in found), key=lambda d: d.severity, default=None)
        if worst is not None and worst is not RuleDecision.ALLOW:
            return RuleEvaluation(_VERDICTS[worst], found)
        return RuleEvaluation(RuleVerdict.ALLOW if all_allowed else RuleVerdict.NONE, found)

    def verdict(self, argv: list[str]) -> RuleVerdict:
        """What :meth:`evaluate` decides."""
        return self.evaluate(argv).verdict

    def remember_allow(self, prefix: list[str]) -> None:
        """Allow ``prefix`` from now on, and save it so later conversations know it."""
        self._remember("allow", prefix)

    def remember_deny(self, prefix: list[str]) -> None:
        """Deny ``prefix`` from now on ("always reject"), and save it likewise."""
        self._remember("deny", prefix)

    def _remember(self, kind: str, prefix: list[str]) -> None:
        rules = self.allow if kind == "allow" else self.deny
        if prefix in rules:
            return
        rules.append(list(prefix))
        if self._saved_to is None:
            return
        saved: dict[str, list[list[str]]] = {"allow": [], "deny": []}
        if self._saved_to.is_file():
            try:
                data = tomllib.loads(self._saved_to.read_text("utf-8"))
                saved = {k: [list(map(str, p)) for p in data.get(k, [])] for k in saved}
            except (tomllib.TOMLDecodeError, OSError, TypeError):
                pass
        if prefix not in saved[kind]:
            saved[kind].append(list(prefix))
        self._saved_to.parent.mkdir(parents=True, exist_ok=True)
        lines = ['# Saved by codex-lsp from approval prompts ("always"). Edit freely.']
        for name, prefixes in saved.items():
            lines.append(f"{name} = [")
            lines += [f"  {json.dumps(p)}," for p in prefixes]
            lines.append("]")
        self._saved_to.write_text("\n".join(lines) + "\n", encoding="utf-8")
