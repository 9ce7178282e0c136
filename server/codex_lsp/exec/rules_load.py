"""Where Codex ``.rules`` files are found and how they are read.

User level: ``$CODEX_LSP_HOME/rules/*.rules`` and Codex's ``~/.codex/rules/*.rules``. Project
level: ``.codex/rules/*.rules`` and ``.codex-lsp/rules/*.rules`` in every folder from the project
root down to the cwd. Files are read in that order (Codex reads its config layers lowest
precedence first); the order only matters for the listing, since the strictest matching rule
wins whatever its file.

The repository is untrusted: its files are opened without following a FIFO or device (a regular
file, at most :data:`MAX_FILE_BYTES`), and the ``allow`` rules of an untrusted project are dropped
with a warning (a repository may make commands stricter, never looser). A file that cannot be
read as rules is skipped with a warning naming its line; the other files still apply (unlike
Codex, which then drops every rule: a planted broken file must not switch off the user's
forbidden rules).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from codex_lsp.exec.rules_file import (
    MAX_FILE_BYTES,
    PrefixRule,
    RuleDecision,
    RulesFileError,
    parse_rules,
)

RULES_DIR = "rules"
RULES_SUFFIX = ".rules"
MAX_FILES_PER_FOLDER = 100


@dataclass(frozen=True)
class RuleFolders:
    """The folders rules files are read from, and whether the project's allow rules count."""

    user: tuple[Path, ...] = ()
    project: tuple[Path, ...] = ()
    project_trusted: bool = False
    root: Path | None = None
    """The project root (named in the warning about an untrusted project's allow rules)."""

    @classmethod
    def find(cls, home: Path | None, root: Path, cwd: Path, trusted: bool) -> RuleFolders:
        """The user's folders, then ``.codex/rules`` and ``.codex-lsp/rules`` from ``root`` down
        to ``cwd``."""
        user = [home / RULES_DIR] if home else []
        codex = Path.home() / ".codex" / RULES_DIR
        if codex not in user:
            user.append(codex)
        try:
            parts = cwd.relative_to(root).parts
        except ValueError:
            parts = ()
            root = cwd
        levels = [root.joinpath(*parts[:depth]) for depth in range(len(parts) + 1)]
        project = [lvl / name / RULES_DIR for lvl in levels for name in (".codex", ".codex-lsp")]
        return cls(tuple(user), tuple(project), trusted, root)


@dataclass
class LoadedRules:
    """Every rule read, and what went wrong."""

    rules: list[PrefixRule] = field(default_factory=list)
    host_executables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    """The files whose rules are in effect, in the order read."""


def rules_files(folder: Path) -> list[Path]:
    """The ``*.rules`` files of ``folder``, by name (none when it does not exist)."""
    try:
        names = sorted(p.name for p in folder.iterdir() if p.name.endswith(RULES_SUFFIX))
    except OSError:
        return []
    return [folder / name for name in names[:MAX_FILES_PER_FOLDER]]


def read_rules_text(path: Path) -> str:
    """The text of ``path`` if it is a regular UTF-8 file of at most :data:`MAX_FILE_BYTES`
    (opened non-blocking, so a FIFO planted in a repository cannot hang the server)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise RulesFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise RulesFileError(f"{path}: not a regular file; not read")
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise RulesFileError(f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB; not read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RulesFileError(f"{path}:{line}: not valid UTF-8") from None


def load_rules_files(folders: RuleFolders) -> LoadedRules:
    """Read every rules file of ``folders``; a bad one becomes a warning."""
    loaded = LoadedRules()
    for folder in folders.user:
        for path in rules_files(folder):
            _read_into(loaded, path, allow_ok=True)
    for folder in folders.project:
        for path in rules_files(folder):
            _read_into(loaded, path, allow_ok=folders.project_trusted, root=folders.root)
    return loaded


def _read_into(
    loaded: LoadedRules, path: Path, *, allow_ok: bool, root: Path | None = None
) -> None:
    try:
        parsed = parse_rules(read_rules_text(path), str(path))
    except RulesFileError as exc:
        loaded.warnings.append(f"{exc.message}; the rules of this file are ignored")
        return
    rules = parsed.rules
    if not allow_ok:
        dropped = [r for r in rules if r.decision is RuleDecision.ALLOW]
        if dropped:
            rules = [r for r in rules if r.decision is not RuleDecision.ALLOW]
            loaded.warnings.append(
                f"{path}: {len(dropped)} allow rule(s) ignored: an untrusted project may make "
                "commands stricter, not looser. Trust it with "
                f'[projects."{root or path.parent.parent.parent}"] trust_level = "trusted" in '
                "your config.toml."
            )
        parsed.host_executables.clear()  # they only widen what an allow rule matches
    loaded.rules.extend(rules)
    loaded.host_executables.update(parsed.host_executables)
    loaded.files.append(path)
