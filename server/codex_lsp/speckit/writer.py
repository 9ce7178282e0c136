"""A stage's synthesis written the way an agent's edits are: through the conversation's file
sink (the editor's ``workspace/applyEdit`` for open buffers, the disk for the rest or for a
client without it), with the files' previous content recorded in the turn, so the turn's diff
shows the change and ``codex/undoTurn`` restores it. An answer to a quality-gate question given
outside any turn (a code action) goes through the editor's sink alone (:class:`SinkWriter`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from codex_lsp.errors import SpeckitError
from codex_lsp.patch.files import FilePlan
from codex_lsp.patch.model import PatchError
from codex_lsp.speckit.files import check_writable
from codex_lsp.tools.files import FileSink
from codex_lsp.tools.registry import ToolSession


async def write_through(
    sink: FileSink, root: Path, files: Mapping[Path, str], label: str
) -> list[Path]:
    """Write every file (inside the project only) through ``sink`` as one edit."""
    paths = list(files)
    for path in paths:
        await asyncio.to_thread(check_writable, path, root)
    plans = []
    for path in paths:
        old = await sink.load(path)
        shown = path.relative_to(root).as_posix()
        if old is None:
            plans.append(FilePlan("add", shown, path, None, files[path]))
        else:
            plans.append(FilePlan("update", shown, path, old, files[path]))
    try:
        await sink.write(plans, f"codex-lsp: {label}")
    except PatchError as exc:
        raise SpeckitError(f"{label}: writing the file failed: {exc.message}") from exc
    return paths


class SinkWriter:
    """A :class:`~codex_lsp.speckit.stage_sinks.SynthesisWriter` over a file sink (no turn)."""

    def __init__(self, sink: FileSink, root: Path) -> None:
        self.sink = sink
        self.root = root

    async def read(self, path: Path) -> str | None:
        """The file's text as the editor has it."""
        return await self.sink.load(path)

    async def write(self, files: Mapping[Path, str], label: str) -> list[Path]:
        """Write every file as one edit."""
        return await write_through(self.sink, self.root, files, label)


class SessionWriter:
    """A :class:`~codex_lsp.speckit.stage_sinks.SynthesisWriter` over a turn's tool session."""

    def __init__(self, session: ToolSession, root: Path) -> None:
        self.session = session
        self.root = root

    async def read(self, path: Path) -> str | None:
        """The file's text as the editor has it."""
        return await self.session.files.load(path)

    async def write(self, files: Mapping[Path, str], label: str) -> list[Path]:
        """Write every file (inside the project only) as one edit of the turn."""
        self.session.record_preimage(list(files))
        paths = await write_through(self.session.files, self.root, files, label)
        self.session.emit_turn_diff()
        return paths
