"""Commands known to be safe to run without asking under the ``untrusted`` policy: read-only
tools with no option that writes, executes or escapes."""

from __future__ import annotations

from pathlib import PurePosixPath

from codex_lsp.exec.parse import shell_script, split_script

_ALWAYS_SAFE = {
    "cat",
    "cd",
    "echo",
    "false",
    "file",
    "grep",
    "head",
    "id",
    "ls",
    "nl",
    "pwd",
    "stat",
    "tail",
    "tree",
    "true",
    "uname",
    "wc",
    "which",
    "whoami",
    "date",
    "du",
    "df",
    "basename",
    "dirname",
    "realpath",
    "printf",
    "cut",
    "sort",
    "uniq",
    "tr",
    "diff",
    "cmp",
    "env",
}
_GIT_SAFE = {"status", "log", "diff", "show", "branch", "rev-parse", "ls-files", "blame", "grep"}
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
_SORT_UNSAFE_PREFIX = ("-o", "--output", "--compress-program")


def is_known_safe(argv: list[str]) -> bool:
    """True when every command in ``argv`` (or its ``bash -lc`` script) is read-only."""
    script = shell_script(argv)
    if script is None:
        return _safe_simple(argv)
    commands = split_script(script)
    return commands is not None and all(_safe_simple(c) for c in commands)


def _safe_simple(argv: list[str]) -> bool:
    if not argv:
        return False
    name = PurePosixPath(argv[0]).name
    rest = argv[1:]
    if name == "env":
        return not rest
    if name == "sort":
        return not any(a.startswith(_SORT_UNSAFE_PREFIX) for a in rest)
    if name in _ALWAYS_SAFE:
        return True
    if name == "git":
        return bool(rest) and rest[0] in _GIT_SAFE and "--output" not in rest
    if name == "find":
        return not any(a in _FIND_UNSAFE for a in rest)
    if name == "rg":
        return not any(a.split("=")[0] in _RG_UNSAFE for a in rest)
    if name == "sed":
        return len(rest) >= 2 and rest[0] == "-n" and rest[1].rstrip("p").replace(",", "").isdigit()
    return False
