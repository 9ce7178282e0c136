"""Compaction: the model summarises the history into a handoff summary; the recent user
messages and the summary replace the old history. A turn of its own on request
(``codex/compact``), and a step of a regular turn when the context fills up."""

from __future__ import annotations

import asyncio

from codex_lsp.core.context import SUMMARY_PREFIX, initial_context
from codex_lsp.core.prompts import load_prompt
from codex_lsp.core.turn import TurnRunner
from codex_lsp.errors import ContextWindowExceededError
from codex_lsp.protocol.events import (
    ContextCompactedEvent,
    ItemCompletedEvent,
    ItemStartedEvent,
    WarningEvent,
)
from codex_lsp.protocol.history import HistoryItem, InputText, UserMessage
from codex_lsp.protocol.items import ContextCompactionItem

KEEP_USER_MESSAGES_CHARS = 80_000
OVERFLOW_TRIMS = 6


async def run_compact(runner: TurnRunner) -> str | None:
    """The ``compact`` turn: summarise the history now."""
    await compact_history(runner)
    return None


async def compact_history(runner: TurnRunner, *, automatic: bool = False) -> None:
    """Summarise the history and replace it with the recent user messages plus the summary.
    When even the summary request overflows the context, the oldest items are left out of it
    until it fits."""
    parts = runner.parts
    item_id = runner.new_item_id()
    runner.emit(ItemStartedEvent(turn_id=runner.turn_id, item=ContextCompactionItem(id=item_id)))
    request = UserMessage(content=[InputText(text=load_prompt("compact"))])
    context = await asyncio.to_thread(initial_context, runner.ctx, parts.config, parts.home)
    older = parts.history[len(context) :]
    for _ in range(OVERFLOW_TRIMS):
        try:
            prompt = runner.prompt([*context, *older, request], [])
            result = await runner.sample(prompt, visible=False)
            break
        except ContextWindowExceededError:
            if len(older) < 2:
                raise
            older = older[len(older) // 2 :]
    else:
        raise ContextWindowExceededError(
            "the history is too large to summarise; start a new conversation"
        )
    summary = result.last_message or "(no summary was produced)"
    recent = _recent_user_messages(parts.history, len(context))
    summary_message = UserMessage(content=[InputText(text=f"{SUMMARY_PREFIX}\n{summary}")])
    parts.recorder.replace_history([*context, *recent, summary_message], runner.turn_id)
    parts.usage.compacted()
    done = ContextCompactionItem(id=item_id, summary=summary)
    runner.emit(ContextCompactedEvent(turn_id=runner.turn_id, item=done, automatic=automatic))
    runner.emit(ItemCompletedEvent(turn_id=runner.turn_id, item=done))
    runner.emit(
        WarningEvent(
            message="Heads up: long conversations and repeated compactions can make the model "
            "less accurate. Start a new conversation when possible."
        )
    )


def _recent_user_messages(history: list[HistoryItem], skip: int) -> list[UserMessage]:
    """The newest real user messages that fit the budget, oldest first."""
    kept: list[UserMessage] = []
    budget = KEEP_USER_MESSAGES_CHARS
    for item in reversed(history[skip:]):
        if not isinstance(item, UserMessage) or item.text().startswith(SUMMARY_PREFIX):
            continue
        text = item.text()
        if len(text) > budget:
            if budget > 0:
                kept.append(UserMessage(content=[InputText(text=text[-budget:])]))
            break
        kept.append(item)
        budget -= len(text)
    return list(reversed(kept))
