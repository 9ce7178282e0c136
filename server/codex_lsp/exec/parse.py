"""Classifies a command (read / list files / search / unknown) so clients can show "Read foo.py"
instead of a raw command line. ``bash -lc "..."`` scripts are looked into."""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath

from codex_lsp.exec.shell_parse import parse_script
from codex_lsp.protocol.items import ParsedListFiles, ParsedRead, ParsedSearch, ParsedUnknown

Parsed = ParsedRead | ParsedListFiles | ParsedSearch | ParsedUnknown

_READERS = {"cat", "head", "tail", "nl", "less", "more", "bat"}
_LISTERS = {"ls", "tree", "find", "fd", "du"}
_SEARCHERS = {"rg", "grep", "egrep", "fgrep", "ag", "ack"}


def shell_script(argv: list[str]) -> str | None:
    """The script of ``bash -lc SCRIPT`` / ``sh -c SCRIPT`` style argv, else ``None``."""
    if (
        len(argv) == 3
        and PurePosixPath(argv[0]).name in ("bash", "sh", "zsh")
        and argv[1] in ("-c", "-lc")
    ):
        return argv[2]
    return None


def parse_command(argv: list[str]) -> list[Parsed]:
    """One entry per simple command in ``argv``."""
    script = shell_script(argv)
    if script is None:
        return [_classify(argv)]
    commands = parse_script(script)
    if commands is None:
        return [ParsedUnknown(cmd=script)]
    return [_classify(c) for c in commands if c[0] != "cd"] or [ParsedUnknown(cmd=script)]


def _operands(args: list[str]) -> list[str]:
    return [a for a in args if not a.startswith("-")]


def _classify(argv: list[str]) -> Parsed:
    cmd = shlex.join(argv)
    name = PurePosixPath(argv[0]).name if argv else ""
    rest = argv[1:]
    if name in _READERS or (name == "sed" and "-n" in rest):
        files = _operands(rest)
        if name == "sed" and files:
            files = files[1:]
        if files:
            return ParsedRead(cmd=cmd, name=PurePosixPath(files[-1]).name, path=files[-1])
    if name in _LISTERS or (name == "rg" and "--files" in rest):
        operands = _operands(rest)
        return ParsedListFiles(cmd=cmd, path=operands[0] if operands else None)
    if name in _SEARCHERS or (name == "git" and rest[:1] == ["grep"]):
        operands = _operands(rest[1:] if name == "git" else rest)
        query = operands[0] if operands else None
        path = operands[1] if len(operands) > 1 else None
        return ParsedSearch(cmd=cmd, query=query, path=path)
    return ParsedUnknown(cmd=cmd)
