"""The spec-kit store and the conversation store share one SQLite file, and a language server
opens both at ``initialized`` (the resume offers, the first conversation): opening a new file
from two connections at once must not fail. SQLite refused the second ``journal_mode = WAL``
with "database is locked" without waiting, for about 2 pairs in 100 (so this test failed on
that code more often than not)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from codex_lsp.store.database import open_database
from codex_lsp.store.speckit_runs import SpeckitRuns

PAIRS = 100


async def _together(path: Path) -> None:
    conversations, speckit = await asyncio.gather(open_database(path), SpeckitRuns.open(path))
    await conversations.close()
    await speckit.close()


async def test_both_stores_open_one_new_file_at_once(tmp_path: Path) -> None:
    for n in range(PAIRS):
        await _together(tmp_path / f"{n}" / "state.db")
