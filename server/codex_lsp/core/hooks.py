"""Lifecycle hooks in the ``hooks.json`` shape Codex, Claude Code, Cline and Continue share.

``{"hooks": {"PreToolUse": [{"matcher": "shell|Bash", "hooks": [{"type": "command",
"command": "...", "timeout": 30}]}]}}`` in ``$CODEX_LSP_HOME/hooks.json``, ``~/.codex/hooks.json``
and, for a trusted project, ``.codex/hooks.json`` / ``.codex-lsp/hooks.json`` from the project
root down to the cwd. Events: SessionStart, UserPromptSubmit, PreToolUse, PostToolUse, Stop;
others (other tools have more) are ignored.

A hook is code the user chose to run: the user's own files, or a project the user trusts. A
repository that is not trusted cannot run anything by shipping a ``hooks.json`` (that would run
its code on open, with no approval); its hooks are listed in a warning instead. Hooks run outside
the sandbox, like Codex's (a sandbox contains the model, and a hook is not the model's), with the
environment commands get (``shell_environment_policy``: no API keys).

PreToolUse and UserPromptSubmit may block; the others only observe. A hook that fails, hangs
(its timeout, 60 s by default) or prints garbage is reported as a warning and never blocks.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from codex_lsp.config.folders import ConfigFolders, read_small_text
from codex_lsp.errors import ConfigError
from codex_lsp.exec.hooks import HookCommand, HookRun, run_hook
from codex_lsp.protocol.history import CustomToolCall, FunctionCall

HOOKS_FILE = "hooks.json"
MAX_HOOKS_FILE_BYTES = 256 * 1024
DEFAULT_TIMEOUT_S = 60.0
MAX_TIMEOUT_S = 600.0
EVENTS = ("SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop")
BLOCKING_EVENTS = ("UserPromptSubmit", "PreToolUse")
_TOOL_ALIASES = {"shell": ("Bash",), "apply_patch": ("Edit", "Write")}
"""Names other tools give the same tools, so a hooks.json written for them matches."""


class _Handler(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    type: str = "command"
    command: str | None = None
    timeout: float | None = Field(default=None, gt=0)


class _Group(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    matcher: str | None = None
    hooks: list[_Handler] = []


class _HooksFile(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    hooks: dict[str, list[_Group]] = Field(default_factory=dict)


class _Entry(NamedTuple):
    hook: HookCommand
    matcher: re.Pattern[str] | None


class HookSite(NamedTuple):
    """Where an event happens: the conversation, its turn settings, the hooks' environment."""

    session_id: str
    cwd: Path
    model: str
    permission_mode: str
    env: dict[str, str]
    turn_id: str | None = None


class HookOutcome(NamedTuple):
    """What the hooks of one event said."""

    blocked: bool = False
    reason: str | None = None
    problems: tuple[str, ...] = ()
    """One report per hook that failed, naming it."""


@dataclass
class Hooks:
    """The hooks of a conversation, by event."""

    entries: dict[str, list[_Entry]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """What was wrong with the files, and the project hooks not run for lack of trust."""

    def matching(self, event: str, target: str | None = None) -> list[HookCommand]:
        """The hooks of ``event`` whose matcher matches ``target`` (a tool name, a source)."""
        names = [target, *_TOOL_ALIASES.get(target or "", ())] if target else []
        return [
            e.hook
            for e in self.entries.get(event, [])
            if e.matcher is None or any(e.matcher.fullmatch(n) for n in names)
        ]

    async def fire(
        self, event: str, payload: dict[str, Any], where: HookSite, target: str | None = None
    ) -> HookOutcome:
        """Run the matching hooks of ``event`` side by side on ``payload`` plus the fields every
        event carries (Codex's names); blocked when any of them blocks an event that can be
        blocked."""
        hooks = self.matching(event, target)
        if not hooks:
            return HookOutcome()
        body: dict[str, Any] = {
            "session_id": where.session_id,
            "transcript_path": None,
            "cwd": str(where.cwd),
            "model": where.model,
            "permission_mode": where.permission_mode,
            "hook_event_name": event,
        }
        if where.turn_id is not None:
            body["turn_id"] = where.turn_id
        body.update(payload)
        runs = await asyncio.gather(*(run_hook(h, body, where.cwd, where.env) for h in hooks))
        return _outcome(event, runs)


def tool_input(call: FunctionCall | CustomToolCall) -> Any:
    """A tool call's arguments as PreToolUse and PostToolUse hooks get them (``tool_input``)."""
    if isinstance(call, CustomToolCall):
        return {"input": call.input}
    try:
        return json.loads(call.arguments)
    except ValueError:
        return {"arguments": call.arguments}


def _outcome(event: str, runs: list[HookRun]) -> HookOutcome:
    problems = [
        f"{event} hook `{r.hook.command}` ({r.hook.source}) {r.problem}" for r in runs if r.problem
    ]
    blocking = [r for r in runs if r.blocked]
    if blocking and event not in BLOCKING_EVENTS:
        problems += [
            f"{event} hook `{r.hook.command}` ({r.hook.source}) asked to block, but {event} "
            "cannot be blocked; ignored"
            for r in blocking
        ]
        blocking = []
    reason = "; ".join(r.reason or "" for r in blocking) or None
    return HookOutcome(bool(blocking), reason, tuple(problems))


def load_hooks(folders: ConfigFolders) -> Hooks:
    """The hooks of the user's files and, if trusted, the project's."""
    hooks = Hooks()
    for folder in folders.user:
        _read_into(hooks, folder / HOOKS_FILE)
    untrusted: list[str] = []
    for folder in folders.project:
        path = folder / HOOKS_FILE
        if not path.is_file():
            continue
        if folders.project_trusted:
            _read_into(hooks, path)
        else:
            untrusted.append(str(path))
    if untrusted:
        hooks.warnings.append(
            f"hooks in {', '.join(untrusted)} were not run: the project is not trusted and its "
            f"hooks would run its code on your machine; {folders.trust_hint()}"
        )
    return hooks


def _read_into(hooks: Hooks, path: Path) -> None:
    if not path.is_file() and not path.is_symlink():
        return
    try:
        parsed = _HooksFile.model_validate_json(read_small_text(path, MAX_HOOKS_FILE_BYTES))
    except ConfigError as exc:
        hooks.warnings.append(f"{exc.message}; its hooks are not run")
        return
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        hooks.warnings.append(
            f"{path} is not a valid hooks file ({where}: {first['msg']}); its hooks are not run"
        )
        return
    for event, groups in parsed.hooks.items():
        if event not in EVENTS:
            continue
        for group in groups:
            _add_group(hooks, path, event, group)


def _add_group(hooks: Hooks, path: Path, event: str, group: _Group) -> None:
    matcher = None
    if group.matcher not in (None, "", "*"):
        try:
            matcher = re.compile(group.matcher or "")
        except re.error as exc:
            hooks.warnings.append(f"{path}: invalid {event} matcher {group.matcher!r} ({exc})")
            return
    for handler in group.hooks:
        if handler.type != "command" or not (handler.command or "").strip():
            hooks.warnings.append(
                f"{path}: a {event} hook of type {handler.type!r} without a command is skipped "
                "(only command hooks run)"
            )
            continue
        timeout = min(handler.timeout or DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S)
        hook = HookCommand(event, handler.command or "", timeout, str(path))
        hooks.entries.setdefault(event, []).append(_Entry(hook, matcher))
