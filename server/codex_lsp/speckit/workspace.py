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

_ROOT_MARKERS = (".specify", ".git", "SPEC.md")


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``.specify/``, ``.git`` or ``SPEC.md``;
    ``start`` itself when there is none (spec-kit works at a project's root, as upstream)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in _ROOT_MARKERS):
            return folder
    return start


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
