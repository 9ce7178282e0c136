"""The fork's layout: ``docs/SPEC-KIT-NNN-<slug>/`` packets (PRD.md, spec.md, one file per stage),
the ``SPEC.md`` tracker, ``memory/constitution.md``, ``templates/``."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.speckit.ids import FORK_ID, FORK_PREFIX, fork_id, slug
from codex_lsp.speckit.layout import NewFolder, SpecLayout
from codex_lsp.speckit.packet import LayoutKind, SpecPacket

EVIDENCE_DIR = Path("docs/SPEC-OPS-004-integrated-coder-hooks/evidence")


class ForkLayout(SpecLayout):
    """SPEC folders under ``docs/``, ids ``SPEC-<AREA>-<NNN>``."""

    kind = LayoutKind.FORK
    doc_files = (
        "PRD.md",
        "spec.md",
        "plan.md",
        "tasks.md",
        "implement.md",
        "validate.md",
        "audit.md",
        "unlock.md",
    )

    @property
    def specs_dir(self) -> Path:
        """``docs/``."""
        return self.root / "docs"

    @property
    def constitution(self) -> Path:
        """``memory/constitution.md``."""
        return self.root / "memory" / "constitution.md"

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        """``templates/``."""
        return (self.root / "templates",)

    @property
    def default_evidence_dir(self) -> Path:
        """The fork's central evidence folder."""
        return self.root / EVIDENCE_DIR

    @property
    def tracker(self) -> Path:
        """``SPEC.md``."""
        return self.root / "SPEC.md"

    def packet(self, folder_name: str) -> SpecPacket | None:
        """A folder named ``SPEC-<AREA>-<NNN>[-slug]``."""
        match = FORK_ID.match(folder_name)
        if match is None:
            return None
        spec_id = f"SPEC-{match.group(1).upper()}-{match.group(2)}"
        return SpecPacket(spec_id, int(match.group(2)), self.specs_dir / folder_name, self.kind)

    def candidates(self, ref: str, names: list[str]) -> list[str]:
        """Folders named ``ref`` or ``ref-…`` (case-insensitive); a bare number means
        ``SPEC-KIT-<number>``, and an id matches its number however it is padded."""
        key = fork_id(int(ref)) if ref.isdigit() else ref
        wanted = FORK_ID.match(key)
        is_id = wanted is not None and wanted.end() == len(key)
        lowered = key.lower()
        out = []
        for name in names:
            low = name.lower()
            if low == lowered or low.startswith(lowered + "-"):
                out.append(name)
            elif is_id and wanted is not None and (found := FORK_ID.match(name)):
                same_area = found.group(1).upper() == wanted.group(1).upper()
                if same_area and int(found.group(2)) == int(wanted.group(2)):
                    out.append(name)
        return out

    def ambiguous(self, ref: str, matches: list[str]) -> str | None:
        """The exact name wins, else the first by name (the fork's rule)."""
        exact = [m for m in matches if m.lower() == ref.lower()]
        return exact[0] if exact else sorted(matches)[0]

    def next_folder(self, description: str) -> NewFolder:
        """``SPEC-KIT-<max + 1>-<slug>``: only folders count (a file ``docs/SPEC-KIT-099.md``
        does not)."""
        suffix = slug(description)
        number = self.highest_number() + 1
        spec_id = fork_id(number)
        return NewFolder(spec_id, number, self.specs_dir / f"{spec_id}-{suffix}")

    def highest_number(self) -> int:
        """The largest NNN of the ``docs/SPEC-KIT-NNN…`` folders, 0 when there are none."""
        highest = 0
        folders, _ = self._entries()
        for name in folders:
            if not name.startswith(FORK_PREFIX):
                continue
            number = name[len(FORK_PREFIX) :].split("-", 1)[0]
            if number.isdigit():
                highest = max(highest, int(number))
        return highest
