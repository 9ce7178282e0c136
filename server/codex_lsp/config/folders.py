"""The folders Codex-style configuration files are found in, and reading one safely.

User level: the codex-lsp home (``$CODEX_LSP_HOME``) and Codex's ``~/.codex``. Project level:
``.codex`` and ``.codex-lsp`` in every folder from the project root down to the cwd, outermost
first (Codex reads its config layers lowest precedence first). Rules files live in their
``rules/`` subfolder, hooks in their ``hooks.json``.

Project files come from the repository, which is untrusted: they are opened without following a
FIFO or device (a regular file, size-capped), so a planted file cannot hang or flood the server.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import NamedTuple

from codex_lsp.errors import ConfigError

PROJECT_FOLDERS = (".codex", ".codex-lsp")


class ConfigFolders(NamedTuple):
    """Where to look, and whether the project's files may do what only the user may."""

    user: tuple[Path, ...] = ()
    project: tuple[Path, ...] = ()
    project_trusted: bool = False
    root: Path | None = None
    """The project root (named when telling the user how to trust the project)."""

    @classmethod
    def find(cls, home: Path | None, root: Path, cwd: Path, trusted: bool) -> ConfigFolders:
        """``home`` and ``~/.codex``, then ``.codex`` and ``.codex-lsp`` from ``root`` down to
        ``cwd`` (just ``cwd`` when it is not under ``root``)."""
        user = [home] if home else []
        codex = Path.home() / ".codex"
        if codex not in user:
            user.append(codex)
        try:
            parts = cwd.relative_to(root).parts
        except ValueError:
            parts, root = (), cwd
        levels = [root.joinpath(*parts[:depth]) for depth in range(len(parts) + 1)]
        mine = {
            folder.resolve() for folder in user
        }  # the home opened as a project stays the user's
        project = [
            level / name
            for level in levels
            for name in PROJECT_FOLDERS
            if (level / name).resolve() not in mine
        ]
        return cls(tuple(user), tuple(project), trusted, root)

    def trust_hint(self) -> str:
        """How the user trusts this project."""
        return f'trust it with [projects."{self.root}"] trust_level = "trusted" in your config.toml'


def read_small_text(path: Path, max_bytes: int) -> str:
    """The text of ``path`` if it is a regular UTF-8 file of at most ``max_bytes`` (opened
    non-blocking, so a FIFO cannot hang the reader). Raises :class:`ConfigError` naming the
    file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(f"{path}: not a regular file; not read")
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ConfigError(f"{path}: larger than {max_bytes // 1024} KiB; not read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not valid UTF-8") from None
