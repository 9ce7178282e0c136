"""Slash commands: a ``/name rest`` at the start of a prompt's first text block runs the
command (as the LSP clients route ``/review``, ``/compact``, ``/undo``); the commands are
announced to the client in ``available_commands_update``, with the session's skills (``/name``
sends the skill with the text after it) and MCP prompts (``/mcp__<server>__<prompt>``). The
spec-kit commands
(``/speckit.plan``…) are announced here too and passed on as the message they are: the
conversation hands them to spec-kit, as for every front end. Anything else starting with ``/``
is sent to the model as text."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from codex_lsp.protocol.items import ReviewRequest, ReviewTarget, SkillInput, TextInput
from codex_lsp.protocol.ops import CompactOp, Op, ReviewOp, UndoTurnOp, UserInputOp
from codex_lsp.protocol.requests import McpPromptEntry, SkillEntry
from codex_lsp.speckit.commands import REGISTRY, Command

_COMMAND = re.compile(r"^/([\w.-]+)(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class SlashCommand:
    """A command: its name (no slash), what the client shows, and the Op it becomes (from the
    text after the name)."""

    name: str
    description: str
    build: Callable[[str], Op]
    hint: str | None = None

    def announced(self) -> dict[str, Any]:
        """The command as ``availableCommands`` lists it."""
        entry: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.hint:
            entry["input"] = {"hint": self.hint}
        return entry


def _review(rest: str) -> Op:
    target = (
        ReviewTarget(type="custom", instructions=rest)
        if rest
        else ReviewTarget(type="uncommittedChanges")
    )
    return ReviewOp(review_request=ReviewRequest(target=target))


BUILTIN = (
    SlashCommand(
        "review",
        "Review the uncommitted changes (or follow the instructions given)",
        _review,
        hint="what to focus on (optional)",
    ),
    SlashCommand("compact", "Summarise the conversation to free context", lambda _: CompactOp()),
    SlashCommand("undo", "Restore the files the last turn changed", lambda _: UndoTurnOp()),
    SlashCommand(
        "init",
        "Write an AGENTS.md for this repository (through apply_patch)",
        lambda _: UserInputOp(items=[TextInput(text="/init")]),
    ),
)


def _speckit(command: Command) -> SlashCommand:
    """A spec-kit command: typed on to the conversation as it is."""

    def build(rest: str) -> Op:
        return UserInputOp(items=[TextInput(text=f"{command.slash} {rest}".strip())])

    hint = command.usage.removeprefix(command.slash).strip() or None
    return SlashCommand(command.name, command.summary, build, hint=hint)


def skill_command(skill: SkillEntry) -> SlashCommand:
    """A skill as ``/name``: its SKILL.md goes with the text typed after it."""

    def build(rest: str) -> Op:
        text = rest or f"Use the {skill.name} skill."
        return UserInputOp(items=[TextInput(text=text), SkillInput(name=skill.name)])

    return SlashCommand(skill.name, f"Skill: {skill.description}", build, hint="what to do")


def prompt_command(prompt: McpPromptEntry) -> SlashCommand:
    """An MCP prompt as ``/mcp__<server>__<prompt>``: passed on as typed; the core fills it in."""

    def build(rest: str) -> Op:
        return UserInputOp(items=[TextInput(text=f"/{prompt.command} {rest}".strip())])

    words = [f"<{a.name}>" if a.required else f"[{a.name}]" for a in prompt.arguments]
    description = prompt.description or f"Prompt {prompt.name} of MCP server {prompt.server}"
    return SlashCommand(prompt.command, description, build, hint=" ".join(words) or None)


def slash_commands() -> list[SlashCommand]:
    """Every command announced and routed: the built-in ones and spec-kit's. Announcing and
    routing both read this list."""
    return [*BUILTIN, *(_speckit(c) for c in REGISTRY.commands)]


def parse(text: str | None, commands: Sequence[SlashCommand]) -> tuple[SlashCommand, str] | None:
    """The command ``text`` starts with, and the rest; None for a message (an unknown
    ``/name`` included)."""
    if text is None:
        return None
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    by_name = {c.name: c for c in commands}
    command = by_name.get(match.group(1))
    return (command, (match.group(2) or "").strip()) if command else None
