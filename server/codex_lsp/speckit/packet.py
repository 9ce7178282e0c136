"""A SPEC packet: one work item's folder, and where its files are."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from codex_lsp.speckit.stages import STAGES


class LayoutKind(StrEnum):
    """The two folder layouts spec-kit knows."""

    FORK = "fork"
    GITHUB = "github"


@dataclass(frozen=True)
class SpecPacket:
    """A resolved SPEC: its id (``SPEC-KIT-071`` in the fork's layout, the folder name
    ``001-user-auth`` in GitHub's), its number, its folder, and warnings from resolving it."""

    id: str
    number: int
    folder: Path
    layout: LayoutKind
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def name(self) -> str:
        """The folder's name."""
        return self.folder.name

    def file(self, name: str) -> Path:
        """A file of the packet."""
        return self.folder / name

    def stage_file(self, stage: str) -> Path | None:
        """The file ``stage`` writes (``plan.md``), or None for a stage that writes none."""
        name = STAGES[stage].file
        return self.folder / name if name else None
