"""What a turn uses of its conversation, as a few small objects: the history and the event
sink (:class:`Recorder`), the token accounting (:class:`UsageMeter`), the settings a reload
replaces, the seams, the input queued for it. A turn holds these, never the conversation, so
the dependency points one way: the conversation runs turns; turns know nothing of it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codex_lsp.config.folders import ConfigFolders
from codex_lsp.config.model import Config
from codex_lsp.core.hooks import Hooks, load_hooks
from codex_lsp.core.pending_input import PendingInput
from codex_lsp.core.recorder import Recorder
from codex_lsp.core.seams import Seams
from codex_lsp.core.shell_capture import ShellCapture
from codex_lsp.core.undo_log import UndoLog
from codex_lsp.core.usage import UsageMeter
from codex_lsp.exec.rules import CommandRules
from codex_lsp.protocol.history import HistoryItem
from codex_lsp.tools.terminals import Terminals

Background = Callable[[Coroutine[Any, Any, None], str], None]
"""Runs after-turn work (notify, the prompt history) without holding the turn; the name says
what it is in a log."""


@dataclass
class Settings:
    """What a configuration reload replaces; turns read it at each use."""

    config: Config
    command_rules: CommandRules
    hooks: Hooks

    @classmethod
    def load(cls, config: Config, home: Path | None, folders: ConfigFolders) -> Settings:
        """``config`` with the command rules and hooks of the user's and project's
        ``folders``."""
        rules = config.command_rules
        command_rules = CommandRules.load(rules.allow, rules.deny, home, folders)
        return cls(config, command_rules, load_hooks(folders))


@dataclass(frozen=True)
class TurnParts:
    """One conversation's parts, as its turns see them."""

    conversation_id: str
    home: Path | None
    base_instructions: str
    settings: Settings
    seams: Seams
    recorder: Recorder
    usage: UsageMeter
    pending: PendingInput
    background: Background
    approved_for_session: set[tuple[str, ...]]
    """Commands approved for the rest of the conversation."""
    denied_for_session: set[tuple[str, ...]]
    """What was rejected for the rest of the conversation."""
    snapshots: UndoLog
    """The files each file-changing turn touched, before and after, oldest first (undo)."""
    terminals: Terminals
    """The commands ``exec_command`` left running; they outlive the turns that started them."""
    shell_capture: ShellCapture
    """What the turns' shell commands change in the workspace (for undo)."""
    session_hooks: list[asyncio.Task[None]] = field(default_factory=list)
    """The SessionStart hooks, which the first prompt waits for."""

    @property
    def history(self) -> list[HistoryItem]:
        """The model's history; what is appended is stored with the next event or checkpoint."""
        return self.recorder.history

    @property
    def config(self) -> Config:
        """The configuration in effect now."""
        return self.settings.config
