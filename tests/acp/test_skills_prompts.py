"""Skills and MCP prompts as ACP slash commands: announced in ``available_commands_update``,
``/skill-name text`` sends the skill with the text, ``/mcp__<server>__<prompt> args`` sends the
prompt a real MCP server (the SDK) filled in."""

from __future__ import annotations

import sys
from pathlib import Path

from acp.schema import McpServerStdio

from codex_lsp.testing import FakeModelServer, Reply, Text
from tests.acp.conftest import Agent
from tests.codex_peer import input_texts

PROMPT_SERVER = Path(__file__).parents[1] / "mcp" / "servers" / "prompt_server.py"


async def test_skills_and_mcp_prompts_are_slash_commands(
    agent: Agent, model_server: FakeModelServer, workspace: Path
) -> None:
    skill = workspace / ".agents" / "skills" / "deploy" / "SKILL.md"
    skill.parent.mkdir(parents=True)
    skill.write_text("---\nname: deploy\ndescription: Deploy to staging\n---\nRUN ./ship\n")
    docs = McpServerStdio(name="docs", command=sys.executable, args=[str(PROMPT_SERVER)], env=[])
    model_server.enqueue(Reply((Text("shipped"),)), Reply((Text("reviewed"),)))
    sid = await agent.new(mcp=[docs])

    assert (await agent.say(sid, "/deploy to staging now")).stop_reason == "end_turn"
    sent = input_texts(model_server.requests[0].body)
    assert sent[-2] == "to staging now" and sent[-1].startswith("<skill>\n<name>deploy</name>")

    assert (await agent.say(sid, "/mcp__docs__review app.py")).stop_reason == "end_turn"
    sent = input_texts(model_server.requests[1].body)
    assert sent[-1] == "Review app.py for correctness. Report each bug with its line."

    announced = {
        c["name"]: c
        for u in agent.client.of(sid)
        if u["sessionUpdate"] == "available_commands_update"
        for c in u["availableCommands"]
    }
    assert announced["deploy"]["description"] == "Skill: Deploy to staging"
    assert announced["mcp__docs__review"]["input"] == {"hint": "<path> [focus]"}
