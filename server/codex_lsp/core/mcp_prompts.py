"""MCP prompts as slash commands: a message that is ``/mcp__<server>__<prompt> args`` is
replaced, before it is sent, by the text the server fills in (``prompts/get``), as Codex and
Claude Code offer a server's prompts. Arguments are ``name=value`` pairs, or words in the order
the prompt declares them (the last one takes the rest of the line); quotes group words."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from codex_lsp.errors import ProtocolError
from codex_lsp.mcp.manager import PROMPT_PREFIX, McpManager, McpPrompt
from codex_lsp.mcp.transport import PromptInfo
from codex_lsp.protocol.items import TextInput, UserInputItem
from codex_lsp.protocol.limits import INPUT_TEXT_MAX_CHARS
from codex_lsp.protocol.requests import ListMcpPromptsResult, McpPromptArgument, McpPromptEntry

_COMMAND = re.compile(rf"^/({re.escape(PROMPT_PREFIX)}[\w-]+)(?:\s+(.*))?$", re.DOTALL)


def usage(entry: McpPrompt) -> str:
    """``/command <required> [optional]``, for error messages and completion hints."""
    words = [f"<{a.name}>" if a.required else f"[{a.name}]" for a in entry.prompt.arguments]
    return " ".join([f"/{entry.command}", *words])


def prompt_arguments(entry: McpPrompt, rest: str) -> dict[str, str]:
    """The arguments typed after the command; :class:`ProtocolError` says what is missing."""
    prompt: PromptInfo = entry.prompt
    try:
        words = shlex.split(rest)
    except ValueError as exc:
        raise ProtocolError(f"/{entry.command}: {exc} (usage: {usage(entry)})") from exc
    declared = [a.name for a in prompt.arguments]
    pairs = [w.partition("=") for w in words]
    if words and all(sep and name in declared for name, sep, _ in pairs):
        values = {name: value for name, _, value in pairs}
    elif declared:
        values = dict(zip(declared, words, strict=False))
        if len(words) > len(declared):
            values[declared[-1]] = " ".join(words[len(declared) - 1 :])
    elif words:
        raise ProtocolError(f"/{entry.command} takes no arguments (usage: {usage(entry)})")
    else:
        values = {}
    missing = [a.name for a in prompt.arguments if a.required and not values.get(a.name)]
    if missing:
        raise ProtocolError(f"/{entry.command} needs {', '.join(missing)} (usage: {usage(entry)})")
    return values


async def expand_prompt_command(
    items: Sequence[UserInputItem], mcp: McpManager
) -> list[UserInputItem]:
    """``items`` with a leading ``/mcp__…`` prompt command replaced by the prompt's text;
    unchanged when the first item is no such command. :class:`ProtocolError` for an unknown
    prompt or missing arguments, :class:`~codex_lsp.errors.McpError` when the server fails."""
    first = items[0] if items else None
    match = _COMMAND.match(first.text.strip()) if isinstance(first, TextInput) else None
    if match is None:
        return list(items)
    prompts = mcp.prompts()
    entry = prompts.get(match.group(1))
    if entry is None:
        raise ProtocolError(
            f"/{match.group(1)} is not a prompt of a running MCP server "
            "(codex/listMcpPrompts lists them)"
        )
    arguments = prompt_arguments(entry, match.group(2) or "")
    text = await mcp.connection(entry.server).get_prompt(entry.prompt.name, arguments)
    if len(text) > INPUT_TEXT_MAX_CHARS:
        raise ProtocolError(
            f"/{entry.command}: the prompt the server filled in is longer than "
            f"{INPUT_TEXT_MAX_CHARS} characters"
        )
    return [TextInput(text=text), *items[1:]]


def list_prompts(mcp: McpManager) -> ListMcpPromptsResult:
    """``codex/listMcpPrompts``."""
    return ListMcpPromptsResult(
        prompts=[
            McpPromptEntry(
                command=e.command,
                server=e.server,
                name=e.prompt.name,
                description=e.prompt.description,
                arguments=[
                    McpPromptArgument(name=a.name, description=a.description, required=a.required)
                    for a in e.prompt.arguments
                ],
            )
            for e in mcp.prompts().values()
        ]
    )
