"""One project as spec-kit sees it: its root, its layout (chosen by ``speckit.layout``), the
effective configuration, ``$CODEX_LSP_HOME``, and where evidence and the run store are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codex_lsp.config.loader import codex_lsp_home
from codex_lsp.config.model import Config
from codex_lsp.config.speckit import LayoutSetting
from codex_lsp.speckit.layout import SpecLayout
from codex_lsp.speckit.layout_fork import ForkLayout
from codex_lsp.speckit.layout_github import GithubLayout, is_github_repo

_PROJECT_MARKERS = (".specify", "SPEC.md")


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``.specify/`` or ``SPEC.md``, searched no
    higher than the repository (the nearest folder holding ``.git``, itself the root when nothing
    nearer is marked); outside a repository, ``start`` itself. spec-kit works at a project's root,
    as upstream, but never climbs out of the project: a ``SPEC.md`` in a folder above it that the
    user did not open (``/tmp``, their home) must not take spec-kit's writes."""
    start = start.resolve()
    chain = (start, *start.parents)
    repository = next((folder for folder in chain if (folder / ".git").exists()), None)
    if repository is None:
        return start
    for folder in chain:
        if folder == repository or any((folder / mark).exists() for mark in _PROJECT_MARKERS):
            return folder
    return repository


def open_layout(root: Path, setting: LayoutSetting) -> SpecLayout:
    """The layout of ``root``: as configured, or for ``auto`` GitHub's when ``.specify/`` or a
    ``specs/NNN-*`` folder exists, else the fork's."""
    if setting is LayoutSetting.GITHUB or (setting is LayoutSetting.AUTO and is_github_repo(root)):
        return GithubLayout(root)
    return ForkLayout(root)


@dataclass(frozen=True)
class Workspace:
    """Everything a spec-kit command needs to know about where it runs."""

    root: Path
    layout: SpecLayout
    config: Config
    home: Path

    @classmethod
    def open(cls, root: Path, config: Config, home: Path | None = None) -> Workspace:
        """The workspace at ``root`` (already the project root) with ``config``."""
        root = root.resolve()
        return cls(root, open_layout(root, config.speckit.layout), config, home or codex_lsp_home())

    @property
    def evidence_dir(self) -> Path:
        """``speckit.evidence_dir`` (relative to the root), else the layout's default."""
        configured = self.config.speckit.evidence_dir
        if configured is None:
            return self.layout.default_evidence_dir
        return configured if configured.is_absolute() else self.root / configured

    @property
    def state_db(self) -> Path:
        """The SQLite store spec-kit runs are recorded in (the conversation store)."""
        return (self.config.state_db or self.home / "state.db").expanduser()

    def relative(self, path: Path) -> str:
        """``path`` relative to the root when inside it, for messages."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)
