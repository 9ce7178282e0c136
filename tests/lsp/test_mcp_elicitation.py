"""MCP elicitation through a real server process and a real MCP server (the SDK's): the form's
fields reach the editor as ``codex/requestUserInput`` and the typed values reach the MCP server;
a url-mode elicitation opens the link with ``window/showDocument``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.lsp.conftest import Session, open_session
from tests.mcp.conftest import server_table

pytestmark = pytest.mark.slow


def _with_mcp(codex_home: Path) -> None:
    with (codex_home / "config.toml").open("a") as config:
        config.write(server_table("faults"))


async def _ready(lsp: Session) -> None:
    async with asyncio.timeout(30):
        while not any(s.get("state") == "ready" for s in lsp.mcp_statuses):
            await asyncio.sleep(0.05)


def _output(model_server: FakeModelServer) -> str:
    (output,) = [
        i["output"]
        for i in model_server.requests[-1].body["input"]
        if i["type"] == "function_call_output"
    ]
    return str(output)


async def test_the_form_is_filled_in_the_editor_and_the_server_gets_the_values(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    _with_mcp(codex_home)
    model_server.enqueue(Reply((ToolCall("faults__signup", {}),)), Reply((Text("signed up"),)))
    async with open_session(
        codex_home, workspace, "visual-studio-code", custom_approvals=True, user_input_form=True
    ) as lsp:
        lsp.user_input_answers = [
            {
                "answers": {
                    "name": {"answers": ["Grace"]},
                    "age": {"answers": ["85"]},
                    "plan": {"answers": ["free"]},
                    "newsletter": {"answers": ["No"]},
                }
            }
        ]
        await _ready(lsp)
        conv = await lsp.new_conversation(approvalPolicy="never")
        await lsp.say(conv, "sign me up")
        await lsp.log.wait_for("taskComplete", conv, timeout=40)
        (asked,) = lsp.asked
        assert [q["id"] for q in asked["questions"]] == ["name", "age", "plan", "newsletter"]
    assert json.loads(_output(model_server)) == {
        "action": "accept",
        "data": {"name": "Grace", "age": 85, "plan": "free", "newsletter": False},
    }


async def test_a_url_elicitation_opens_the_link_in_the_browser(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    _with_mcp(codex_home)
    link = "https://auth.example.com/device?code=XY"
    model_server.enqueue(
        Reply((ToolCall("faults__login", {"url": link}),)), Reply((Text("logged in"),))
    )
    async with open_session(
        codex_home, workspace, "neovim", custom_approvals=True, user_input_form=True
    ) as lsp:
        lsp.user_input_answers = [{"answers": {"open": {"answers": ["Open"]}}}]
        await _ready(lsp)
        conv = await lsp.new_conversation(approvalPolicy="never")
        await lsp.say(conv, "log in")
        await lsp.log.wait_for("taskComplete", conv, timeout=40)
        (shown,) = lsp.client.shown_documents
        assert (shown.uri, shown.external) == (link, True)
    assert _output(model_server) == "login: accept"
