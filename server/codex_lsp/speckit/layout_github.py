"""GitHub spec-kit's layout: ``.specify/`` (memory, templates, ``feature.json``) and
``specs/NNN-<name>/`` features (spec.md, plan.md, research.md, data-model.md, contracts/,
tasks.md, checklists/). Nothing is created outside those: no ``docs/``, ``SPEC.md`` or
``PRD.md``."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.files import read_text
from codex_lsp.speckit.ids import GITHUB_DIR, github_short_name
from codex_lsp.speckit.layout import NewFolder, SpecLayout
from codex_lsp.speckit.packet import LayoutKind, SpecPacket

log = logging.getLogger(__name__)

FEATURE_JSON = Path(".specify/feature.json")
MAX_FEATURE_BYTES = 64 * 1024
_BRANCH_FEATURE = re.compile(r"^(\d{3,})-")
_TIMESTAMP = re.compile(r"^\d{8}-\d{6}$")


class GithubLayout(SpecLayout):
    """Features under ``specs/``, found by number, name, path or the current feature."""

    kind = LayoutKind.GITHUB
    doc_files = (
        "spec.md",
        "plan.md",
        "research.md",
        "data-model.md",
        "contracts/",
        "quickstart.md",
        "tasks.md",
        "checklists/",
        "implement.md",
        "validate.md",
        "audit.md",
        "unlock.md",
    )

    @property
    def specs_dir(self) -> Path:
        """``specs/``."""
        return self.root / "specs"

    @property
    def constitution(self) -> Path:
        """``.specify/memory/constitution.md``."""
        return self.root / ".specify" / "memory" / "constitution.md"

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        """``.specify/templates/``."""
        return (self.root / ".specify" / "templates",)

    @property
    def default_evidence_dir(self) -> Path:
        """``.specify/evidence/``."""
        return self.root / ".specify" / "evidence"

    def packet(self, folder_name: str) -> SpecPacket | None:
        """A folder named ``NNN-name`` (or ``YYYYMMDD-HHMMSS-name``); its id is the name."""
        match = GITHUB_DIR.match(folder_name)
        if match is None:
            return None
        number = int(match.group(1).split("-", 1)[0])
        return SpecPacket(folder_name, number, self.specs_dir / folder_name, self.kind)

    def candidates(self, ref: str, names: list[str]) -> list[str]:
        """Folders named ``ref`` or ``ref-…``; a number matches the folders with that numeric
        prefix (``1`` and ``001`` both mean ``001-…``)."""
        out = []
        for name in names:
            if name == ref or name.startswith(ref + "-"):
                out.append(name)
            elif ref.isdigit() and (match := GITHUB_DIR.match(name)):
                prefix = match.group(1)
                if not _TIMESTAMP.match(prefix) and int(prefix) == int(ref):
                    out.append(name)
        return out

    def ambiguous(self, ref: str, matches: list[str]) -> str | None:
        """Only an exact name wins; several features with one number is an error (GitHub's)."""
        return ref if ref in matches else None

    def next_folder(self, description: str) -> NewFolder:
        """``specs/<max + 1 as NNN>-<short name>``."""
        number = max((p.number for p in self.specs() if not _is_timestamped(p.name)), default=0)
        number += 1
        name = f"{number:03d}-{github_short_name(description)}"
        return NewFolder(name, number, self.specs_dir / name)

    def current(self) -> str | None:
        """``$SPECIFY_FEATURE_DIRECTORY``, else ``.specify/feature.json``, else the numeric
        prefix of ``$SPECIFY_FEATURE`` or of the checked-out git branch (GitHub's order)."""
        env = os.environ.get("SPECIFY_FEATURE_DIRECTORY")
        if env:
            return env
        feature = self._feature_json()
        if feature:
            return feature
        branch = os.environ.get("SPECIFY_FEATURE") or _git_branch(self.root)
        match = _BRANCH_FEATURE.match(branch or "")
        return match.group(1) if match else None

    def _feature_json(self) -> str | None:
        path = self.root / FEATURE_JSON
        try:
            text = read_text(path, self.root, MAX_FEATURE_BYTES)
            data = json.loads(text) if text is not None else None
        except (SpeckitError, ValueError) as exc:
            log.warning("ignoring %s: %s", path, exc)
            return None
        value = data.get("feature_directory") if isinstance(data, dict) else None
        return value if isinstance(value, str) and value.strip() else None

    def write_current(self, packet: SpecPacket) -> Path:
        """Make ``packet`` the current feature (``.specify/feature.json``), as specify does."""
        path = self.root / FEATURE_JSON
        path.parent.mkdir(parents=True, exist_ok=True)
        relative = packet.folder.relative_to(self.root).as_posix()
        path.write_text(json.dumps({"feature_directory": relative}, indent=2) + "\n", "utf-8")
        return path


def _is_timestamped(name: str) -> bool:
    match = GITHUB_DIR.match(name)
    return bool(match and _TIMESTAMP.match(match.group(1)))


def _git_branch(root: Path) -> str | None:
    """The checked-out branch, read from ``.git/HEAD`` (no subprocess; worktrees included)."""
    git = root / ".git"
    try:
        if git.is_file():
            pointer = (read_text(git, None, MAX_FEATURE_BYTES) or "").strip()
            if not pointer.startswith("gitdir:"):
                return None
            git = (root / pointer.removeprefix("gitdir:").strip()).resolve()
        head = (read_text(git / "HEAD", None, MAX_FEATURE_BYTES) or "").strip()
    except (SpeckitError, OSError):
        return None
    return head.removeprefix("ref: refs/heads/") if head.startswith("ref: refs/heads/") else None


def is_github_repo(root: Path) -> bool:
    """``.specify/`` exists, or a ``specs/NNN-*`` folder does."""
    if (root / ".specify").is_dir():
        return True
    try:
        with os.scandir(root / "specs") as it:
            return any(e.is_dir() and re.match(r"^\d{3}-", e.name) for e in it)
    except OSError:
        return False
