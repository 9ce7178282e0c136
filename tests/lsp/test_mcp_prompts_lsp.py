"""MCP prompts as slash commands over LSP: a real MCP server (the SDK) started from config,
its prompts listed by ``codex/listMcpPrompts``, and ``/mcp__<server>__<prompt> args`` typed as a
message replaced by the text the server fills in; mistakes are errors that say the usage."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from codex_lsp.testing import FakeModelServer, Reply, Text
from tests.codex_peer import input_texts
from tests.helpers import write_config
from tests.lsp.conftest import open_session
from tests.lsp.test_mcp_servers import ready

PROMPT_SERVER = Path(__file__).parents[1] / "mcp" / "servers" / "prompt_server.py"
pytestmark = pytest.mark.slow


async def test_a_prompt_is_listed_and_typed_as_a_slash_command(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    table = f'\n[mcp_servers.docs]\ncommand = "{sys.executable}"\nargs = ["{PROMPT_SERVER}"]\n'
    write_config(clean_env, model_server.base_url, extra=table)
    model_server.enqueue(Reply((Text("reviewed"),)))
    async with open_session(clean_env, workspace, "visual-studio-code", True) as lsp:
        await ready(lsp, {"docs"})
        listed = await lsp.request("codex/listMcpPrompts", {})
        assert listed["prompts"][0] == {
            "command": "mcp__docs__review",
            "server": "docs",
            "name": "review",
            "description": "Review a file for bugs",
            "arguments": [
                {"name": "path", "required": True},
                {"name": "focus", "required": False},
            ],
        }
        commands = [p["command"] for p in listed["prompts"]]
        assert commands == ["mcp__docs__review", "mcp__docs__hello"]

        conv = await lsp.new_conversation()
        await lsp.say(conv, '/mcp__docs__review src/app.py "security holes"')
        await lsp.log.wait_for("taskComplete", conv)
        sent = input_texts(model_server.requests[0].body)
        assert sent[-1] == "Review src/app.py for security holes. Report each bug with its line."
        assert not any("/mcp__docs__review" in t for t in sent)

        with pytest.raises(JsonRpcException, match=r"needs path \(usage: /mcp__docs__review"):
            await lsp.say(conv, "/mcp__docs__review")
        with pytest.raises(JsonRpcException, match=r"takes no arguments"):
            await lsp.say(conv, "/mcp__docs__hello everyone")
        with pytest.raises(JsonRpcException, match=r"not a prompt of a running MCP server"):
            await lsp.say(conv, "/mcp__docs__nope")
        assert len(model_server.requests) == 1  # none of the mistakes reached the model
