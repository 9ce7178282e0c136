"""Fuzzy file search: ranking, match indices, cancellation, narrowing while typing."""

from __future__ import annotations

import threading
from pathlib import Path

from codex_lsp.tools.file_search import FileIndex, search

FILES = [
    "src/app/models.py",
    "src/app/views.py",
    "docs/models.md",
    "tests/test_models_extra.py",
    "README.md",
]


def _tree(root: Path) -> Path:
    for rel in FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
    return root


def test_basename_matches_rank_first_with_indices(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    found = search("models", [root], 10, FileIndex())
    assert [m.path for m in found][:2] == ["docs/models.md", "src/app/models.py"]
    for match in found:
        assert "".join(match.path[i] for i in match.indices).lower() == "models"
    assert search("mdl", [root], 10, FileIndex())[0].path.endswith("models.md")
    assert search("zzz", [root], 10, FileIndex()) == []


def test_case_insensitive_subsequence(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    paths = [m.path for m in search("RdMe", [root], 10, FileIndex())]
    assert paths == ["README.md"]


def test_a_cancelled_search_returns_nothing(tmp_path: Path) -> None:
    cancelled = threading.Event()
    cancelled.set()
    assert search("models", [_tree(tmp_path)], 10, FileIndex(), cancelled) == []


def test_typing_narrows_the_previous_hits(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    index = FileIndex()
    assert len(search("m", [root], 10, index)) == 4
    assert index.listing(root).last_query == "m"
    narrowed = search("mod", [root], 10, index)
    assert {m.path for m in narrowed} == {
        "src/app/models.py",
        "docs/models.md",
        "tests/test_models_extra.py",
    }
    assert search("view", [root], 10, index)[0].path == "src/app/views.py"
