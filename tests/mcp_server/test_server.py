"""``codex-lsp mcp-server`` driven by the official SDK's client over stdio: a full conversation
with an approval answered through elicitation, events as progress, and codex-reply."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.types import ElicitResult

from codex_lsp.testing import Answer, FakeModelServer, Reply, Text, ToolCall
from tests.helpers import subprocess_env
from tests.speckit.answers import plan_answer

pytestmark = pytest.mark.slow


def server_params(home: Path, workspace: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "codex_lsp", "mcp-server"],
        env=subprocess_env(home),
        cwd=workspace,
    )


async def test_a_conversation_with_an_approval_then_a_reply(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "made.txt"]}),)),
        Reply((Text("I created made.txt"),)),
        Reply((Text("it is empty"),)),
    )
    asked: list[str] = []

    async def elicit(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"decision": "approved"})

    progress: list[dict[str, Any]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(json.loads(message or "{}"))

    async with (
        stdio_client(server_params(codex_home, workspace)) as (read, write),
        ClientSession(read, write, elicitation_callback=elicit) as session,
    ):
        await session.initialize()
        listed = await session.list_tools()
        assert [t.name for t in listed.tools] == ["codex", "codex-reply"]
        assert "approval-policy" in listed.tools[0].input_schema["properties"]
        first = await session.call_tool(
            "codex",
            {"prompt": "make a file", "approval-policy": "untrusted", "cwd": str(workspace)},
            progress_callback=on_progress,
        )
        assert not first.is_error, first.content
        assert first.content[0].text == "I created made.txt"
        conversation_id = first.structured_content["conversationId"]
        assert (workspace / "made.txt").exists()
        assert asked and "touch made.txt" in asked[0]
        kinds = [p.get("type") for p in progress]
        assert "execApprovalRequest" in kinds and "execCommandEnd" in kinds
        assert kinds[-1] == "taskComplete"

        second = await session.call_tool(
            "codex-reply", {"conversationId": conversation_id, "prompt": "is it empty?"}
        )
        assert second.content[0].text == "it is empty"
        bad = await session.call_tool("codex-reply", {"conversationId": "nope", "prompt": "hi"})
        assert bad.is_error and "unknown conversation id 'nope'" in bad.content[0].text
    sent = json.dumps(model_server.requests[-1].body["input"])
    assert "make a file" in sent and "is it empty?" in sent


async def test_spec_kit_commands_run_through_the_codex_tool(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    (workspace / "docs").mkdir()
    model_server.enqueue(Reply((Answer(plan_answer("default", steps=("Over MCP",))),)))
    async with (
        stdio_client(server_params(codex_home, workspace)) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        created = await session.call_tool(
            "codex", {"prompt": "/speckit.new Add login", "cwd": str(workspace)}
        )
        assert not created.is_error and "Created SPEC-KIT-001" in created.content[0].text
        assert model_server.requests == []
        conversation_id = created.structured_content["conversationId"]
        planned = await session.call_tool(
            "codex-reply", {"conversationId": conversation_id, "prompt": "/speckit.plan 1"}
        )
        assert not planned.is_error, planned.content
        assert "consensus ok" in planned.content[0].text
        missing = await session.call_tool(
            "codex-reply", {"conversationId": conversation_id, "prompt": "/speckit.plan"}
        )
        assert missing.is_error and "Usage: /speckit.plan <SPEC>" in missing.content[0].text
    plan = workspace / "docs" / "SPEC-KIT-001-add-login" / "plan.md"
    assert "1. **Over MCP**" in plan.read_text()
    assert len(model_server.requests) == 1


async def test_the_models_questions_reach_the_calling_client_as_a_form(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    questions = [
        {
            "id": "db",
            "header": "Database",
            "question": "Which database?",
            "options": [{"label": "SQLite", "description": ""}],
        }
    ]
    model_server.enqueue(
        Reply((ToolCall("request_user_input", {"questions": questions}, call_id="q1"),)),
        Reply((Text("SQLite it is"),)),
    )
    forms: list[dict[str, Any]] = []

    async def elicit(context: Any, params: Any) -> ElicitResult:
        forms.append(params.requested_schema)
        return ElicitResult(action="accept", content={"db": "DuckDB"})

    async with (
        stdio_client(server_params(codex_home, workspace)) as (read, write),
        ClientSession(read, write, elicitation_callback=elicit) as session,
    ):
        await session.initialize()
        result = await session.call_tool("codex", {"prompt": "pick a db", "cwd": str(workspace)})
        assert result.content[0].text == "SQLite it is"
    (form,) = forms
    assert form["properties"]["db"]["title"] == "Database"
    assert "enum" not in form["properties"]["db"]  # the user may answer in their own words
    (output,) = [
        i["output"]
        for i in model_server.requests[-1].body["input"]
        if i["type"] == "function_call_output"
    ]
    assert json.loads(output) == {"answers": {"db": {"answers": ["DuckDB"]}}}
