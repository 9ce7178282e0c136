"""ConversationManager.observe: one conversation's events, in-process, besides the front end's
sink (the seam spec-kit's engine drives its conversations through)."""

from __future__ import annotations

import asyncio

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.errors import UnknownConversationError
from codex_lsp.protocol.events import EventEnvelope
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import ShutdownOp, UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text
from codex_lsp.tools import read_only, specs
from codex_lsp.tools.registry import ToolRegistry
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


async def test_a_private_conversation_reaches_its_observer_only_until_it_is_resumed(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Text("private answer"),)), Reply((Text("public answer"),)))
    seen: list[str] = []
    conv = await manager.new_conversation(
        NewConversationParams(), observer=lambda e: seen.append(e.msg.type)
    )
    conv.submit(say("hello"))
    for _ in range(200):
        if "taskComplete" in seen:
            break
        await asyncio.sleep(0.05)
    assert seen[0] == "sessionConfigured"  # from the very first event
    assert "taskComplete" in seen
    await manager.archive(conv.id)
    assert seen[-1] == "shutdownComplete"
    assert [e for e in log.events if e["conversationId"] == conv.id] == []

    await manager.archive(conv.id, archived=False)
    await manager.resume(conv.id)  # opened by the user: an ordinary conversation
    manager.get(conv.id).submit(say("and now?"))
    done = await log.wait_for("taskComplete", conv.id)
    assert done["lastAgentMessage"] == "public answer"
    assert seen.count("taskComplete") == 1


async def test_a_conversation_can_be_given_its_own_tools(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    tools = ToolRegistry()
    tools.register(specs.READ_FILE, read_only.handle_read_file)
    conv = await manager.new_conversation(NewConversationParams(), tools=tools)
    model_server.enqueue(Reply((Text("ok"),)))
    conv.submit(say("which tools?"))
    await log.wait_for("taskComplete", conv.id)
    names = [t.get("name") for t in model_server.requests[-1].body["tools"]]
    assert names == ["read_file"]
