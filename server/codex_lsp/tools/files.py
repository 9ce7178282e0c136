"""Where the agent's file edits go: a :class:`FileSink` reads files as the user sees them and
writes planned changes. :class:`DiskSink` is the disk (exec CLI, tests); the LSP front end
provides one that routes open documents through the editor."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

from codex_lsp.patch.files import FilePlan, Summary, read_disk, write_plan


class FileSink(Protocol):
    """Reads and writes files on the agent's behalf. Disk reads take regular files only, at
    most ``MAX_FILE_BYTES`` of them (:func:`codex_lsp.patch.files.read_disk`)."""

    def read(self, path: Path) -> str | None:
        """The current text of ``path`` (``None`` when there is no such file)."""
        ...

    async def load(self, path: Path) -> str | None:
        """:meth:`read`, with the disk read off the event loop."""
        ...

    async def write(self, plans: list[FilePlan], label: str) -> list[str]:
        """Carry out ``plans``; returns notes for the model. Raises PatchError on failure."""
        ...


class DiskSink:
    """Files on disk, written atomically."""

    def read(self, path: Path) -> str | None:
        """The disk's text."""
        return read_disk(path)

    async def load(self, path: Path) -> str | None:
        """The disk's text, read in a worker thread."""
        return await asyncio.to_thread(read_disk, path)

    async def write(self, plans: list[FilePlan], label: str) -> list[str]:
        """Write each plan in order, in a worker thread."""
        await asyncio.to_thread(_write_all, plans)
        return []


def _write_all(plans: list[FilePlan]) -> None:
    summary = Summary([], [], [])
    for plan in plans:
        write_plan(plan, summary)
