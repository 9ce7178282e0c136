"""The regular turn: sample → run the tool calls → feed their results back → repeat until the
model stops calling tools and no steered input waits. Input the user sent meanwhile joins at
the next step; a full context is compacted on the way."""

from __future__ import annotations

from codex_lsp.core import hook_events
from codex_lsp.core.compaction import compact_history
from codex_lsp.core.turn import TurnRunner
from codex_lsp.errors import ContextWindowExceededError
from codex_lsp.protocol.items import UserInputItem


async def run_regular(runner: TurnRunner, items: list[UserInputItem]) -> str | None:
    """The agent loop, starting with the user's ``items``. Returns the last agent message."""
    parts = runner.parts
    if await hook_events.user_prompt_submit(runner, items) is not None:
        return None
    await runner.record_user_input(items)
    last_message: str | None = None
    while True:
        for steered in parts.pending.take_all():
            await runner.record_user_input(steered)
        if runner.context_full():
            await compact_history(runner, automatic=True)
        try:
            result = await runner.step(parts.history)
        except ContextWindowExceededError:
            await compact_history(runner, automatic=True)
            result = await runner.step(parts.history)
        last_message = result.last_message or last_message
        if not result.tool_calls and not parts.pending:
            runner.stop_reason = result.stop_reason
            await hook_events.stop(runner, last_message)
            return last_message
