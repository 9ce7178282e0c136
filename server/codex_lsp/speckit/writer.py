"""A stage's synthesis written the way an agent's edits are: through the conversation's file
sink (the editor's ``workspace/applyEdit`` for open buffers, the disk for the rest or for a
client without it), with the files' previous content recorded in the turn, so the turn's diff
shows the change and ``codex/undoTurn`` restores it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from codex_lsp.errors import SpeckitError
from codex_lsp.patch.files import FilePlan
from codex_lsp.patch.model import PatchError
from codex_lsp.speckit.files import check_writable
from codex_lsp.tools.registry import ToolSession


class SessionWriter:
    """A :class:`~codex_lsp.speckit.engine.SynthesisWriter` over a turn's tool session."""

    def __init__(self, session: ToolSession, root: Path) -> None:
        self.session = session
        self.root = root

    async def write(self, files: Mapping[Path, str], label: str) -> list[Path]:
        """Write every file (inside the project only) as one edit of the turn."""
        paths = list(files)
        for path in paths:
            await asyncio.to_thread(check_writable, path, self.root)
        plans = []
        for path in paths:
            old = await self.session.files.load(path)
            shown = path.relative_to(self.root).as_posix()
            if old is None:
                plans.append(FilePlan("add", shown, path, None, files[path]))
            else:
                plans.append(FilePlan("update", shown, path, old, files[path]))
        self.session.record_preimage(paths)
        try:
            await self.session.files.write(plans, f"codex-lsp: {label}")
        except PatchError as exc:
            raise SpeckitError(f"{label}: writing the stage file failed: {exc.message}") from exc
        self.session.emit_turn_diff()
        return paths
