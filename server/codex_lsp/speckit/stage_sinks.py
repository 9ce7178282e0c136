"""Where a stage run's output goes: its events (an :class:`Emitter`) and its synthesis (a
:class:`SynthesisWriter`: the editor's buffers, or :class:`DiskWriter`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from codex_lsp.protocol.speckit_events import SpeckitEvent
from codex_lsp.speckit.files import write_text
from codex_lsp.speckit.workspace import Workspace


class Emitter(Protocol):
    """Receives a stage run's events."""

    def __call__(self, event: SpeckitEvent, /) -> None:
        """Deliver one event."""
        ...


class SynthesisWriter(Protocol):
    """Writes a stage's synthesis (part 1b: ``workspace/applyEdit`` into open buffers)."""

    async def write(self, files: Mapping[Path, str], label: str) -> list[Path]:
        """Write every file; the paths written."""
        ...


class DiskWriter:
    """Writes the synthesis to disk, atomically and inside the project."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    async def write(self, files: Mapping[Path, str], label: str) -> list[Path]:
        """Write each file in a worker thread."""

        def write_all() -> list[Path]:
            for path, text in files.items():
                write_text(path, self.workspace.root, text)
            return list(files)

        return await asyncio.to_thread(write_all)
