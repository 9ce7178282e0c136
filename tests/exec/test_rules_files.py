"""Codex ``.rules`` files: the safe reader (never executes), matching, where files are found,
what a hostile or broken file can do, and ``codex-lsp rules check`` against ``codex execpolicy
check`` (the real Codex 0.169 binary, when installed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codex_lsp.config.folders import ConfigFolders
from codex_lsp.exec.rules import CommandRules, RuleVerdict
from codex_lsp.exec.rules_file import MAX_FILE_BYTES, RuleDecision, RulesFileError, parse_rules
from codex_lsp.exec.rules_load import LoadedRules, load_rules_files
from tests.helpers import subprocess_env

CODEX_BIN = os.environ.get("CODEX_BIN") or shutil.which("codex")

POLICY = """# a policy as Codex users write it
GIT = "git"
REMOTE_VERBS = ["push", "fetch"]

prefix_rule(
    pattern = [GIT, REMOTE_VERBS],
    decision = "prompt",
    justification = "talks to the remote",
    match = [["git", "push", "origin", "main"], "git fetch --all"],
    not_match = ["git status"],
)
prefix_rule(pattern = [GIT], decision = "allow")
prefix_rule(["rm", ["-rf", "-fr"]], "forbidden", justification = "Use `trash`.")
prefix_rule(pattern = [["npm", "pnpm"], "publish"], decision = "forbidden")
prefix_rule(pattern = ["gh", "pr", "view"])
host_executable(name = "gh", paths = ["/opt/gh/bin/gh"])
network_rule(host = "example.com", protocol = "https", decision = "allow")
"""

COMMANDS = [
    ["git", "push", "origin", "main"],
    ["git", "status"],
    ["git"],
    ["rm", "-rf", "/"],
    ["rm", "-r", "x"],
    ["pnpm", "publish", "--tag", "x"],
    ["npm", "install"],
    ["gh", "pr", "view", "7"],
    ["gh", "pr"],
    ["ls", "-la"],
    ["bash", "-lc", "git push"],
]


def _check(rules: CommandRules, argv: list[str]) -> RuleVerdict:
    return rules.verdict(argv)


def _policy(tmp_path: Path, text: str = POLICY) -> CommandRules:
    parsed = parse_rules(text, str(tmp_path / "p.rules"))
    return CommandRules([], [], files=LoadedRules(parsed.rules, parsed.host_executables))


@pytest.mark.parametrize(
    ("argv", "verdict"),
    [
        (["git", "push", "origin"], RuleVerdict.PROMPT),  # prompt beats allow
        (["git", "log"], RuleVerdict.ALLOW),
        (["rm", "-fr", "x"], RuleVerdict.DENY),
        (["rm", "x"], RuleVerdict.NONE),
        (["npm", "publish"], RuleVerdict.DENY),
        (["bash", "-lc", "git log && rm -rf x"], RuleVerdict.DENY),
        (["bash", "-lc", "git log && git fetch"], RuleVerdict.PROMPT),
        (["bash", "-lc", "git log && git status"], RuleVerdict.ALLOW),
        (["bash", "-lc", "git log && ls"], RuleVerdict.NONE),
        (["bash", "-lc", "echo $(rm -rf /) > x"], RuleVerdict.DENY),  # unparsable: mentioned
        (["bash", "-lc", "echo $(git log) > x"], RuleVerdict.NONE),  # ...but never allowed
        (["/bin/rm", "-rf", "x"], RuleVerdict.DENY),  # an absolute path is its basename
        (["/tmp/planted/git", "log"], RuleVerdict.NONE),  # ...but allows only when vouched for
        (["/opt/gh/bin/gh", "pr", "view", "1"], RuleVerdict.ALLOW),  # host_executable vouches
    ],
)
def test_verdicts(tmp_path: Path, argv: list[str], verdict: RuleVerdict) -> None:
    assert _check(_policy(tmp_path), argv) is verdict


def test_the_deciding_rule_is_named_with_its_line_and_justification(tmp_path: Path) -> None:
    evaluation = _policy(tmp_path).evaluate(["rm", "-rf", "x"])
    assert evaluation.reason() == f"{tmp_path / 'p.rules'}:13: Use `trash`."


def test_config_rules_and_file_rules_combine_strictest_first(tmp_path: Path) -> None:
    parsed = parse_rules('prefix_rule(["npm", "test"], "prompt")\n', "f.rules")
    rules = CommandRules([["npm"]], [["make"]], files=LoadedRules(parsed.rules))
    assert rules.verdict(["npm", "test"]) is RuleVerdict.PROMPT
    assert rules.verdict(["npm", "ci"]) is RuleVerdict.ALLOW
    assert rules.verdict(["make"]) is RuleVerdict.DENY


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ('prefix_rule(pattern=["git"], decision="deny")', 1, "invalid decision 'deny'"),
        ('prefix_rule(pattern=["git"], foo=1)', 1, "has no parameter `foo`"),
        ("prefix_rule(pattern=[])", 1, "pattern must be a non-empty list"),
        ('prefix_rule(pattern=["git"], match=["ls"])', 1, "`ls` does not match"),
        ('prefix_rule(pattern=["git"], not_match=["git x"])', 1, "`git x` matches"),
        ('prefix_rule(pattern=["git"], justification=" ")', 1, "non-empty string"),
        ('\n\nimport os\nprefix_rule(["x"])', 3, "import statement is not supported"),
        ('__import__("os").system("touch pwned")', 1, "unknown function"),
        ('prefix_rule(pattern=open("/etc/passwd").read())', 1, "Call expression is not supported"),
        ("prefix_rule(pattern=[x])", 1, "`x` is not defined"),
        ('prefix_rule(pattern=["a"] * 3)', 1, "BinOp expression is not supported"),
        ("def f():\n  pass\n", 1, "functiondef statement"),
        ('prefix_rule(pattern=["git"]', 1, "syntax error"),
        ('load("x.star", "y")', 1, "unknown function `load`"),
        ("x = [1]\n" + "x = x + x\n" * 20, 15, "longer than"),
        ('host_executable(name="git", paths=["git"])', 1, "must be absolute"),
    ],
)
def test_a_bad_file_is_an_error_naming_the_line(text: str, line: int, says: str) -> None:
    with pytest.raises(RulesFileError) as caught:
        parse_rules(text, "bad.rules")
    assert caught.value.message.startswith(f"bad.rules:{line}: ")
    assert says in caught.value.message


def test_the_reader_never_runs_the_file(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = [
        f'__import__("os").system("touch {marker}")',
        f'prefix_rule(pattern=[__import__("os").system("touch {marker}")])',
        f"x = [f\"{{__import__('os').system('touch {marker}')}}\"]",
        f'prefix_rule(pattern=[(lambda: __import__("os").system("touch {marker}"))()])',
    ]
    for text in hostile:
        with pytest.raises(RulesFileError):
            parse_rules(text, "hostile.rules")
    assert not marker.exists()


def test_huge_and_deeply_nested_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RulesFileError, match="larger than"):
        parse_rules("#" * (MAX_FILE_BYTES + 1), "big.rules")
    with pytest.raises(RulesFileError):
        parse_rules("x = " + "[" * 5000 + "]" * 5000, "deep.rules")


def test_defaults_positional_arguments_and_f_strings() -> None:
    parsed = parse_rules('V = "push"\nprefix_rule(["git", f"{V}"])\n', "f.rules")
    (rule,) = parsed.rules
    assert (rule.first, rule.rest, rule.decision) == ("git", (("push",),), RuleDecision.ALLOW)


def test_folders_user_then_project_and_a_fifo_does_not_hang(tmp_path: Path) -> None:
    home, root = tmp_path / "lsp-home", tmp_path / "repo"
    cwd = root / "sub"
    for folder in (home / "rules", root / ".codex" / "rules", cwd / ".codex-lsp" / "rules"):
        folder.mkdir(parents=True)
    (home / "rules" / "u.rules").write_text('prefix_rule(["a"], "forbidden")\n')
    (root / ".codex" / "rules" / "r.rules").write_text('prefix_rule(["b"], "prompt")\n')
    (cwd / ".codex-lsp" / "rules" / "c.rules").write_text('prefix_rule(["c"], "forbidden")\n')
    (root / ".codex" / "rules" / "ignored.txt").write_text('prefix_rule(["d"], "forbidden")\n')
    os.mkfifo(root / ".codex" / "rules" / "fifo.rules")
    (root / ".codex" / "rules" / "dev.rules").symlink_to("/dev/zero")
    loaded = load_rules_files(ConfigFolders.find(home, root, cwd, trusted=False))
    assert [r.first for r in loaded.rules] == ["a", "b", "c"]
    assert sorted(w.split(":")[0].rsplit("/", 1)[1] for w in loaded.warnings) == [
        "dev.rules",
        "fifo.rules",
    ]
    assert all("not a regular file" in w for w in loaded.warnings)


def _run_ours(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_lsp.cli.main", "rules", "check", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=subprocess_env(home),
        check=False,
    )


@pytest.mark.slow
def test_rules_check_names_the_deciding_rule(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "rules").mkdir(parents=True)
    (home / "rules" / "default.rules").write_text(POLICY)
    (home / "rules" / "broken.rules").write_text("prefix_rule(\n")
    result = _run_ours("-C", str(tmp_path), "git", "push", "origin", home=home)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "git push origin: prompt"
    assert lines[1].startswith("* prompt    git push  [") and "default.rules:5]" in lines[1]
    assert lines[2].startswith("  allow     git  [")
    assert "broken.rules:1: syntax error" in result.stderr
    assert "Traceback" not in result.stderr
    none = _run_ours("-C", str(tmp_path), "ls", home=home)
    assert none.stdout.strip() == "ls: no rule matches; the approval policy decides"


@pytest.mark.slow
@pytest.mark.skipif(CODEX_BIN is None, reason="the Codex CLI is not installed (set CODEX_BIN)")
def test_rules_check_json_matches_codex_execpolicy_check(tmp_path: Path) -> None:
    assert CODEX_BIN is not None
    policy = tmp_path / "p.rules"
    policy.write_text(POLICY)
    extra = tmp_path / "q.rules"
    extra.write_text('prefix_rule(pattern=["git", "push"], decision="forbidden")\n')
    for argv in COMMANDS:
        files = ["--rules", str(policy), "--rules", str(extra)]
        theirs = subprocess.run(
            [CODEX_BIN, "execpolicy", "check", *files, *argv],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        ours = _run_ours(*files, "--json", "--", *argv, home=tmp_path / "home")
        assert theirs.returncode == 0, theirs.stderr
        if argv[0] == "bash":  # Codex's check takes the argv as given; ours reads the script
            assert json.loads(ours.stdout)["decision"] == "forbidden"
            continue
        assert json.loads(ours.stdout) == json.loads(theirs.stdout), argv


@pytest.mark.slow
@pytest.mark.skipif(CODEX_BIN is None, reason="the Codex CLI is not installed (set CODEX_BIN)")
@pytest.mark.parametrize(
    "text",
    [
        'prefix_rule(pattern=["git"], decision="deny")',
        'prefix_rule(pattern=["git"], foo=1)',
        "prefix_rule(pattern=[])",
        'prefix_rule(pattern=["git"], match=["ls"])',
        'prefix_rule(pattern=["git"], not_match=["git x"])',
        'prefix_rule(pattern=["git"], decision="prompt", justification="")',
        'load("x.star", "y")',
        'prefix_rule(["git"], "prompt")',
        'x = ["git"]\nprefix_rule(pattern=x + ["push"], decision="forbidden")',
        'prefix_rule(pattern=["git", ["push"]], decision="prompt",)',
        'host_executable(name="git", paths=["/usr/bin/git"])\nprefix_rule(["git"])',
    ],
)
def test_codex_and_we_accept_and_refuse_the_same_files(tmp_path: Path, text: str) -> None:
    assert CODEX_BIN is not None
    path = tmp_path / "t.rules"
    path.write_text(text + "\n")
    theirs = subprocess.run(
        [CODEX_BIN, "execpolicy", "check", "--rules", str(path), "git", "push"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    ours = _run_ours("--rules", str(path), "--json", "git", "push", home=tmp_path / "home")
    assert (ours.returncode == 0) is (theirs.returncode == 0), (ours.stderr, theirs.stderr)
    if theirs.returncode == 0:
        assert json.loads(ours.stdout) == json.loads(theirs.stdout)
    else:
        assert ours.stderr.startswith(f"codex-lsp: {path}:") and "Traceback" not in ours.stderr


def test_the_home_opened_as_a_project_is_read_once_as_the_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    codex = tmp_path / ".codex" / "rules"  # ~/.codex is also the project's
    codex.mkdir(parents=True)
    (codex / "mine.rules").write_text('prefix_rule(["make"])\n')
    loaded = load_rules_files(ConfigFolders.find(None, tmp_path, tmp_path, trusted=False))
    assert [(r.first, r.decision) for r in loaded.rules] == [("make", RuleDecision.ALLOW)]
    assert loaded.warnings == []
