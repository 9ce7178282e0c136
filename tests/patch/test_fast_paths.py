"""The command's shortcuts give what the general code gives: chunks applied by offsets into the
text (no split into lines) against the line-by-line search with its tolerance tiers, and paths
joined without pathlib against pathlib's join."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from codex_lsp.patch.apply import LineEdit, apply_chunks
from codex_lsp.patch.files import _joined
from codex_lsp.patch.model import PatchError, UpdateChunk

WORDS = ["a", "b", "a ", " a", "", "x\u2013y", "x-y", "end"]


def _outcome(text: str, chunks: list[UpdateChunk], edits: list[LineEdit] | None) -> str:
    try:
        return apply_chunks(text, chunks, "f.txt", edits)
    except PatchError as exc:
        return f"error: {exc.message}"


def _chunks(rng: random.Random, lines: list[str]) -> list[UpdateChunk]:
    """Chunks cut from ``lines`` front to back, some spelled differently from the file (so that
    only a tolerant tier finds them, or nothing does), some pure additions, some at the end."""
    chunks, at = [], 0
    while at < len(lines) and len(chunks) < 4:
        at += rng.randrange(0, 3)
        size = rng.randrange(0, 4)
        old = lines[at : at + size]
        ops = [(rng.choice(" -"), rng.choice([line, line + " ", line.strip()])) for line in old]
        ops.insert(rng.randrange(0, len(ops) + 1), ("+", rng.choice(WORDS)))
        context = rng.choice([None, None, rng.choice(WORDS)])
        eof = rng.random() < 0.15
        chunks.append(UpdateChunk(context, ops, eof))
        at += size
    return chunks


@pytest.mark.parametrize("seed", range(400))
def test_applying_by_offsets_matches_the_line_by_line_search(seed: int) -> None:
    rng = random.Random(seed)
    lines = [rng.choice(WORDS) for _ in range(rng.randrange(0, 12))]
    text = "\n".join(lines) + rng.choice(["\n", "", "\n\n"])
    chunks = _chunks(rng, lines)
    assert _outcome(text, chunks, None) == _outcome(text, chunks, [])  # edits: line by line


@pytest.mark.parametrize(
    "spelled",
    ["a.txt", "./a.txt", "a//b.txt", "a/./b.txt", "a/../b.txt", "/abs/x.txt", "//net/x", "///x"],
)
@pytest.mark.parametrize("base", ["/work", "/", "//share", "rel"])
def test_paths_are_joined_as_pathlib_joins_them(base: str, spelled: str) -> None:
    assert _joined(base, spelled) == str(Path(base) / spelled)
