"""codex-lsp as a real subprocess, spoken to over LSP, against the fake model server."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from codex_lsp.testing import ErrorReply, FakeModelServer, Reply, Text, ToolCall
from tests.helpers import plain
from tests.lsp.conftest import Session, open_session

pytestmark = pytest.mark.slow


async def test_full_turn_with_deltas_in_order_and_token_count(
    lsp: Session, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text(pieces=("one ", "two ", "three")),)))
    conv = await lsp.new_conversation()
    submission = await lsp.say(conv, "count")
    done = await lsp.log.wait_for("taskComplete", conv)
    assert done["lastAgentMessage"] == "one two three"
    assert [m["delta"] for m in lsp.log.msgs(conv, "agentMessageDelta")] == [
        "one ",
        "two ",
        "three",
    ]
    assert lsp.log.msgs(conv, "tokenCount")[0]["info"]["totalTokenUsage"]["totalTokens"] == 120
    turn_events = [e for e in lsp.log.events if e["msg"]["type"] != "sessionConfigured"]
    assert {e["submissionId"] for e in turn_events} == {submission}
    assert lsp.log.msgs(conv, "sessionConfigured")[0]["cwd"] == str(lsp.workspace)


async def test_tool_call_round_trip(lsp: Session, model_server: FakeModelServer) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["echo", "from-shell"]}),)), Reply((Text("echoed"),))
    )
    conv = await lsp.new_conversation()
    await lsp.say(conv, "echo")
    await lsp.log.wait_for("taskComplete", conv)
    assert lsp.log.msgs(conv, "execCommandOutputDelta")[0]["chunk"] == "from-shell\n"
    assert lsp.log.msgs(conv, "execCommandEnd")[0]["exitCode"] == 0
    assert "from-shell" in str(model_server.requests[1].body["input"])


async def test_approval_through_the_custom_request(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "approved.txt"]}),)), Reply((Text("ok"),))
    )
    lsp.approvals = ["approved"]
    conv = await lsp.new_conversation(approvalPolicy="untrusted")
    await lsp.say(conv, "make a file")
    await lsp.log.wait_for("taskComplete", conv)
    assert (
        lsp.asked[0]["command"] == ["touch", "approved.txt"]
        and lsp.asked[0]["conversationId"] == conv
    )
    assert (workspace / "approved.txt").exists()


async def test_approval_through_show_message_request(
    plain_lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "denied.txt"]}),)), Reply((Text("ok"),))
    )
    plain_lsp.approvals = ["Deny"]
    conv = await plain_lsp.new_conversation(approvalPolicy="untrusted")
    await plain_lsp.say(conv, "make a file")
    await plain_lsp.log.wait_for("taskComplete", conv)
    request = plain_lsp.message_requests[0]
    assert "touch denied.txt" in request.message
    assert [a.title for a in request.actions or []] == [
        "Approve",
        "Approve for this session",
        "Always allow this command",
        "Deny",
        "Abort turn",
    ]
    assert not (workspace / "denied.txt").exists()
    assert "denied" in str(model_server.requests[1].body["input"])


async def test_interrupt_mid_stream(lsp: Session, model_server: FakeModelServer) -> None:
    model_server.enqueue(Reply((Text("y" * 300, chunks=300),), frame_delay_s=0.01))
    conv = await lsp.new_conversation()
    await lsp.say(conv, "stream")
    await lsp.log.wait_for("agentMessageDelta", conv, count=5)
    await lsp.request("codex/interrupt", {"conversationId": conv})
    await lsp.log.wait_for("turnAborted", conv, timeout=3)
    await asyncio.sleep(0.3)
    types = lsp.log.types(conv)
    assert "agentMessageDelta" not in types[types.index("turnAborted") :]


async def test_steer_mid_turn(lsp: Session, model_server: FakeModelServer) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["sleep", "0.5"]}),)), Reply((Text("steered"),))
    )
    conv = await lsp.new_conversation()
    await lsp.say(conv, "start")
    await lsp.log.wait_for("execCommandBegin", conv)
    await lsp.say(conv, "change of plan")
    done = await lsp.log.wait_for("taskComplete", conv)
    assert done["lastAgentMessage"] == "steered"
    assert "change of plan" in str(model_server.requests[1].body["input"])


async def test_429_then_success(lsp: Session, model_server: FakeModelServer) -> None:
    model_server.enqueue(ErrorReply(429, "too many", retry_after=0.2), Reply((Text("made it"),)))
    conv = await lsp.new_conversation()
    await lsp.say(conv, "hi")
    done = await lsp.log.wait_for("taskComplete", conv)
    assert done["lastAgentMessage"] == "made it"
    assert "reconnecting 1/3" in lsp.log.msgs(conv, "streamError")[0]["message"]


async def test_401_is_a_clear_error_and_the_conversation_stays_usable(
    lsp: Session, model_server: FakeModelServer
) -> None:
    model_server.enqueue(ErrorReply(401, "invalid api key"), Reply((Text("working again"),)))
    conv = await lsp.new_conversation()
    await lsp.say(conv, "hi")
    error = await lsp.log.wait_for("error", conv)
    assert "HTTP 401" in error["message"] and "FAKE_MODEL_KEY" in error["message"]
    await lsp.say(conv, "retry")
    done = await lsp.log.wait_for("taskComplete", conv, count=2)
    assert done["lastAgentMessage"] == "working again"


async def test_two_conversations_stream_at_once(
    lsp: Session, model_server: FakeModelServer
) -> None:
    model_server.enqueue(
        Reply((Text("A" * 30, chunks=30),), frame_delay_s=0.01, match="first topic"),
        Reply((Text("B" * 30, chunks=30),), frame_delay_s=0.01, match="second topic"),
    )
    a = await lsp.new_conversation()
    b = await lsp.new_conversation()
    await asyncio.gather(lsp.say(a, "first topic"), lsp.say(b, "second topic"))
    done_a, done_b = await asyncio.gather(
        lsp.log.wait_for("taskComplete", a), lsp.log.wait_for("taskComplete", b)
    )
    assert done_a["lastAgentMessage"] == "A" * 30 and done_b["lastAgentMessage"] == "B" * 30


@pytest.mark.parametrize(
    ("method", "params", "field"),
    [
        ("codex/userInput", {"items": [{"type": "text", "text": "x"}]}, "conversationId"),
        ("codex/userInput", {"conversationId": "c", "items": []}, "items"),
        ("codex/userInput", {"conversationId": "c", "items": [{"type": "video"}]}, "items.0"),
        ("codex/newConversation", {"approvalPolicy": "sometimes"}, "approvalPolicy"),
        ("codex/listConversations", {"pageSize": 0}, "pageSize"),
    ],
)
async def test_invalid_params_name_the_bad_field(
    lsp: Session, method: str, params: dict[str, object], field: str
) -> None:
    with pytest.raises(JsonRpcException) as info:
        await lsp.request(method, params)
    assert info.value.code == -32602
    assert field in str(info.value)
    assert (await lsp.request("codex/listConversations", {}))["items"] == []


async def test_unknown_conversation_is_a_clear_error(lsp: Session) -> None:
    with pytest.raises(JsonRpcException) as info:
        await lsp.say("no-such-conversation", "hi")
    assert info.value.code == -32004 and "unknown conversation id 'no-such-conversation'" in str(
        info.value
    )


async def test_resume_list_fork_archive(lsp: Session, model_server: FakeModelServer) -> None:
    model_server.enqueue(Reply((Text("first answer"),)))
    conv = await lsp.new_conversation()
    await lsp.say(conv, "remember me")
    done = await lsp.log.wait_for("taskComplete", conv)
    resumed = await lsp.request("codex/resumeConversation", {"conversationId": conv})
    assert [m["type"] for m in resumed["initialMessages"]][-1] == "taskComplete"
    assert "agentMessageDelta" not in [m["type"] for m in resumed["initialMessages"]]
    fork = await lsp.request(
        "codex/forkConversation", {"conversationId": conv, "turnId": done["turnId"]}
    )
    assert fork["forkedFromId"] == conv
    listed = await lsp.request("codex/listConversations", {})
    assert {c["conversationId"] for c in listed["items"]} == {conv, fork["conversationId"]}
    assert await lsp.request("codex/archiveConversation", {"conversationId": conv}) == {}
    listed = await lsp.request("codex/listConversations", {})
    assert [c["conversationId"] for c in listed["items"]] == [fork["conversationId"]]


async def test_fuzzy_file_search_ranks_and_honours_gitignore(lsp: Session, workspace: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    (workspace / ".gitignore").write_text("build/\n")
    for rel in ("src/app/models.py", "src/app/views.py", "docs/models.md", "build/models_gen.py"):
        (workspace / rel).parent.mkdir(parents=True, exist_ok=True)
        (workspace / rel).write_text("")
    result = await lsp.request("codex/fuzzyFileSearch", {"query": "models", "limit": 10})
    paths = [f["path"] for f in result["files"]]
    assert set(paths) == {"src/app/models.py", "docs/models.md"}
    top = result["files"][0]
    assert [top["path"][i] for i in top["indices"]] == list("models")
    with pytest.raises(JsonRpcException) as info:
        await lsp.request(
            "codex/fuzzyFileSearch", {"query": "x", "roots": [str(workspace / "nope")]}
        )
    assert "not found" in str(info.value)


async def test_get_config_reports_values_origins_and_warnings(
    lsp: Session, codex_home: Path
) -> None:
    config = codex_home / "config.toml"
    config.write_text(
        config.read_text()
        + 'mystery_key = 1\n[model_providers.fake.http_headers]\nX-Token = "hidden"\n'
    )
    result = await lsp.request("codex/getConfig", {})
    by_key = {e["key"]: e for e in result["entries"]}
    assert by_key["model"]["value"] == "fake-model" and by_key["model"]["origin"].endswith(
        "config.toml:1"
    )
    assert by_key["approval_policy"]["origin"] == "default"
    assert by_key["model_providers.fake.http_headers.X-Token"]["value"] == "[redacted]"
    assert any("mystery_key" in w for w in result["warnings"])


async def test_editor_settings_changes_reload_and_bad_ones_are_shown(
    lsp: Session, model_server: FakeModelServer
) -> None:
    model_server.default_reply = Reply((Text("ok"),))
    conv = await lsp.new_conversation()
    lsp.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codex-lsp": {"model": "editor-model"}})
    )
    reloaded = await lsp.log.wait_for("configReloaded", conv)
    assert reloaded["changedKeys"] == ["model"]
    await lsp.say(conv, "hi")
    await lsp.log.wait_for("taskComplete", conv)
    assert model_server.requests[-1].body["model"] == "editor-model"
    lsp.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codex-lsp": {"approval_policy": "sometimes"}})
    )
    error = await lsp.log.wait_for("error", conv)
    assert "not reloaded" in error["message"]
    for _ in range(50):
        if lsp.client.messages:
            break
        await asyncio.sleep(0.05)
    assert "approval_policy" in lsp.client.messages[-1].message


@pytest.mark.parametrize("profile", ["visual-studio-code", "neovim"])
async def test_settings_are_pulled_with_workspace_configuration(
    profile: str, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.default_reply = Reply((Text("ok"),))
    async with open_session(
        codex_home, workspace, profile, True, {"model": "pulled-model"}
    ) as session:
        result = await session.request("codex/getConfig", {})
        model = next(e for e in result["entries"] if e["key"] == "model")
        assert model == {"key": "model", "value": "pulled-model", "origin": "editor settings"}


async def test_a_turn_is_reported_as_work_done_progress(
    lsp: Session, model_server: FakeModelServer
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["echo", "hi"]}),)), Reply((Text("done"),))
    )
    conv = await lsp.new_conversation()
    await lsp.say(conv, "run it")
    done = await lsp.log.wait_for("taskComplete", conv)
    token = f"codex-lsp/{conv}/{done['turnId']}"
    for _ in range(100):
        reports = lsp.client.progress_reports.get(token, [])
        if reports and isinstance(reports[-1], types.WorkDoneProgressEnd):
            break
        await asyncio.sleep(0.02)
    kinds = [type(r).__name__ for r in reports]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    messages = [r.message for r in reports if isinstance(r, types.WorkDoneProgressReport)]
    assert "running `echo hi`" in messages and "writing the answer" in messages
    ran = messages.index("running `echo hi`")
    assert messages[ran + 1] == "thinking"  # a finished command is not shown as running


async def test_commands_drive_the_agent_without_a_plugin(
    lsp: Session, model_server: FakeModelServer
) -> None:
    assert lsp.initialized is not None
    provider = lsp.initialized.capabilities.execute_command_provider
    assert provider is not None and "codex-lsp.sendPrompt" in provider.commands
    model_server.enqueue(Reply((Text("from a command"),)))

    async def run(command: str, *arguments: object) -> Any:
        params = types.ExecuteCommandParams(command=command, arguments=list(arguments))
        return plain(await lsp.client.workspace_execute_command_async(params))

    sent = await run("codex-lsp.sendPrompt", "hello from a plain client")
    done = await lsp.log.wait_for("taskComplete", sent["conversationId"])
    assert done["lastAgentMessage"] == "from a command"
    listed = await run("codex-lsp.listConversations")
    assert [c["conversationId"] for c in listed["items"]] == [sent["conversationId"]]
    interrupted = await run("codex-lsp.interrupt")
    assert interrupted["conversationId"] == sent["conversationId"]
    with pytest.raises(JsonRpcException, match="prompt text"):
        await run("codex-lsp.sendPrompt")


async def test_stored_conversations_over_lsp(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    model_server.enqueue(Reply((Text("one"),)), Reply((Text("two"),)))
    first = await lsp.new_conversation()
    await lsp.say(first, "tidy up the parser module\nand its tests")
    await lsp.log.wait_for("taskComplete", first)
    second = await lsp.new_conversation()
    await lsp.say(second, "second chat")
    await lsp.log.wait_for("taskComplete", second)

    listed = await lsp.request("codex/listConversations", {"pageSize": 1})
    assert [c["conversationId"] for c in listed["items"]] == [second]
    rest = await lsp.request("codex/listConversations", {"cursor": listed["nextCursor"]})
    [row] = rest["items"]
    assert row["conversationId"] == first and row["title"] == "tidy up the parser module"
    assert row["turnCount"] == 1 and row["cwd"] == str(workspace) and not row["running"]

    await lsp.request("codex/renameConversation", {"conversationId": first, "title": "Parser"})
    await lsp.request("codex/archiveConversation", {"conversationId": second})
    titles = [c["title"] for c in (await lsp.request("codex/listConversations", {}))["items"]]
    assert titles == ["Parser"]
    archived = await lsp.request("codex/listConversations", {"archived": True})
    assert [c["conversationId"] for c in archived["items"]] == [second]

    await lsp.request("codex/deleteConversation", {"conversationId": second})
    with pytest.raises(JsonRpcException, match="unknown conversation id"):
        await lsp.request("codex/resumeConversation", {"conversationId": second})
    resumed = await lsp.request("codex/resumeConversation", {"conversationId": first})
    kinds = [m["type"] for m in resumed["initialMessages"]]
    assert kinds[0] == "taskStarted" and kinds[-1] == "taskComplete"
