"""Command classification and the known-safe list."""

from __future__ import annotations

import pytest

from codex_lsp.exec.parse import parse_command
from codex_lsp.exec.safety import is_known_safe


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["cat", "src/app.py"], [("read", "src/app.py")]),
        (["sed", "-n", "1,40p", "main.rs"], [("read", "main.rs")]),
        (["ls", "-la", "src"], [("listFiles", "src")]),
        (["rg", "--files"], [("listFiles", None)]),
        (["rg", "-n", "TODO", "server"], [("search", "TODO")]),
        (["bash", "-lc", "cd app && cat a.txt | grep foo"], [("read", "a.txt"), ("search", "foo")]),
        (["python", "x.py"], [("unknown", None)]),
    ],
)
def test_parse_command(argv: list[str], expected: list[tuple[str, str | None]]) -> None:
    parsed = parse_command(argv)
    got = [(p.type, getattr(p, "path", None) if p.type != "search" else p.query) for p in parsed]
    assert got == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["ls", "-la"],
        ["git", "status"],
        ["bash", "-lc", "ls && git diff | head"],
        ["rg", "foo"],
        ["sed", "-n", "5,10p", "f"],
    ],
)
def test_known_safe(argv: list[str]) -> None:
    assert is_known_safe(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["rm", "-rf", "x"],
        ["find", ".", "-delete"],
        ["find", ".", "-exec", "rm", "{}", ";"],
        ["rg", "--pre", "sh", "x"],
        ["git", "push"],
        ["bash", "-lc", "ls > out.txt"],
        ["bash", "-lc", "ls && rm x"],
        ["bash", "-lc", "echo $(rm x)"],
        ["sort", "-o", "f", "g"],
        ["sed", "-i", "s/a/b/", "f"],
    ],
)
def test_not_known_safe(argv: list[str]) -> None:
    assert not is_known_safe(argv)
