"""MCP tools end to end: a scripted model calls tools of a real MCP server (the SDK, stdio)
through a conversation; faults (crash, hang, garbage, slow or failed start) never take the
conversation down."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from pathlib import Path

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import AskForApproval, ReviewDecision
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import EventLog, ScriptedApprover, write_config
from tests.mcp.conftest import server_table

pytestmark = pytest.mark.slow


def call(tool: str, arguments: dict[str, object]) -> Reply:
    return Reply((ToolCall(tool, arguments),))


async def turn(
    manager: ConversationManager,
    log: EventLog,
    *replies: Reply,
    policy: AskForApproval = AskForApproval.NEVER,
) -> str:
    """One conversation, one turn: ``replies`` then a closing text. Returns its id."""
    server: FakeModelServer = manager.test_model_server  # type: ignore[attr-defined]
    server.enqueue(*replies, Reply((Text("done"),)))
    conv = await manager.new_conversation(NewConversationParams(approval_policy=policy))
    conv.submit(UserInputOp(items=[TextInput(text="go")]))
    await log.wait_for("taskComplete", conv.id, timeout=30)
    return conv.id


def outputs(server: FakeModelServer) -> list[str]:
    """The tool outputs the model was sent in the last request."""
    return [
        i["output"]
        for i in server.requests[-1].body["input"]
        if i.get("type") == "function_call_output"
    ]


@pytest.fixture(autouse=True)
def _attach_server(mcp_manager: ConversationManager, model_server: FakeModelServer) -> None:
    mcp_manager.test_model_server = model_server  # type: ignore[attr-defined]


async def test_a_tool_is_offered_called_and_reported(
    mcp_manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    [status] = mcp_manager.mcp.statuses()
    assert status.state == "ready" and "faults__add" in status.tools
    conv = await turn(mcp_manager, log, call("faults__add", {"a": 2, "b": 3}))
    offered = {t["name"]: t for t in model_server.requests[0].body["tools"]}
    assert offered["faults__add"]["parameters"]["required"] == ["a", "b"]
    assert outputs(model_server) == ["5"]
    begin = log.msgs(conv, "mcpToolCallBegin")[0]
    end = log.msgs(conv, "mcpToolCallEnd")[0]
    assert begin["invocation"] == {"server": "faults", "tool": "add", "arguments": {"a": 2, "b": 3}}
    assert end["result"]["content"][0]["text"] == "5" and "error" not in end
    completed = [m["item"] for m in log.msgs(conv, "itemCompleted")]
    assert any(i["type"] == "mcpToolCall" and i["status"] == "completed" for i in completed)


async def test_bad_arguments_go_back_to_the_model_without_a_call(
    mcp_manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    conv = await turn(mcp_manager, log, call("faults__add", {"a": "two"}))
    [output] = outputs(model_server)
    assert "invalid arguments for faults__add" in output and "'two' is not of type" in output
    assert log.msgs(conv, "mcpToolCallBegin") == []


async def test_calls_follow_the_approval_policy(
    mcp_manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    approver.answers = [ReviewDecision.DENIED]
    await turn(
        mcp_manager,
        log,
        Reply(
            (
                ToolCall("faults__add", {"a": 1, "b": 1}),
                ToolCall("faults__write_note", {"text": "x"}),
            )
        ),
        policy=AskForApproval.ON_REQUEST,
    )
    assert [a.command[0] for a in approver.asked] == ["faults__write_note"]  # add is read-only
    assert outputs(model_server) == [
        "2",
        "the user denied calling faults__write_note; do not retry it as is",
    ]


async def test_a_crashed_server_is_restarted_on_next_use(
    mcp_manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    await turn(mcp_manager, log, call("faults__crash", {}))
    [crashed] = outputs(model_server)
    assert crashed.startswith("MCP server faults:") and "restarted on next use" in crashed
    assert mcp_manager.mcp.statuses()[0].state == "failed"
    await asyncio.sleep(1.1)  # the first restart backoff
    await turn(mcp_manager, log, call("faults__add", {"a": 20, "b": 22}))
    assert outputs(model_server) == ["42"]
    assert mcp_manager.mcp.statuses()[0].state == "ready"


@pytest.mark.mcp_servers(server_table("faults", extra="tool_timeout_sec = 1"))
@pytest.mark.parametrize("tool", ["hang", "garbage"])
async def test_a_hung_or_garbled_server_times_out_with_a_clear_error(
    tool: str, mcp_manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    started = time.monotonic()
    conv = await turn(mcp_manager, log, call(f"faults__{tool}", {}))
    assert time.monotonic() - started < 10
    [output] = outputs(model_server)
    assert f"tool {tool} did not answer within 1 s (tool_timeout_sec)" in output
    assert log.msgs(conv, "mcpToolCallEnd")[0]["error"] == output


@pytest.mark.mcp_servers(
    server_table("slow", "--slow-start", "5", extra="startup_timeout_sec = 0.5")
    + server_table("dead", "--die-at-start")
    + server_table("faults")
)
async def test_servers_that_do_not_start_are_reported_and_the_rest_work(
    mcp_manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    states = {s.name: s for s in mcp_manager.mcp.statuses()}
    assert states["slow"].state == "failed"
    assert "did not start within 0.5 s" in str(states["slow"].reason)
    assert states["dead"].state == "failed" and states["dead"].reason
    assert states["faults"].state == "ready"
    await turn(mcp_manager, log, call("faults__add", {"a": 1, "b": 2}))
    assert outputs(model_server) == ["3"]


async def test_images_are_shown_to_the_model(
    mcp_manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    await turn(mcp_manager, log, call("faults__picture", {}))
    sent = json.dumps(model_server.requests[-1].body["input"])
    assert "data:image/png;base64,iVBORw0KGgo" in sent
    assert "shown to you below" in outputs(model_server)[0]


async def test_resources_are_listed_and_read(
    mcp_manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    await turn(
        mcp_manager,
        log,
        call("list_mcp_resources", {}),
        call("read_mcp_resource", {"server": "faults", "uri": "notes://today"}),
    )
    sent = model_server.requests[-1].body["input"]
    results = [i["output"] for i in sent if i.get("type") == "function_call_output"]
    assert json.loads(results[0])["resources"]["faults"][0]["uri"] == "notes://today"
    assert json.loads(results[1])["contents"][0]["text"] == "buy milk"


async def test_an_elicitation_form_asks_every_field_and_sends_the_typed_values(
    mcp_manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    approver.question_answers = [
        {"name": ["Ada"], "age": ["36"], "plan": ["pro"], "newsletter": ["Yes"]}
    ]
    await turn(mcp_manager, log, call("faults__signup", {}))
    (asked,) = approver.questions
    by_id = {q.id: q for q in asked.questions}
    assert list(by_id) == ["name", "age", "plan", "newsletter"]
    assert by_id["name"].options == [] and by_id["name"].is_other  # typed in
    assert by_id["name"].question == "Sign up for the service\nName: Your name"
    assert [o.label for o in by_id["plan"].options] == ["free", "pro"]
    assert [o.label for o in by_id["newsletter"].options] == ["Yes", "No"]
    assert json.loads(outputs(model_server)[0]) == {
        "action": "accept",
        "data": {"name": "Ada", "age": 36, "plan": "pro", "newsletter": True},
    }


@pytest.mark.parametrize(
    ("answers", "action", "warning"),
    [
        (None, "cancel", None),  # the form was dismissed
        ({"name": ["Ada"], "age": ["old"], "plan": ["pro"]}, "decline", "age must be an integer"),
        (
            {"name": ["Ada"], "age": ["200"], "plan": ["pro"]},
            "decline",
            "age must be between 0 and 150",
        ),
        (
            {"name": ["Ada"], "age": ["3"], "plan": ["gold"]},
            "decline",
            "plan must be one of free, pro",
        ),
        ({"age": ["3"], "plan": ["free"]}, "decline", "name is required"),
    ],
)
async def test_an_answer_the_form_does_not_allow_is_never_sent(
    answers: dict[str, list[str]] | None,
    action: str,
    warning: str | None,
    mcp_manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    approver.question_answers = [answers]
    conv_id = await turn(mcp_manager, log, call("faults__signup", {}))
    assert json.loads(outputs(model_server)[0]) == {"action": action, "data": None}
    warnings = [m["message"] for m in log.msgs(conv_id, "warning")]
    assert warnings == ([f"not sent to MCP server faults: {warning}"] if warning else [])


@pytest.mark.parametrize(("answer", "said"), [(["Open"], "accept"), (["Decline"], "decline")])
async def test_a_url_elicitation_opens_the_link_when_the_user_says_so(
    answer: list[str],
    said: str,
    mcp_manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    link = "https://auth.example.com/login?state=abc"
    approver.question_answers = [{"open": answer}]
    await turn(mcp_manager, log, call("faults__login", {"url": link}))
    (asked,) = approver.questions
    assert link in asked.questions[0].question
    assert [o.label for o in asked.questions[0].options] == ["Open", "Decline"]
    assert approver.opened == ([link] if said == "accept" else [])
    assert outputs(model_server) == [f"login: {said}"]


@pytest.mark.parametrize(
    "link",
    [
        "file:///etc/passwd",
        "command:workbench.action.terminal.new",
        "javascript:alert(1)",
        "https:x",
    ],
)
async def test_a_url_elicitation_never_opens_anything_but_a_web_link(
    link: str,
    mcp_manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    approver.question_answers = [{"open": ["Open"]}]
    conv_id = await turn(mcp_manager, log, call("faults__login", {"url": link}))
    assert approver.questions == [] and approver.opened == []
    assert outputs(model_server) == ["login: decline"]
    (warning,) = [m["message"] for m in log.msgs(conv_id, "warning")]
    assert "which is not an http(s) link; declined" in warning


@pytest.mark.parametrize(("answer", "said"), [(["Yes"], "accept"), (None, "cancel")])
async def test_a_one_field_question_accepts_or_is_cancelled(
    answer: list[str] | None,
    said: str,
    mcp_manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    approver.question_answers = [{"proceed": answer} if answer else None]
    await turn(mcp_manager, log, call("faults__ask", {}))
    (asked,) = approver.questions
    assert asked.questions[0].question.startswith("Really delete the cache?")
    assert outputs(model_server) == [f"user said: {said}"]


@pytest.mark.mcp_servers(server_table("one") + server_table("two"))
async def test_reload_restarts_only_the_changed_server(mcp_manager: ConversationManager) -> None:
    from codex_lsp.config.model import McpServerConfig

    before = {name: mcp_manager.mcp.connection(name) for name in ("one", "two")}
    changed = {
        "one": before["one"].config,
        "two": McpServerConfig.model_validate(
            {**before["two"].config.model_dump(), "tool_timeout_sec": 5}
        ),
    }
    assert mcp_manager.mcp.configure(changed) == ["two"]
    await mcp_manager.mcp.wait_started(20)
    assert mcp_manager.mcp.connection("one") is before["one"]
    assert mcp_manager.mcp.connection("two") is not before["two"]
    assert [s.state for s in mcp_manager.mcp.statuses()] == ["ready", "ready"]
    assert mcp_manager.mcp.configure({"one": before["one"].config}) == []
    assert [s.name for s in mcp_manager.mcp.statuses()] == ["one"]


@pytest.mark.mcp_servers(server_table("one"))
async def test_a_config_file_edit_adds_and_removes_servers(
    mcp_manager: ConversationManager, model_server: FakeModelServer, clean_env: Path
) -> None:
    one = mcp_manager.mcp.connection("one")
    write_config(clean_env, model_server.base_url, extra=server_table("one") + server_table("two"))
    await mcp_manager.reload_configs()
    await mcp_manager.mcp.wait_started(20)
    assert [(s.name, s.state) for s in mcp_manager.mcp.statuses()] == [
        ("one", "ready"),
        ("two", "ready"),
    ]
    assert mcp_manager.mcp.connection("one") is one  # unchanged entries keep running
    write_config(clean_env, model_server.base_url, extra=server_table("two"))
    await mcp_manager.reload_configs()
    await mcp_manager.mcp.wait_started(20)
    assert [s.name for s in mcp_manager.mcp.statuses()] == ["two"]


@pytest.mark.mcp_servers(server_table("one"))
async def test_client_servers_merge_by_name_and_survive_reloads(
    mcp_manager: ConversationManager, model_server: FakeModelServer, clean_env: Path, log: EventLog
) -> None:
    """Servers a client brings (ACP ``mcpServers``) join the configured ones; one with a
    configured name replaces it; a config reload keeps them."""
    import sys

    from codex_lsp.config.model import McpServerConfig
    from tests.mcp.conftest import FAULT_SERVER

    one = mcp_manager.mcp.connection("one")
    client = McpServerConfig(command=sys.executable, args=[str(FAULT_SERVER)])
    assert mcp_manager.add_mcp_servers({"client": client}) == ["client"]
    await mcp_manager.mcp.wait_started(20)
    assert [(s.name, s.state) for s in mcp_manager.mcp.statuses()] == [
        ("one", "ready"),
        ("client", "ready"),
    ]
    assert mcp_manager.mcp.connection("one") is one
    conv = await turn(mcp_manager, log, call("client__add", {"a": 20, "b": 22}))
    assert outputs(model_server) == ["42"]
    assert log.msgs(conv, "mcpToolCallEnd")[0]["invocation"]["server"] == "client"

    write_config(
        clean_env,
        model_server.base_url,
        extra=server_table("one"),
    )
    await mcp_manager.reload_configs()
    await mcp_manager.mcp.wait_started(20)
    assert [s.name for s in mcp_manager.mcp.statuses()] == ["one", "client"]

    slow = McpServerConfig(command=sys.executable, args=[str(FAULT_SERVER), "--slow-start", "0"])
    assert mcp_manager.add_mcp_servers({"one": slow}) == ["one"]
    await mcp_manager.mcp.wait_started(20)
    assert mcp_manager.mcp.connection("one").config == slow


MARK = f"codex-lsp-test-{os.getpid()}-reload"
"""In the environment of this test's MCP servers only: other tests' leftovers are not its own."""


def _children() -> dict[int, str]:
    """This process's child processes (exited but not yet reaped ones too): pid -> stat line."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rpartition(")")[2].split()[1]) == os.getpid():
                    found[int(entry)] = stat.split(")")[0] + ")"
    return found


def _marked(pids: dict[int, str]) -> set[int]:
    """The pids whose environment holds :data:`MARK`."""
    marked = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            if MARK.encode() in Path(f"/proc/{pid}/environ").read_bytes():
                marked.add(pid)
    return marked


@pytest.mark.mcp_servers(
    server_table("one", extra=f'env = {{ CODEX_LSP_TEST_MARK = "{MARK}" }}')
    + server_table("two", extra=f'env = {{ CODEX_LSP_TEST_MARK = "{MARK}" }}')
)
async def test_a_server_a_reload_removed_is_stopped_by_a_shutdown_right_after(
    mcp_manager: ConversationManager,
) -> None:
    ours = _marked(_children())
    assert len(ours) >= 2, "the two servers' processes are this process's children"
    removed = mcp_manager.mcp.connection("two")
    assert mcp_manager.mcp.configure({"one": mcp_manager.mcp.connection("one").config}) == []
    await mcp_manager.mcp.shutdown()
    assert removed.state == "stopped"
    left = {pid: line for pid, line in _children().items() if pid in ours}
    assert left == {}  # their processes reaped, not left for the garbage collector
