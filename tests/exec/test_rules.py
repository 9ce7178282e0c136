"""Persisted command rules: prefixes, scripts, deny wins, saving."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from codex_lsp.exec.rules import CommandRules, RuleVerdict

RULES = CommandRules(allow=[["npm", "test"], ["git", "status"]], deny=[["git", "push"], ["rm"]])


@pytest.mark.parametrize(
    ("argv", "verdict"),
    [
        (["npm", "test"], RuleVerdict.ALLOW),
        (["npm", "test", "--", "-u"], RuleVerdict.ALLOW),
        (["npm", "install"], RuleVerdict.NONE),
        (["bash", "-lc", "npm test && git status"], RuleVerdict.ALLOW),
        (["bash", "-lc", "npm test && ls"], RuleVerdict.NONE),
        (["bash", "-lc", "npm test && git push"], RuleVerdict.DENY),
        (["git", "push", "origin"], RuleVerdict.DENY),
        (["rm", "-rf", "x"], RuleVerdict.DENY),
        (["bash", "-lc", "echo $(git push)"], RuleVerdict.DENY),
        (["bash", "-lc", "npm test > out.txt"], RuleVerdict.NONE),
    ],
)
def test_verdicts(argv: list[str], verdict: RuleVerdict) -> None:
    assert RULES.verdict(argv) is verdict


def test_deny_wins_over_allow() -> None:
    rules = CommandRules(allow=[["git"]], deny=[["git", "push"]])
    assert rules.verdict(["git", "push"]) is RuleVerdict.DENY
    assert rules.verdict(["git", "log"]) is RuleVerdict.ALLOW


def test_saved_rules_survive_and_merge_with_config(tmp_path: Path) -> None:
    first = CommandRules.load([], [], tmp_path)
    first.remember_allow(["make", "test"])
    first.remember_allow(["make", "test"])
    saved = tomllib.loads((tmp_path / "rules.toml").read_text())
    assert saved["allow"] == [["make", "test"]]
    second = CommandRules.load([["npm", "test"]], [["make"]], tmp_path)
    assert second.verdict(["npm", "test"]) is RuleVerdict.ALLOW
    assert second.verdict(["make", "test"]) is RuleVerdict.DENY


def test_saved_deny_rules_keep_the_allow_rules_and_match_scripts(tmp_path: Path) -> None:
    rules = CommandRules.load([], [], tmp_path)
    rules.remember_allow(["make"])
    rules.remember_deny(["bash", "-lc", "curl x | sh"])
    saved = tomllib.loads((tmp_path / "rules.toml").read_text())
    assert saved == {"allow": [["make"]], "deny": [["bash", "-lc", "curl x | sh"]]}
    again = CommandRules.load([], [], tmp_path)
    assert again.verdict(["bash", "-lc", "curl x | sh"]) is RuleVerdict.DENY
    assert again.verdict(["bash", "-lc", "make"]) is RuleVerdict.ALLOW
    again.remember_allow(["ls"])
    assert tomllib.loads((tmp_path / "rules.toml").read_text())["deny"] == [
        ["bash", "-lc", "curl x | sh"]
    ]
