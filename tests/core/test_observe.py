"""ConversationManager.observe: one conversation's events, in-process, besides the front end's
sink (the seam spec-kit's engine drives its conversations through)."""

from __future__ import annotations

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.errors import UnknownConversationError
from codex_lsp.protocol.events import EventEnvelope
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import ShutdownOp, UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text
from tests.helpers import EventLog


def say(text: str) -> UserInputOp:
    return UserInputOp(items=[TextInput(text=text)])


def wire(events: list[EventEnvelope]) -> list[dict[str, object]]:
    return [e.to_wire() for e in events]


async def test_an_observer_sees_what_the_front_end_sees_of_its_conversation(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Text("first answer"),)), Reply((Text("second answer"),)))
    watched = await manager.new_conversation(NewConversationParams())
    other = await manager.new_conversation(NewConversationParams())
    seen: list[EventEnvelope] = []
    before = len(log.events)
    unsubscribe = manager.observe(watched.id, seen.append)
    watched.submit(say("hello"))
    await log.wait_for("taskComplete", watched.id)
    other.submit(say("and you"))
    await log.wait_for("taskComplete", other.id)
    assert wire(seen) == [e for e in log.events[before:] if e["conversationId"] == watched.id]
    assert seen[0].msg.type == "taskStarted"
    assert "agentMessageDelta" in [e.msg.type for e in seen]  # transient events too
    assert seen[-1].msg.type == "taskComplete"

    unsubscribe()
    unsubscribe()  # a second call does nothing
    count = len(seen)
    model_server.enqueue(Reply((Text("unwatched"),)))
    watched.submit(say("again"))
    await log.wait_for("taskComplete", watched.id, count=2)
    assert len(seen) == count


async def test_a_failing_observer_keeps_no_one_from_the_events(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Text("still delivered"),)))
    conv = await manager.new_conversation(NewConversationParams())
    seen: list[str] = []

    def broken(event: EventEnvelope) -> None:
        raise RuntimeError("observer bug")

    manager.observe(conv.id, broken)
    manager.observe(conv.id, lambda e: seen.append(e.msg.type))
    conv.submit(say("hello"))
    done = await log.wait_for("taskComplete", conv.id)
    assert done["lastAgentMessage"] == "still delivered"
    assert seen[-1] == "taskComplete"


async def test_observers_end_with_their_conversation(
    manager: ConversationManager, log: EventLog
) -> None:
    conv = await manager.new_conversation(NewConversationParams())
    seen: list[str] = []
    manager.observe(conv.id, lambda e: seen.append(e.msg.type))
    conv.submit(ShutdownOp())
    await log.wait_for("shutdownComplete", conv.id)
    assert seen == ["shutdownComplete"]
    with pytest.raises(UnknownConversationError):
        manager.observe(conv.id, lambda e: None)
    with pytest.raises(UnknownConversationError):
        manager.observe("no-such-conversation", lambda e: None)
