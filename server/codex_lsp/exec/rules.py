"""Persisted command rules: argv prefixes that always run without asking or never run.

A command matches a rule when its argv starts with the rule's prefix; a ``bash -lc`` script
matches when every command in it matches (allow) or any does (deny). A script the parser cannot
read never matches an allow rule, and matches a deny rule if the rule's words appear in it.
Rules saved from approval prompts go to ``rules.toml`` in the codex-lsp home.
"""

from __future__ import annotations

import json
import re
import tomllib
from enum import StrEnum
from pathlib import Path

from codex_lsp.exec.parse import shell_script
from codex_lsp.exec.shell_parse import parse_script

RULES_FILE = "rules.toml"


class RuleVerdict(StrEnum):
    """What the rules say about a command."""

    ALLOW = "allow"
    DENY = "deny"
    NONE = "none"


def _mentions(script: str, prefix: list[str]) -> bool:
    """The prefix's words appear in order as whole words in ``script`` (e.g. in ``$(...)``)."""
    words = r"\s+".join(re.escape(word) for word in prefix)
    return bool(prefix) and re.search(rf"(?<![\w./-]){words}(?![\w./-])", script) is not None


def _starts_with(argv: list[str], prefix: list[str]) -> bool:
    return bool(prefix) and argv[: len(prefix)] == prefix


class CommandRules:
    """Allow and deny prefixes, with the file that saved allow rules go to."""

    def __init__(
        self, allow: list[list[str]], deny: list[list[str]], saved_to: Path | None = None
    ) -> None:
        self.allow = [list(p) for p in allow]
        self.deny = [list(p) for p in deny]
        self._saved_to = saved_to

    @classmethod
    def load(cls, allow: list[list[str]], deny: list[list[str]], home: Path | None) -> CommandRules:
        """Config rules plus those saved in ``home/rules.toml`` (a broken file is ignored)."""
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
        return cls([*allow, *saved_allow], [*deny, *saved_deny], path)

    def verdict(self, argv: list[str]) -> RuleVerdict:
        """Deny if any command is denied; allow if every command is allowed; else none. A deny
        rule also matches the argv as given (a script denied as a whole, ``bash -lc ...``)."""
        if any(_starts_with(argv, p) for p in self.deny):
            return RuleVerdict.DENY
        script = shell_script(argv)
        commands = [argv] if script is None else parse_script(script)
        if commands is None:
            assert script is not None
            denied = any(_mentions(script, p) for p in self.deny)
            return RuleVerdict.DENY if denied else RuleVerdict.NONE
        if any(_starts_with(c, p) for c in commands for p in self.deny):
            return RuleVerdict.DENY
        if commands and all(any(_starts_with(c, p) for p in self.allow) for c in commands):
            return RuleVerdict.ALLOW
        return RuleVerdict.NONE

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
