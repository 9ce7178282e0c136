"""Where the agent's file edits go: a :class:`FileSink` reads files as the user sees them and
writes planned changes. :class:`DiskSink` is the disk (exec CLI, tests); the LSP front end
provides one that routes open documents through the editor."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from codex_lsp.patch.files import FilePlan, Summary, read_disk, write_plan


class FileSink(Protocol):
    """Reads and writes files on the agent's behalf."""

    def read(self, path: Path) -> str | None:
        """The current text of ``path`` (``None`` when there is no such file)."""
        ...

    async def write(self, plans: list[FilePlan], label: str) -> list[str]:
        """Carry out ``plans``; returns notes for the model. Raises PatchError on failure."""
        ...


class DiskSink:
    """Files on disk, written atomically."""

    def read(self, path: Path) -> str | None:
        """The disk's text."""
        return read_disk(path)

    async def write(self, plans: list[FilePlan], label: str) -> list[str]:
        """Write each plan in order."""
        summary = Summary([], [], [])
        for plan in plans:
            write_plan(plan, summary)
        return []
