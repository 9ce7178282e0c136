"""The user's and the project's Codex-style folders of a conversation (where its ``.rules``
files and ``hooks.json`` are), with the user's trust in the project, and the command rules they
make for ``codex-lsp rules check``."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.config.folders import ConfigFolders
from codex_lsp.config.model import Config
from codex_lsp.core.instructions import project_root
from codex_lsp.exec.rules import CommandRules


def config_folders(config: Config, home: Path | None, cwd: Path) -> ConfigFolders:
    """The user's folders and the project's around ``cwd``, with the user's trust in it."""
    root = project_root(cwd)
    trusted = config.trusts(root) or config.trusts(cwd)
    return ConfigFolders.find(home, root, cwd, trusted)


def load_command_rules(config: Config, home: Path | None, cwd: Path) -> CommandRules:
    """Every rule in effect for a conversation in ``cwd`` (reading a few small files)."""
    rules = config.command_rules
    return CommandRules.load(rules.allow, rules.deny, home, config_folders(config, home, cwd))
