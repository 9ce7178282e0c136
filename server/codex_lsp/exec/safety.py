"""Commands known to be safe to run without asking under the ``untrusted`` policy: read-only
tools with no option that writes, executes or escapes. Scripts (``bash -lc``) are read with a
real bash parser; every command in every list and pipeline must be safe, and redirections,
substitutions and anything beyond plain commands make a script unsafe."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from codex_lsp.exec.parse import shell_script
from codex_lsp.exec.shell_parse import parse_script

_ALWAYS_SAFE = {
    "basename",
    "cat",
    "cd",
    "cmp",
    "cut",
    "df",
    "diff",
    "dirname",
    "du",
    "echo",
    "false",
    "grep",
    "egrep",
    "fgrep",
    "head",
    "id",
    "ls",
    "nl",
    "printf",
    "pwd",
    "realpath",
    "stat",
    "tail",
    "tr",
    "true",
    "uname",
    "wc",
    "which",
    "whoami",
    "hostname",
    "readlink",
    "md5sum",
    "sha256sum",
}
_GIT_READ_ONLY = {
    "status",
    "log",
    "diff",
    "show",
    "rev-parse",
    "ls-files",
    "blame",
    "grep",
    "describe",
}
_GIT_BRANCH_LISTING = {
    "--list",
    "-l",
    "-a",
    "--all",
    "-r",
    "--remotes",
    "-v",
    "-vv",
    "--show-current",
}
_FIND_UNSAFE = {
    "-exec",
    "-execdir",
    "-ok",
    "-okdir",
    "-delete",
    "-fls",
    "-fprint",
    "-fprint0",
    "-fprintf",
}
_RG_UNSAFE = {"--pre", "--hostname-bin", "--search-zip", "-z"}
_SORT_UNSAFE = ("-o", "--output", "--compress-program")


def is_known_safe(argv: list[str]) -> bool:
    """True when every command in ``argv`` (or its ``bash -lc`` script) is read-only."""
    script = shell_script(argv)
    if script is None:
        return _safe_command(argv)
    commands = parse_script(script)
    return bool(commands) and all(_safe_command(c) for c in commands or [])


def _safe_command(argv: list[str]) -> bool:
    if not argv:
        return False
    name = PurePosixPath(argv[0]).name
    rest = argv[1:]
    if name in _ALWAYS_SAFE:
        return True
    checks: dict[str, Callable[[list[str]], bool]] = {
        "git": _safe_git,
        "find": lambda a: not any(x in _FIND_UNSAFE for x in a),
        "rg": lambda a: not any(x.split("=")[0] in _RG_UNSAFE for x in a),
        "sed": _safe_sed,
        "sort": lambda a: not any(x.startswith(_SORT_UNSAFE) for x in a),
        "env": lambda a: not a,
        "tree": lambda a: not any(x == "-o" or x.startswith("-o") for x in a),
        "date": lambda a: not any(x in ("-s", "--set") or x.startswith("--set=") for x in a),
        "uniq": lambda a: len([x for x in a if not x.startswith("-")]) <= 1,
        "file": lambda a: not any(x in ("-C", "--compile") for x in a),
    }
    check = checks.get(name)
    return check is not None and check(rest)


def _safe_git(rest: list[str]) -> bool:
    if not rest or rest[0].startswith("-"):
        return False  # global options (-c, -C, --exec-path, ...) can run anything
    sub, args = rest[0], rest[1:]
    if any(a.startswith(("--output", "--ext-diff", "--textconv")) for a in args):
        return False
    if sub == "branch":
        return all(a in _GIT_BRANCH_LISTING for a in args)
    return sub in _GIT_READ_ONLY


def _safe_sed(rest: list[str]) -> bool:
    """Only ``sed -n Np`` / ``sed -n N,Mp`` on files."""
    if len(rest) < 2 or rest[0] != "-n":
        return False
    expression = rest[1]
    if not expression.endswith("p"):
        return False
    numbers = expression[:-1].split(",")
    return (
        1 <= len(numbers) <= 2
        and all(n.isdigit() for n in numbers)
        and all(not f.startswith("-") for f in rest[2:])
    )
