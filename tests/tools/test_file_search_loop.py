"""Fuzzy file search never holds the event loop: the longest query the protocol accepts, over a
large listing, runs on its worker thread while the loop keeps ticking."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from codex_lsp.protocol.limits import QUERY_MAX_CHARS
from codex_lsp.tools import file_search
from codex_lsp.tools.file_search import FileIndex, search

FILES = 200_000
MAX_GAP_S = 0.25


async def _max_gap_while(work: asyncio.Future[object]) -> float:
    gap, last = 0.0, time.perf_counter()
    while not work.done():
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        gap, last = max(gap, now - last), now
    return gap


@pytest.mark.parametrize(
    "query",
    [("srcpkgmodulefile" * 100)[:QUERY_MAX_CHARS], "x" * QUERY_MAX_CHARS, "filepy"],
    ids=["deep partial matches", "no match", "many hits"],
)
async def test_the_longest_query_over_a_large_listing_leaves_the_loop_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    paths = [f"src/pkg{i % 97}/module_{i % 1013}/file_{i}.py" for i in range(FILES)]
    monkeypatch.setattr(file_search, "list_files", lambda root: paths)
    index = FileIndex()
    await asyncio.to_thread(index.listing, tmp_path)  # the listing is cached, as when typing
    work = asyncio.ensure_future(asyncio.to_thread(search, query, [tmp_path], 50, index))
    gap = await _max_gap_while(work)
    found = await work
    assert gap < MAX_GAP_S, f"the loop stalled {gap:.3f} s"
    if query == "filepy":
        assert len(found) == 50 and all(m.path.endswith(".py") for m in found)
    else:
        assert found == []
