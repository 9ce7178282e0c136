"""Events an older codex-lsp stored are replayed in today's spelling: a plan step
``in_progress`` comes back ``inProgress``; nothing else that happens to say so is touched."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.store import ConversationStore
from codex_lsp.store.upgrade import upgraded_event
from tests.store.test_conversations import add

OLD_PLAN = [{"step": "a", "status": "in_progress"}, {"step": "b", "status": "pending"}]
NEW_PLAN = [{"step": "a", "status": "inProgress"}, {"step": "b", "status": "pending"}]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ConversationStore]:
    """A fresh store file."""
    opened = await ConversationStore.open(tmp_path / "state.db")
    yield opened
    await opened.close()


async def test_old_plan_events_are_replayed_in_todays_spelling(store: ConversationStore) -> None:
    add(store, "old", 1, "/w")
    stored = [
        {"type": "planUpdate", "turnId": "t", "itemId": "i", "plan": OLD_PLAN},
        {
            "type": "itemStarted",
            "turnId": "t",
            "item": {"type": "plan", "id": "i", "plan": OLD_PLAN},
        },
        {"type": "agentMessage", "turnId": "t", "itemId": "j", "message": '"in_progress"'},
        {
            "type": "itemCompleted",
            "turnId": "t",
            "item": {
                "type": "mcpToolCall",
                "id": "k",
                "server": "jira",
                "tool": "get",
                "status": "completed",
                "result": {"status": "in_progress", "plan": OLD_PLAN},
            },
        },
    ]
    for seq, event in enumerate(stored):
        store.writes.enqueue(
            "INSERT INTO events (conversation_id, seq, turn_id, body) VALUES ('old', ?, 't', ?)",
            (seq, json.dumps(event)),
        )
    replayed = (await store.load("old")).event_objects()
    assert replayed[0]["plan"] == NEW_PLAN and replayed[1]["item"]["plan"] == NEW_PLAN
    assert replayed[2:] == stored[2:]  # an agent's words and a tool's result are theirs


def test_todays_events_are_returned_as_they_are() -> None:
    body = json.dumps({"type": "planUpdate", "turnId": "t", "itemId": "i", "plan": NEW_PLAN})
    assert upgraded_event(body) is body
