"""codex_lsp.background.create_task: the one way the package starts a task (held until it ends,
named, its failure logged), and no module starting one another way."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from pathlib import Path

import pytest

import codex_lsp
from codex_lsp.background import create_task

PACKAGE = Path(codex_lsp.__file__).parent
ELSEWHERE = re.compile(r"\b(?:asyncio\.create_task|ensure_future|loop\.create_task)\(")


async def test_a_task_nobody_holds_runs_to_its_end() -> None:
    release, ended = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        await release.wait()
        ended.set()

    create_task(work(), name="unheld")
    gc.collect()  # asyncio alone holds a task weakly: an unheld one could vanish here
    release.set()
    await asyncio.wait_for(ended.wait(), 5)


async def test_a_failure_is_logged_with_the_task_name(caplog: pytest.LogCaptureFixture) -> None:
    async def work() -> None:
        raise RuntimeError("the disk is gone")

    task = create_task(work(), name="store-writer")
    await asyncio.wait({task})
    await asyncio.sleep(0)  # the done callback runs on the next loop iteration
    [record] = [r for r in caplog.records if r.name == "codex_lsp.background"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "task store-writer failed: the disk is gone"
    assert task.get_name() == "store-writer"
    with pytest.raises(RuntimeError):  # whoever awaits it still sees the failure
        task.result()


async def test_a_cancelled_task_leaves_its_owner_unlogged(caplog: pytest.LogCaptureFixture) -> None:
    async def work() -> None:
        await asyncio.Event().wait()

    owner: set[asyncio.Task[None]] = set()
    task = create_task(work(), name="waiting", owner=owner)
    assert owner == {task}
    task.cancel()
    await asyncio.wait({task})
    await asyncio.sleep(0)
    assert owner == set()
    assert not [r for r in caplog.records if r.name == "codex_lsp.background"]


def test_every_task_of_the_package_starts_through_the_helper() -> None:
    elsewhere = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "background.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ELSEWHERE.search(line)
    ]
    assert elsewhere == []
