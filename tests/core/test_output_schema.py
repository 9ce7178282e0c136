"""``userTurn``'s ``outputSchema`` reaches the provider as its own structured output, on each
wire, against the scripted model server: Responses ``text.format`` (strict json_schema), Chat
``response_format`` json_schema, Anthropic a forced tool whose input schema is the answer's
schema (and whose input comes back as the answer). A schema that is not one is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp, UserTurnOp
from codex_lsp.protocol.policies import ReasoningEffort
from codex_lsp.protocol.requests import NewConversationParams, UserTurnParams
from codex_lsp.testing import Answer, FakeModelServer, Reply, Text
from tests.helpers import EventLog, write_config

SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["pass", "fail"]}},
    "required": ["verdict"],
    "additionalProperties": False,
}


async def _turn(
    home: Path, server: FakeModelServer, wire: str, op: UserTurnOp, log: EventLog
) -> dict[str, object]:
    write_config(home, server.base_url, wire_api=wire)
    manager = ConversationManager(FrontEnd(log.sink), ConfigSources(home=home))
    try:
        conv = await manager.new_conversation(NewConversationParams())
        conv.submit(op)
        return await log.wait_for("taskComplete", conv.id)
    finally:
        await manager.shutdown_all()


def _ask(effort: ReasoningEffort | None = None) -> UserTurnOp:
    return UserTurnOp(items=[TextInput(text="Did it pass?")], output_schema=SCHEMA, effort=effort)


async def test_responses_sends_a_strict_json_schema_text_format(
    clean_env: Path, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Answer({"verdict": "pass"}),)))
    done = await _turn(clean_env, model_server, "responses", _ask(), log)
    (request,) = model_server.requests
    text_format = request.body["text"]["format"]
    assert text_format["type"] == "json_schema" and text_format["strict"] is True
    assert text_format["schema"] == SCHEMA
    assert json.loads(str(done["lastAgentMessage"])) == {"verdict": "pass"}


async def test_chat_sends_a_json_schema_response_format(
    clean_env: Path, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Answer({"verdict": "fail"}),)))
    done = await _turn(clean_env, model_server, "chat", _ask(), log)
    (request,) = model_server.requests
    response_format = request.body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"] == SCHEMA
    assert json.loads(str(done["lastAgentMessage"])) == {"verdict": "fail"}


async def test_anthropic_forces_an_answer_tool_whose_input_is_the_answer(
    clean_env: Path, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Answer({"verdict": "pass"}),)))
    done = await _turn(clean_env, model_server, "anthropic", _ask(), log)
    (request,) = model_server.requests
    assert request.body["tool_choice"] == {"type": "tool", "name": "final_answer"}
    answer_tool = next(t for t in request.body["tools"] if t["name"] == "final_answer")
    assert answer_tool["input_schema"] == SCHEMA
    assert "thinking" not in request.body
    assert json.loads(str(done["lastAgentMessage"])) == {"verdict": "pass"}
    assert log.msgs(type_="agentMessage")[-1]["message"] == done["lastAgentMessage"]


async def test_anthropic_with_thinking_offers_the_answer_tool_without_forcing_it(
    clean_env: Path, model_server: FakeModelServer, log: EventLog
) -> None:
    """Anthropic refuses a forced tool together with extended thinking."""
    model_server.enqueue(Reply((Text('{"verdict": "pass"}'),)))
    await _turn(clean_env, model_server, "anthropic", _ask(ReasoningEffort.HIGH), log)
    (request,) = model_server.requests
    assert request.body["tool_choice"] == {"type": "auto"}
    assert request.body["thinking"]["type"] == "enabled"
    assert request.output_schema is None  # not forced
    assert any(t["name"] == "final_answer" for t in request.body["tools"])


async def test_the_schema_applies_to_its_turn_only(
    clean_env: Path, model_server: FakeModelServer, log: EventLog
) -> None:
    write_config(clean_env, model_server.base_url)
    model_server.enqueue(Reply((Answer({"verdict": "pass"}),)), Reply((Text("free text"),)))
    manager = ConversationManager(FrontEnd(log.sink), ConfigSources(home=clean_env))
    try:
        conv = await manager.new_conversation(NewConversationParams())
        conv.submit(_ask())
        await log.wait_for("taskComplete", conv.id)
        conv.submit(UserInputOp(items=[TextInput(text="and now?")]))
        await log.wait_for("taskComplete", conv.id, count=2)
    finally:
        await manager.shutdown_all()
    first, second = model_server.requests
    assert "format" in first.body["text"] and "format" not in second.body.get("text", {})


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "object", "properties": 3}, "not a valid JSON Schema"),
        ({"type": "string"}, "must describe a JSON object"),
        ({"type": "object", "description": "x" * 300_000}, "at most 262144"),
    ],
)
def test_a_schema_that_is_no_object_schema_is_refused_naming_the_field(
    schema: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValidationError) as info:
        UserTurnParams.model_validate(
            {
                "conversationId": "c1",
                "items": [{"type": "text", "text": "x"}],
                "outputSchema": schema,
            }
        )
    assert problem in str(info.value) and "outputSchema" in str(info.value)
