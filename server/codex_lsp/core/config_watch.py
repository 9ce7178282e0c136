"""Hot reload: watches the config files of live conversations (the user file and each
workspace's ``.codex-lsp/config.toml``) and reloads on change. Writes that land together (an
editor saving several times) are debounced into one reload."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from codex_lsp.background import create_task

log = logging.getLogger(__name__)

DEBOUNCE_MS = 50
STEP_MS = 20


class ConfigWatcher:
    """Calls ``on_change`` after any watched file changes; restart-free when files are added."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self._files: set[Path] = set()
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None

    def watch(self, files: set[Path]) -> None:
        """Watch ``files`` (those whose folder exists); restarts the watcher if the set grew."""
        wanted = {f.resolve() for f in files if f.parent.is_dir()}
        if wanted <= self._files and self._task is not None:
            return
        self._files |= wanted
        self.stop()
        self._stop = asyncio.Event()
        self._task = create_task(self._run(self._stop), name="config-watcher")

    def stop(self) -> None:
        """Stop watching."""
        if self._stop is not None:
            self._stop.set()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self, stop: asyncio.Event) -> None:
        from watchfiles import awatch

        folders = sorted({str(f.parent) for f in self._files})
        files = {str(f) for f in self._files}
        try:
            async for _ in awatch(
                *folders,
                watch_filter=lambda _change, path: path in files,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                recursive=False,
                stop_event=stop,
            ):
                try:
                    self._on_change()
                except Exception:
                    log.exception("config reload failed")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("config watcher stopped")
        finally:
            with contextlib.suppress(Exception):
                stop.set()
