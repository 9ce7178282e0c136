"""The command rules a conversation follows: its config's ``[command_rules]``, the rules saved in
the home, and the Codex ``.rules`` files of the user and of the project around its cwd."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.config.model import Config
from codex_lsp.core.context import project_root
from codex_lsp.exec.rules import CommandRules
from codex_lsp.exec.rules_load import RuleFolders


def load_command_rules(config: Config, home: Path | None, cwd: Path) -> CommandRules:
    """Every rule in effect for a conversation in ``cwd`` (reading a few small files)."""
    root = project_root(cwd)
    trusted = config.trusts(root) or config.trusts(cwd)
    folders = RuleFolders.find(home, root, cwd, trusted)
    rules = config.command_rules
    return CommandRules.load(rules.allow, rules.deny, home, folders)
