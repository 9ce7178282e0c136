"""What the two SPEC layouts have in common: listing SPEC folders, resolving a reference (id,
number, folder name or path) to one of them, and the places templates, the constitution and
evidence live. :mod:`layout_fork` and :mod:`layout_github` fill in the differences."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.packet import LayoutKind, SpecPacket

LISTED_IN_ERRORS = 10


@dataclass(frozen=True)
class NewFolder:
    """Where ``/speckit.new`` puts a SPEC: its id, number and folder (not created yet)."""

    id: str
    number: int
    folder: Path


class SpecLayout(ABC):
    """One repository's SPEC folders in one layout."""

    kind: LayoutKind
    doc_files: tuple[str, ...]
    """The packet's files status lists, in order (a trailing ``/`` marks a folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # ------------------------------------------------------------ places
    @property
    @abstractmethod
    def specs_dir(self) -> Path:
        """The folder holding the SPEC folders."""

    @property
    @abstractmethod
    def constitution(self) -> Path:
        """The project's constitution."""

    @property
    @abstractmethod
    def template_dirs(self) -> tuple[Path, ...]:
        """The project's template folders, searched before ``$CODEX_LSP_HOME/templates``."""

    @property
    @abstractmethod
    def default_evidence_dir(self) -> Path:
        """Where evidence goes when ``speckit.evidence_dir`` is unset."""

    @property
    def tracker(self) -> Path | None:
        """The ``SPEC.md`` tracker, for the layout that has one."""
        return None

    # ------------------------------------------------------------ naming
    @abstractmethod
    def packet(self, folder_name: str) -> SpecPacket | None:
        """The packet of a folder called ``folder_name``, None when it is no SPEC folder."""

    @abstractmethod
    def candidates(self, ref: str, names: list[str]) -> list[str]:
        """The folder names among ``names`` that ``ref`` (an id, number or name) may mean."""

    @abstractmethod
    def next_folder(self, description: str) -> NewFolder:
        """The id and folder of a new SPEC described by ``description``."""

    @abstractmethod
    def ambiguous(self, ref: str, matches: list[str]) -> str | None:
        """Which of several ``matches`` wins (None: the reference is an error)."""

    def current(self) -> str | None:
        """The SPEC commands without an explicit one work on (GitHub's current feature)."""
        return None

    # ------------------------------------------------------------ listing
    def _entries(self) -> tuple[list[str], list[str]]:
        """The names of the folders and of the other entries in :attr:`specs_dir`."""
        folders: list[str] = []
        others: list[str] = []
        try:
            with os.scandir(self.specs_dir) as it:
                for entry in it:
                    (folders if entry.is_dir() else others).append(entry.name)
        except (FileNotFoundError, NotADirectoryError):
            pass
        return sorted(folders), sorted(others)

    def specs(self) -> list[SpecPacket]:
        """Every SPEC folder, by name."""
        folders, _ = self._entries()
        return [p for name in folders if (p := self.packet(name)) is not None]

    def resolve(self, ref: str) -> SpecPacket:
        """The SPEC ``ref`` names: a full id, a number, a folder name, or a path to the folder
        or a file in it. Raises :class:`SpeckitError` saying what exists when none matches."""
        ref = ref.strip().strip("\"'")
        if not ref:
            raise SpeckitError("no SPEC given: name one by id, number, folder or path")
        folders, others = self._entries()
        packets = {name: p for name in folders if (p := self.packet(name)) is not None}
        if _looks_like_path(ref):
            name = self._name_from_path(ref)
            matches = [name] if name in packets else []
        else:
            matches = self.candidates(ref, list(packets))
        if not matches:
            raise SpeckitError(self._not_found(ref, list(packets), others))
        if len(matches) == 1:
            return packets[matches[0]]
        chosen = self.ambiguous(ref, matches)
        if chosen is None:
            raise SpeckitError(
                f"{ref!r} matches several SPEC folders ({', '.join(matches)}); name one of them "
                "in full"
            )
        warning = f"{ref!r} matches {', '.join(matches)}; using {chosen}"
        packet = packets[chosen]
        return SpecPacket(packet.id, packet.number, packet.folder, packet.layout, (warning,))

    def _name_from_path(self, ref: str) -> str | None:
        """The SPEC folder a path points at or into (None when it is outside the SPECs)."""
        path = Path(ref) if Path(ref).is_absolute() else self.root / ref
        try:
            relative = path.resolve().relative_to(self.specs_dir.resolve())
        except (ValueError, OSError):
            return None
        return relative.parts[0] if relative.parts else None

    def _not_found(self, ref: str, names: list[str], others: list[str]) -> str:
        where = self.specs_dir.relative_to(self.root).as_posix() + "/"
        shown = ", ".join(names[:LISTED_IN_ERRORS]) + (
            ", …" if len(names) > LISTED_IN_ERRORS else ""
        )
        message = f"no SPEC {ref!r} in {where}: " + (
            f"the SPECs here are {shown}" if names else "there are none yet"
        )
        skipped = [o for o in others if o.lower().startswith(ref.lower())]
        if skipped:
            message += f" ({', '.join(where + s for s in skipped)} is a file, not a SPEC folder)"
        return message + ". Create one with /speckit.new <description>."


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith(".md")
