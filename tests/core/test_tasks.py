"""Compaction, review, fork, list, archive and turn-context overrides."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.core.context import SUMMARY_PREFIX
from codex_lsp.errors import ProtocolError, UnknownConversationError
from codex_lsp.protocol.items import ReviewRequest, ReviewTarget, TextInput
from codex_lsp.protocol.ops import CompactOp, OverrideTurnContextOp, ReviewOp, UserInputOp
from codex_lsp.protocol.policies import AskForApproval
from codex_lsp.protocol.requests import ListConversationsParams, NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import EventLog
from tests.tools.test_read_only_and_images import PNG


def say(text: str) -> UserInputOp:
    return UserInputOp(items=[TextInput(text=text)])


async def test_compact_replaces_history_with_a_summary(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((Text("OLD ANSWER"),)),
        Reply((Text("SUMMARY: user wants X"),)),
        Reply((Text("next"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("please do X"))
    await log.wait_for("taskComplete", conv.id)
    conv.submit(CompactOp())
    await log.wait_for("contextCompacted", conv.id)
    await log.wait_for("taskComplete", conv.id, count=2)
    assert "CONTEXT CHECKPOINT COMPACTION" in json.dumps(model_server.requests[1].body["input"])
    conv.submit(say("continue"))
    await log.wait_for("taskComplete", conv.id, count=3)
    sent = json.dumps(model_server.requests[2].body["input"])
    assert SUMMARY_PREFIX[:40] in sent and "SUMMARY: user wants X" in sent and "please do X" in sent
    assert "OLD ANSWER" not in sent


async def test_review_of_uncommitted_changes(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    (workspace / "app.py").write_text("x = 1\n")
    subprocess.run([*git, "add", "."], cwd=workspace, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=workspace, check=True)
    (workspace / "app.py").write_text("x = 2  # changed\n")
    model_server.enqueue(Reply((Text("app.py:1 magic number. patch is correct"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(
        ReviewOp(review_request=ReviewRequest(target=ReviewTarget(type="uncommittedChanges")))
    )
    exited = await log.wait_for("exitedReviewMode", conv.id)
    assert exited["reviewOutput"] == "app.py:1 magic number. patch is correct"
    assert log.msgs(conv.id, "enteredReviewMode")[0]["target"]["type"] == "uncommittedChanges"
    request = model_server.requests[0].body
    assert "reviewer" in request["instructions"]
    assert "x = 2  # changed" in json.dumps(request["input"])


async def test_fork_at_a_turn_keeps_only_the_history_up_to_it(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((Text("answer one"),)), Reply((Text("answer two"),)), Reply((Text("forked"),))
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("question one"))
    first = await log.wait_for("taskComplete", conv.id)
    conv.submit(say("question two"))
    await log.wait_for("taskComplete", conv.id, count=2)
    fork = await manager.fork(conv.id, first["turnId"])
    assert fork.forked_from == conv.id
    fork.submit(say("question three"))
    await log.wait_for("taskComplete", fork.id)
    sent = json.dumps(model_server.requests[-1].body["input"])
    assert "question one" in sent and "answer one" in sent and "question two" not in sent
    replay = (await manager.resume(fork.id)).initial_messages
    assert [m["message"] for m in replay if m["type"] == "userMessage"] == [
        "question one",
        "question three",
    ]
    with pytest.raises(ProtocolError):
        await manager.fork(conv.id, "turn-nope")


async def test_list_and_archive(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
    tmp_path: Path,
) -> None:
    model_server.enqueue(Reply((Text("ok"),)))
    a = await manager.new_conversation(NewConversationParams())
    a.submit(say("first conversation"))
    await log.wait_for("taskComplete", a.id)
    other = tmp_path / "other"
    other.mkdir()
    b = await manager.new_conversation(NewConversationParams(cwd=other))
    everywhere = ListConversationsParams(page_size=1, all_workspaces=True)
    page = await manager.list_conversations(everywhere)
    assert [c.conversation_id for c in page.items] == [b.id] and page.next_cursor
    page2 = await manager.list_conversations(
        everywhere.model_copy(update={"cursor": page.next_cursor})
    )
    first = page2.items[0]
    assert first.conversation_id == a.id and first.preview == "first conversation"
    assert first.title == "first conversation" and first.turn_count == 1
    assert page2.next_cursor is None
    in_other = await manager.list_conversations(ListConversationsParams(cwd=other))
    assert [c.conversation_id for c in in_other.items] == [b.id]
    in_workspace = await manager.list_conversations(ListConversationsParams())
    assert [c.conversation_id for c in in_workspace.items] == [a.id]
    await manager.archive(b.id)
    with pytest.raises(UnknownConversationError):
        manager.get(b.id)
    listed = await manager.list_conversations(ListConversationsParams(all_workspaces=True))
    assert [c.conversation_id for c in listed.items] == [a.id]
    archived = await manager.list_conversations(
        ListConversationsParams(all_workspaces=True, archived=True)
    )
    assert [c.conversation_id for c in archived.items] == [b.id]
    assert "shutdownComplete" in log.types(b.id)


async def test_override_turn_context_is_told_to_the_model(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Text("one"),)), Reply((Text("two"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("hi"))
    await log.wait_for("taskComplete", conv.id)
    conv.submit(OverrideTurnContextOp(approval_policy=AskForApproval.NEVER, model="other-model"))
    conv.submit(say("again"))
    await log.wait_for("taskComplete", conv.id, count=2)
    body = model_server.requests[1].body
    assert body["model"] == "other-model"
    assert "<approval_policy>never</approval_policy>" in json.dumps(body["input"])


async def test_an_image_viewed_during_a_review_reaches_the_reviewer(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "ui.png").write_bytes(PNG)
    model_server.enqueue(
        Reply((ToolCall("view_image", {"path": "ui.png"}),)), Reply((Text("looks fine"),))
    )
    conv = await manager.new_conversation(NewConversationParams())
    target = ReviewTarget(type="custom", instructions="review the screenshot")
    conv.submit(ReviewOp(review_request=ReviewRequest(target=target)))
    exited = await log.wait_for("exitedReviewMode", conv.id)
    assert exited["reviewOutput"] == "looks fine"
    assert "data:image/png;base64," in json.dumps(model_server.requests[1].body["input"])
