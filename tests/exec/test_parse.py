"""Command classification for display (read / list files / search / unknown)."""

from __future__ import annotations

import pytest

from codex_lsp.exec.parse import parse_command


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
