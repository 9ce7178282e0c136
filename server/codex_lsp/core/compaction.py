"""Compaction: the model summarises the history into a handoff summary; the recent user
messages and the summary replace the old history. Run on request (``codex/compact``) and
automatically when the context fills up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codex_lsp.core.context import SUMMARY_PREFIX, initial_context
from codex_lsp.core.prompts import load_prompt
from codex_lsp.errors import ContextWindowExceededError
from codex_lsp.protocol.events import (
    ContextCompactedEvent,
    ItemCompletedEvent,
    ItemStartedEvent,
    WarningEvent,
)
from codex_lsp.protocol.history import HistoryItem, InputText, UserMessage
from codex_lsp.protocol.items import ContextCompactionItem

if TYPE_CHECKING:
    from codex_lsp.core.turn import TurnRunner

KEEP_USER_MESSAGES_CHARS = 80_000
AUTO_COMPACT_SHARE = 0.9
OVERFLOW_TRIMS = 6


def auto_compact_limit(configured: int | None, context_window: int | None) -> int | None:
    """The context size that triggers compaction: the configured limit, else 90% of the
    model's context window, else none (unknown window)."""
    if configured:
        return configured
    return int(context_window * AUTO_COMPACT_SHARE) if context_window else None


async def compact_history(runner: TurnRunner, *, automatic: bool = False) -> None:
    """Summarise the history and replace it with the recent user messages plus the summary.
    When even the summary request overflows the context, the oldest items are left out of it
    until it fits."""
    conv = runner.conversation
    item_id = runner.new_item_id()
    runner.emit(ItemStartedEvent(turn_id=runner.turn_id, item=ContextCompactionItem(id=item_id)))
    request = UserMessage(content=[InputText(text=load_prompt("compact"))])
    context = initial_context(runner.ctx, conv.config, conv.home)
    older = conv.history[len(context) :]
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
    recent = _recent_user_messages(conv.history, len(context))
    summary_message = UserMessage(content=[InputText(text=f"{SUMMARY_PREFIX}\n{summary}")])
    conv.replace_history([*context, *recent, summary_message], runner.turn_id)
    conv.context_tokens = 0
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
