"""Where Codex ``.rules`` files are found and how they are read.

User level: ``$CODEX_LSP_HOME/rules/*.rules`` and Codex's ``~/.codex/rules/*.rules``. Project
level: ``.codex/rules/*.rules`` and ``.codex-lsp/rules/*.rules`` in every folder from the project
root down to the cwd (:class:`~codex_lsp.config.folders.ConfigFolders`). Files are read in that
order; the order only matters for the listing, since the strictest matching rule wins whatever
its file.

The repository is untrusted: its files are read as regular, size-capped files only, and the
``allow`` rules of an untrusted project are dropped
with a warning (a repository may make commands stricter, never looser). A file that cannot be
read as rules is skipped with a warning naming its line; the other files still apply (unlike
Codex, which then drops every rule: a planted broken file must not switch off the user's
forbidden rules).
"""

from __future__ import annotations

from pathlib import Path

from codex_lsp.config.folders import ConfigFolders, read_small_text
from codex_lsp.errors import ConfigError
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


class LoadedRules:
    """Every rule read, and what went wrong."""

    def __init__(
        self,
        rules: list[PrefixRule] | None = None,
        host_executables: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.rules = rules if rules is not None else []
        self.host_executables = host_executables if host_executables is not None else {}
        self.warnings: list[str] = []
        self.files: list[Path] = []
        """The files whose rules are in effect, in the order read."""


def rules_files(folder: Path) -> list[Path]:
    """The ``*.rules`` files of ``folder``, by name (none when it does not exist)."""
    try:
        names = sorted(p.name for p in folder.iterdir() if p.name.endswith(RULES_SUFFIX))
    except OSError:
        return []
    return [folder / name for name in names[:MAX_FILES_PER_FOLDER]]


def read_rules_text(path: Path) -> str:
    """The text of a rules file (a regular file of at most :data:`MAX_FILE_BYTES`)."""
    try:
        return read_small_text(path, MAX_FILE_BYTES)
    except ConfigError as exc:
        raise RulesFileError(exc.message) from None


def load_rules_files(folders: ConfigFolders) -> LoadedRules:
    """Read the ``rules/*.rules`` files of ``folders``; a bad one becomes a warning."""
    loaded = LoadedRules()
    for folder in folders.user:
        for path in rules_files(folder / RULES_DIR):
            _read_into(loaded, path, folders, allow_ok=True)
    for folder in folders.project:
        for path in rules_files(folder / RULES_DIR):
            _read_into(loaded, path, folders, allow_ok=folders.project_trusted)
    return loaded


def _read_into(loaded: LoadedRules, path: Path, folders: ConfigFolders, *, allow_ok: bool) -> None:
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
                f"commands stricter, not looser; {folders.trust_hint()}"
            )
        parsed.host_executables.clear()  # they only widen what an allow rule matches
    loaded.rules.extend(rules)
    loaded.host_executables.update(parsed.host_executables)
    loaded.files.append(path)
