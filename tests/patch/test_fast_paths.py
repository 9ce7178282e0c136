"""The command's shortcuts give what the general code gives: chunks applied by offsets into the
text (no split into lines) against the line-by-line search with its tolerance tiers, and paths
joined without pathlib against pathlib's join."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from codex_lsp.patch import apply, seek
from codex_lsp.patch.apply import LineEdit, apply_chunks
from codex_lsp.patch.files import _joined
from codex_lsp.patch.model import PatchError, UpdateChunk

WORDS = ["a", "b", "a ", " a", "", "x\u2013y", "x-y", "end"]


def _outcome(text: str, chunks: list[UpdateChunk]) -> tuple[str, list[tuple[int, int, str]]]:
    """The new text and the editor's line edits, or the error."""
    edits: list[LineEdit] = []
    try:
        new = apply_chunks(text, chunks, "f.txt", edits)
    except PatchError as exc:
        return f"error: {exc.message}", []
    assert apply_chunks(text, chunks, "f.txt") == new  # the same without edits asked for
    return new, [(e.start, e.end, e.text) for e in edits]


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
def test_applying_by_offsets_matches_the_line_by_line_search(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    lines = [rng.choice(WORDS) for _ in range(rng.randrange(0, 12))]
    text = "\n".join(lines) + rng.choice(["\n", "", "\n\n"])
    chunks = _chunks(rng, lines)
    by_offsets = _outcome(text, chunks)
    monkeypatch.setattr(apply, "_apply_exact", lambda *_: None)
    assert by_offsets == _outcome(text, chunks)


@pytest.mark.parametrize(
    "spelled",
    ["a.txt", "./a.txt", "a//b.txt", "a/./b.txt", "a/../b.txt", "/abs/x.txt", "//net/x", "///x"],
)
@pytest.mark.parametrize("base", ["/work", "/", "//share", "rel"])
def test_paths_are_joined_as_pathlib_joins_them(base: str, spelled: str) -> None:
    assert _joined(base, spelled) == str(Path(base) / spelled)


def _reference_seek(lines: list[str], pattern: list[str], start: int, eof: bool) -> int | None:
    """The search as it was written first: each tier normalises the whole window, then scans."""
    if not pattern:
        return start
    if len(pattern) > len(lines):
        return None
    first = max(start, len(lines) - len(pattern)) if eof else start
    for normalise in seek._TIERS:
        window = [normalise(line) for line in lines]
        wanted = [normalise(p) for p in pattern]
        for index in range(first, len(lines) - len(pattern) + 1):
            if window[index : index + len(pattern)] == wanted:
                return index
    return None


@pytest.mark.parametrize("seed", range(300))
def test_the_indexed_search_finds_what_a_plain_scan_finds(seed: int) -> None:
    rng = random.Random(seed)
    lines = [rng.choice(WORDS) for _ in range(rng.randrange(0, 15))]
    index = seek.LineIndex(lines)
    for _ in range(6):  # one index serves a chunk after another, as in a patch
        pattern = [rng.choice([*WORDS, "a\u00a0"]) for _ in range(rng.randrange(0, 3))]
        start, eof = rng.randrange(0, len(lines) + 2), rng.random() < 0.2
        assert index.seek(pattern, start, eof) == _reference_seek(lines, pattern, start, eof)


def test_chunks_found_only_by_a_tolerant_tier_normalise_the_file_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """500 chunks whose context has a trailing space the file has not, on a 20,000-line file:
    each line is normalised once, not once per chunk (that took seconds for 1,000 chunks)."""
    calls = 0

    def rstrip(text: str) -> str:
        nonlocal calls
        calls += 1
        return text.rstrip()

    monkeypatch.setattr(seek, "_TIERS", (seek._TIERS[0], rstrip, *seek._TIERS[2:]))
    text = "".join(f"row {i}\n" for i in range(20_000))
    chunks = [
        UpdateChunk(None, [(" ", f"row {i} "), ("-", f"row {i + 1}"), ("+", f"ROW {i + 1}")])
        for i in range(0, 20_000, 40)
    ]
    new = apply_chunks(text, chunks, "f.txt")
    assert new.count("ROW") == 500 and "ROW 1\n" in new and "row 1\n" not in new
    assert calls < 20_000 + 10 * len(chunks)
