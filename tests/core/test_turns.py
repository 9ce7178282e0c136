"""The turn loop end to end against the fake model server (Responses wire)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.core import opening as opening_module
from codex_lsp.protocol.items import ContextInput, MentionInput, TextInput
from codex_lsp.protocol.ops import InterruptOp, UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import Drop, ErrorReply, FakeModelServer, Reply, Text, ToolCall
from tests.helpers import KEY_ENV, SECRET_KEY, EventLog, write_config


def say(text: str) -> UserInputOp:
    return UserInputOp(items=[TextInput(text=text)])


async def test_full_turn_streams_items_in_order(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Text(pieces=("Hi", " there")),)))
    conv = await manager.new_conversation(NewConversationParams())
    sub = conv.submit(say("hello"))
    done = await log.wait_for("taskComplete", conv.id)
    assert done["lastAgentMessage"] == "Hi there"
    types = log.types(conv.id)
    assert types[0] == "sessionConfigured"
    expected = [
        "taskStarted",
        "itemStarted",
        "userMessage",
        "itemCompleted",
        "itemStarted",
        "agentMessageDelta",
        "agentMessageDelta",
        "agentMessage",
        "itemCompleted",
        "tokenCount",
        "taskComplete",
    ]
    assert types[1:] == expected
    deltas = log.msgs(conv.id, "agentMessageDelta")
    started = log.msgs(conv.id, "itemStarted")[1]
    assert {d["itemId"] for d in deltas} == {started["item"]["id"]}
    assert all(e["submissionId"] == sub for e in log.events[1:])
    assert log.msgs(conv.id, "tokenCount")[0]["info"]["totalTokenUsage"]["totalTokens"] == 120


async def test_tool_call_round_trip_runs_a_real_command(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "data.txt").write_text("forty-two\n")
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["cat", "data.txt"]}, call_id="c1"),)),
        Reply((Text("It says forty-two"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("what is in data.txt?"))
    await log.wait_for("taskComplete", conv.id)
    begin = log.msgs(conv.id, "execCommandBegin")[0]
    assert begin["parsedCmd"] == [
        {"type": "read", "cmd": "cat data.txt", "name": "data.txt", "path": "data.txt"}
    ]
    end = log.msgs(conv.id, "execCommandEnd")[0]
    assert end["exitCode"] == 0 and end["stdout"] == "forty-two\n"
    second = model_server.requests[1].body["input"]
    output = next(i for i in second if i["type"] == "function_call_output")
    assert output["call_id"] == "c1" and json.loads(output["output"])["output"] == "forty-two\n"


async def test_interrupt_mid_stream_stops_deltas_at_once(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((Text("x" * 200, chunks=200),), frame_delay_s=0.02),
        Reply((Text("second turn works"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("write a lot"))
    await log.wait_for("agentMessageDelta", conv.id, count=3)
    conv.submit(InterruptOp())
    aborted = await log.wait_for("turnAborted", conv.id, timeout=2)
    assert aborted["reason"] == "interrupted"
    await asyncio.sleep(0.3)
    types = log.types(conv.id)
    assert "agentMessageDelta" not in types[types.index("turnAborted") :]
    assert "taskComplete" not in types
    conv.submit(say("again"))
    done = await log.wait_for("taskComplete", conv.id)
    assert done["lastAgentMessage"] == "second turn works"


async def test_interrupt_kills_a_running_command_and_keeps_history_valid(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["sleep", "30"]}, call_id="slow"),)),
        Reply((Text("ok"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("sleep"))
    await log.wait_for("execCommandBegin", conv.id)
    conv.submit(InterruptOp())
    await log.wait_for("turnAborted", conv.id, timeout=3)
    conv.submit(say("continue"))
    await log.wait_for("taskComplete", conv.id)
    outputs = [
        i for i in model_server.requests[-1].body["input"] if i["type"] == "function_call_output"
    ]
    assert outputs == [
        {"type": "function_call_output", "call_id": "slow", "output": "aborted by the user"}
    ]


async def test_input_during_a_turn_steers_it(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["sleep", "0.5"]}),)),
        Reply((Text("did both"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("first"))
    await log.wait_for("execCommandBegin", conv.id)
    conv.submit(say("and also this"))
    done = await log.wait_for("taskComplete", conv.id)
    assert done["lastAgentMessage"] == "did both"
    assert len(log.msgs(conv.id, "taskStarted")) == 1
    texts = json.dumps(model_server.requests[1].body["input"])
    assert "and also this" in texts
    assert [m["message"] for m in log.msgs(conv.id, "userMessage")] == ["first", "and also this"]


async def test_401_gives_a_clear_error_and_the_conversation_stays_usable(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(ErrorReply(401, "Incorrect API key provided"), Reply((Text("recovered"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("hi"))
    error = await log.wait_for("error", conv.id)
    assert "401" in error["message"] and "FAKE_MODEL_KEY" in error["message"]
    assert error["codexErrorInfo"] == "unauthorized"
    await log.wait_for("taskComplete", conv.id)
    conv.submit(say("hi again"))
    done = await log.wait_for("taskComplete", conv.id, count=2)
    assert done["lastAgentMessage"] == "recovered"


async def test_429_is_announced_as_a_stream_error_then_succeeds(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        ErrorReply(429, "rate limited", retry_after=0.2), Reply((Text("finally"),))
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("hi"))
    done = await log.wait_for("taskComplete", conv.id)
    stream_error = log.msgs(conv.id, "streamError")[0]
    assert stream_error["attempt"] == 1 and "reconnecting 1/3" in stream_error["message"]
    assert done["lastAgentMessage"] == "finally"


async def test_dropped_stream_leaves_no_partial_message(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Text("partial answer"), Drop())), Reply((Text("whole answer"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("hi"))
    await log.wait_for("taskComplete", conv.id)
    assert [m["message"] for m in log.msgs(conv.id, "agentMessage")] == ["whole answer"]
    assistant = [i for i in conv.history if i.type == "assistantMessage"]
    assert [a.text for a in assistant] == ["whole answer"]


async def test_two_conversations_stream_at_once(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((Text("alpha " * 20, chunks=20),), frame_delay_s=0.01, match="about alpha"),
        Reply((Text("beta " * 20, chunks=20),), frame_delay_s=0.01, match="about beta"),
    )
    a = await manager.new_conversation(NewConversationParams())
    b = await manager.new_conversation(NewConversationParams())
    a.submit(say("tell me about alpha"))
    b.submit(say("tell me about beta"))
    done_a = await log.wait_for("taskComplete", a.id)
    done_b = await log.wait_for("taskComplete", b.id)
    assert done_a["lastAgentMessage"].startswith("alpha") and done_b["lastAgentMessage"].startswith(
        "beta"
    )
    order = [e["conversationId"] for e in log.events if e["msg"]["type"] == "agentMessageDelta"]
    first_b = order.index(b.id)
    assert a.id in order[first_b:], "deltas of the two conversations should interleave"


async def test_agents_md_from_repo_root_down_to_cwd(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / ".git").mkdir()
    (workspace / "AGENTS.md").write_text("ROOT RULE: use tabs")
    sub = workspace / "pkg"
    sub.mkdir()
    (sub / "AGENTS.md").write_text("PKG RULE: no globals")
    model_server.enqueue(Reply((Text("ok"),)))
    conv = await manager.new_conversation(NewConversationParams(cwd=sub))
    conv.submit(say("hi"))
    await log.wait_for("taskComplete", conv.id)
    first_message = model_server.requests[0].body["input"][0]["content"][0]["text"]
    assert first_message.index("ROOT RULE") < first_message.index("PKG RULE")
    env = model_server.requests[0].body["input"][1]["content"][0]["text"]
    assert f"<cwd>{sub}</cwd>" in env and "<approval_policy>on-request</approval_policy>" in env


async def test_mentioned_file_is_given_to_the_model(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "notes.md").write_text("the secret word is tangerine")
    model_server.enqueue(Reply((Text("ok"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(
        UserInputOp(
            items=[
                TextInput(text="read this"),
                MentionInput(path="notes.md"),
                MentionInput(path="missing.md"),
                ContextInput(name="problems", text="app.py:3: undefined name 'tangerine'"),
            ]
        )
    )
    await log.wait_for("taskComplete", conv.id)
    sent = json.dumps(model_server.requests[0].body["input"])
    assert "the secret word is tangerine" in sent and "undefined name" in sent
    assert "missing.md" in log.msgs(conv.id, "warning")[0]["message"]
    [shown] = log.msgs(conv.id, "userMessage")  # what the user typed, not the file inlined
    assert shown["message"] == "read this" and shown["mentions"] == ["notes.md", "@problems"]


async def test_update_plan_is_shown_as_a_plan_item(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    plan = {
        "plan": [
            {"step": "read", "status": "completed"},
            {"step": "write", "status": "in_progress"},
        ]
    }
    model_server.enqueue(Reply((ToolCall("update_plan", plan),)), Reply((Text("done"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("plan it"))
    await log.wait_for("taskComplete", conv.id)
    update = log.msgs(conv.id, "planUpdate")[0]
    assert [s["status"] for s in update["plan"]] == ["completed", "inProgress"]
    [item] = [m["item"] for m in log.msgs(conv.id, "itemCompleted") if m["item"]["type"] == "plan"]
    assert [s["status"] for s in item["plan"]] == ["completed", "inProgress"]
    tool = next(t for t in model_server.requests[0].body["tools"] if t.get("name") == "update_plan")
    step = tool["parameters"]["properties"]["plan"]["items"]["properties"]["status"]
    assert step["enum"] == ["pending", "in_progress", "completed"]  # the model's contract: Codex's


async def test_bad_tool_arguments_are_reported_to_the_model(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply(
            (ToolCall("shell", {"cmd": "ls"}, call_id="bad"), ToolCall("nope", {}, call_id="unk"))
        ),
        Reply((Text("sorry"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("go"))
    await log.wait_for("taskComplete", conv.id)
    outputs = {
        i["call_id"]: i["output"]
        for i in model_server.requests[1].body["input"]
        if i["type"] == "function_call_output"
    }
    assert "command" in outputs["bad"] and "Field required" in outputs["bad"]
    assert "unknown tool 'nope'" in outputs["unk"]


async def test_commands_never_see_the_api_key(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((ToolCall("shell", {"command": ["env"]}),)), Reply((Text("ok"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("print the environment"))
    await log.wait_for("taskComplete", conv.id)
    output = log.msgs(conv.id, "execCommandEnd")[0]["stdout"]
    assert "PATH=" in output
    assert SECRET_KEY not in output and KEY_ENV not in output


async def test_shell_environment_policy_is_applied(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, codex_home: Path
) -> None:
    extra = (
        '[shell_environment_policy]\ninherit = "core"\nset = { GREETING = "hello-from-config" }\n'
    )
    write_config(codex_home, model_server.base_url, extra=extra)
    model_server.enqueue(Reply((ToolCall("shell", {"command": ["env"]}),)), Reply((Text("ok"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("print the environment"))
    await log.wait_for("taskComplete", conv.id)
    output = log.msgs(conv.id, "execCommandEnd")[0]["stdout"]
    assert "GREETING=hello-from-config" in output and "PATH=" in output
    assert "PYTEST_CURRENT_TEST" not in output


async def test_a_kernel_without_landlock_is_reported_at_start(
    manager: ConversationManager, log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(opening_module, "landlock_abi", lambda: 0)
    conv = await manager.new_conversation(NewConversationParams())
    warning = await log.wait_for("warning", conv.id)
    assert (
        "no Landlock support" in warning["message"] and "danger-full-access" in warning["message"]
    )


async def test_notify_runs_after_each_turn_and_prompts_go_to_history(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    codex_home: Path,
    tmp_path: Path,
) -> None:
    out = tmp_path / "notified.json"
    notify = (
        f'notify = ["python3", "-c", "import sys; open(\'{out}\', \'w\').write(sys.argv[1])"]\n'
    )
    config = codex_home / "config.toml"
    config.write_text(notify + config.read_text())
    model_server.enqueue(Reply((Text("the answer"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("what is it?"))
    done = await log.wait_for("taskComplete", conv.id)
    for _ in range(100):
        if out.exists() and (codex_home / "history.jsonl").exists():
            break
        await asyncio.sleep(0.05)
    payload = json.loads(out.read_text())
    assert payload == {
        "type": "agent-turn-complete",
        "turn-id": done["turnId"],
        "input-messages": ["what is it?"],
        "last-assistant-message": "the answer",
    }
    history = [json.loads(line) for line in (codex_home / "history.jsonl").read_text().splitlines()]
    assert history[-1]["text"] == "what is it?" and history[-1]["session_id"] == conv.id


async def test_history_can_be_turned_off(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, codex_home: Path
) -> None:
    write_config(codex_home, model_server.base_url, extra='[history]\npersistence = "none"\n')
    model_server.enqueue(Reply((Text("ok"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("secret prompt"))
    await log.wait_for("taskComplete", conv.id)
    await asyncio.sleep(0.2)
    assert not (codex_home / "history.jsonl").exists()


async def test_reasoning_settings_and_verbosity_reach_the_request(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Text("short"),)))
    conv = await manager.new_conversation(
        NewConversationParams(
            config={
                "model_verbosity": "low",
                "model_reasoning_effort": "high",
                "model_reasoning_summary": "concise",
            }
        )
    )
    conv.submit(UserInputOp(items=[TextInput(text="be brief")]))
    await log.wait_for("taskComplete", conv.id)
    body = model_server.requests[0].body
    assert body["text"] == {"verbosity": "low"}
    assert body["reasoning"] == {"effort": "high", "summary": "concise"}
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["prompt_cache_key"] == conv.id


async def test_token_counts_carry_the_session_cost_when_the_price_is_known(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Text("one"),)), Reply((Text("two"),)), Reply((Text("three"),)))
    price = {"input": 3.0, "cached_input": 0.3, "output": 15.0}
    priced = await manager.new_conversation(NewConversationParams(config={"model_price": price}))
    for n, text in enumerate(("first", "second")):
        priced.submit(say(text))
        await log.wait_for("taskComplete", priced.id, count=n + 1)
    counts = [m["info"] for m in log.msgs(priced.id, "tokenCount")]
    last = counts[0]["lastTokenUsage"]
    one = (last["inputTokens"] * 3.0 + last["outputTokens"] * 15.0) / 1e6
    assert counts[0]["costUsd"] == pytest.approx(one) and one > 0
    assert counts[1]["costUsd"] > counts[0]["costUsd"]
    unpriced = await manager.new_conversation(NewConversationParams())  # fake-model: no price
    unpriced.submit(say("third"))
    await log.wait_for("taskComplete", unpriced.id)
    assert "costUsd" not in log.msgs(unpriced.id, "tokenCount")[0]["info"]  # unknown: absent


async def test_a_mentioned_folder_is_given_as_a_listing_of_its_files(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "src" / "pkg").mkdir(parents=True)
    (workspace / "src" / "app.py").write_text("print('hi')\n")
    (workspace / "src" / "pkg" / "util.py").write_text("")
    (workspace / "src" / "node_modules").mkdir()
    (workspace / "src" / "node_modules" / "dep.js").write_text("")
    model_server.enqueue(Reply((Text("ok"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(UserInputOp(items=[TextInput(text="what is in it"), MentionInput(path="src/")]))
    await log.wait_for("taskComplete", conv.id)
    sent = json.dumps(model_server.requests[0].body["input"])
    assert "app.py" in sent and "pkg/util.py" in sent and "dep.js" not in sent
    assert "print('hi')" not in sent  # a listing, not the files' content
    assert log.msgs(conv.id, "userMessage")[0]["mentions"] == ["src/"]


async def test_interrupt_right_after_input_aborts_the_turn_that_never_started(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    """Input and an interrupt queued together: the turn is cancelled before its first step,
    is still reported aborted, and the conversation takes the next input."""
    model_server.enqueue(Reply((Text("answered"),)))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("never mind"))
    conv.submit(InterruptOp())
    aborted = await log.wait_for("turnAborted", conv.id, timeout=3)
    assert aborted["reason"] == "interrupted"
    conv.submit(say("this one"))
    done = await log.wait_for("taskComplete", conv.id, timeout=5)
    assert done["lastAgentMessage"] == "answered"
    sent = json.dumps(model_server.requests[-1].body["input"])
    assert "this one" in sent and "never mind" not in sent


async def test_interrupt_drops_the_input_queued_for_the_turn(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["sleep", "30"]}),)),
        Reply((Text("fresh start"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(say("first"))
    await log.wait_for("execCommandBegin", conv.id)
    conv.submit(say("queued while it ran"))
    conv.submit(InterruptOp())
    await log.wait_for("turnAborted", conv.id, timeout=3)
    conv.submit(say("after the interrupt"))
    await log.wait_for("taskComplete", conv.id, timeout=5)
    sent = json.dumps(model_server.requests[-1].body["input"])
    assert "after the interrupt" in sent and "queued while it ran" not in sent
    aborted = log.msgs(conv.id, "turnAborted")[0]
    assert aborted["returnedInput"] == [[{"type": "text", "text": "queued while it ran"}]]
    assert [m["message"] for m in log.msgs(conv.id, "userMessage")] == [
        "first",
        "after the interrupt",
    ]


@pytest.mark.parametrize("wire_api", ["responses", "chat", "anthropic"])
@pytest.mark.parametrize(("stop", "reason"), [("max_tokens", "maxTokens"), ("refusal", "refusal")])
async def test_an_early_stop_ends_the_turn_with_its_reason(
    codex_home: Path,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
    wire_api: str,
    stop: str,
    reason: str,
) -> None:
    """A response cut off at the output limit, or a refusal, ends the turn (no retry, no
    error) and says why; the text streamed so far is the answer."""
    write_config(codex_home, model_server.base_url, wire_api=wire_api)
    model_server.enqueue(Reply((Text("I stop here"),), stop=stop))  # type: ignore[arg-type]
    manager = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=codex_home, default_cwd=workspace)
    )
    try:
        conv = await manager.new_conversation(NewConversationParams())
        conv.submit(say("go on"))
        done = await log.wait_for("taskComplete", conv.id)
        assert done["stopReason"] == reason
        assert done["lastAgentMessage"] == "I stop here"
        assert "error" not in log.types(conv.id) and len(model_server.requests) == 1
        model_server.enqueue(Reply((Text("normal"),)))
        conv.submit(say("again"))
        second = await log.wait_for("taskComplete", conv.id, count=2)
        assert "stopReason" not in second
    finally:
        await manager.shutdown_all()
