"""One conversation's use of the workspace watches (:mod:`codex_lsp.core.workspace_watch`): the
files each command it runs (a ``shell`` call, or the stretch of a terminal a tool call waits on)
changed, handed to the turn for undo."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from codex_lsp.background import create_task
from codex_lsp.core.bounded_read import Content
from codex_lsp.core.workspace_watch import Window, WorkspaceWatch, acquire, release

log = logging.getLogger(__name__)

_T = TypeVar("_T")

READY_TIMEOUT_S = 2.0
"""The longest a command waits for its workspace's baseline (built once, when the first command
starts: git's lists, a stat of every file). A workspace slower than that (a huge repository, a
hanging git or file system) runs the command uncaptured while the baseline goes on building."""
SETTLE_TIMEOUT_S = 5.0
"""The longest a command's answer waits for what it changed; a capture still settling then is
recorded when it is done."""


class ShellCapture:
    """One conversation's use of the shared workspace watches: what each command it runs
    changed. A failure here never fails the command: the capture is skipped and logged."""

    def __init__(self) -> None:
        self._held: dict[Path, WorkspaceWatch] = {}

    async def around(
        self,
        root: Path,
        command: Callable[[], Awaitable[_T]],
        record: Callable[[dict[Path, Content]], None],
    ) -> _T:
        """Run ``command()``; hand ``record`` the files it changed in ``root`` and what they held
        before (also when it failed or was cancelled, as far as the capture got)."""
        watch = self._watch(root)
        window = await _begin(watch)
        try:
            return await command()
        finally:
            if window is not None:
                ending = create_task(watch.end(window), name="shell-capture-end")
                ending.add_done_callback(partial(_deliver, record))
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(ending), SETTLE_TIMEOUT_S)

    def _watch(self, root: Path) -> WorkspaceWatch:
        key = root.resolve()
        if key not in self._held:
            self._held[key] = acquire(key)
        return self._held[key]

    def close(self) -> None:
        """The conversation ended."""
        for watch in self._held.values():
            release(watch)
        self._held.clear()


async def _begin(watch: WorkspaceWatch) -> Window | None:
    """A window on ``watch`` for one command, or ``None`` (the command runs uncaptured) when the
    baseline fails or is not ready within :data:`READY_TIMEOUT_S`."""
    try:
        await asyncio.wait_for(watch.prepare(), READY_TIMEOUT_S)
        return await watch.begin()
    except TimeoutError:
        log.warning(
            "the change capture of %s is not ready after %.0f s: this command's changes are "
            "not recorded for undo",
            watch.root,
            READY_TIMEOUT_S,
        )
    except Exception:
        log.exception("the change capture of %s could not start", watch.root)
    return None


def _deliver(
    record: Callable[[dict[Path, Content]], None], task: asyncio.Future[dict[Path, Content]]
) -> None:
    if task.cancelled() or task.exception() is not None:
        _log_failure(task)
    else:
        record(task.result())


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("the change capture failed: %s", task.exception())
