"""``request_user_input`` against a real server process: the panel's ``codex/requestUserInput``
form, the ``window/showMessageRequest`` fallback of plain clients (one per question), a
dismissed question, and an interrupt while the user is being asked."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.lsp.conftest import FAIL, HOLD, Session, open_session

pytestmark = pytest.mark.slow

QUESTIONS = [
    {
        "id": "db",
        "header": "Database",
        "question": "Which database should the app use?",
        "options": [
            {"label": "SQLite", "description": "one file, no server"},
            {"label": "Postgres", "description": "a server"},
        ],
    },
    {
        "id": "orm",
        "header": "ORM",
        "question": "Use an ORM?",
        "options": [{"label": "Yes", "description": ""}, {"label": "No", "description": ""}],
    },
]


def ask_then_answer(model_server: FakeModelServer) -> None:
    model_server.enqueue(
        Reply((ToolCall("request_user_input", {"questions": QUESTIONS}, call_id="ask-1"),)),
        Reply((Text("noted"),)),
    )


def tool_output(model_server: FakeModelServer) -> str:
    outputs = [
        i["output"]
        for i in model_server.requests[-1].body["input"]
        if i["type"] == "function_call_output" and i["call_id"] == "ask-1"
    ]
    assert len(outputs) == 1
    return str(outputs[0])


async def turn(lsp: Session, text: str = "set up the database") -> tuple[str, dict[str, Any]]:
    conv = await lsp.new_conversation()
    await lsp.say(conv, text)
    done = await lsp.log.wait_for("taskComplete", conv, timeout=30)
    return conv, done


async def test_the_panel_form_is_answered_and_the_model_gets_the_answers(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    ask_then_answer(model_server)
    async with open_session(
        codex_home, workspace, "visual-studio-code", custom_approvals=True, user_input_form=True
    ) as lsp:
        lsp.user_input_answers = [
            {"answers": {"db": {"answers": ["SQLite"]}, "orm": {"answers": ["no ORM, raw SQL"]}}}
        ]
        conv, _ = await turn(lsp)
        (asked,) = lsp.asked
        assert asked["conversationId"] == conv and asked["callId"] == "ask-1"
        assert [q["id"] for q in asked["questions"]] == ["db", "orm"]
        assert asked["questions"][0]["isOther"] is True
        (event,) = lsp.log.msgs(conv, "requestUserInput")
        assert event["questions"] == asked["questions"]
    assert json.loads(tool_output(model_server)) == {
        "answers": {"db": {"answers": ["SQLite"]}, "orm": {"answers": ["no ORM, raw SQL"]}}
    }


@pytest.mark.parametrize("profile", ["visual-studio-code", "neovim"])
async def test_a_plain_client_is_asked_one_message_request_per_question(
    profile: str, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    ask_then_answer(model_server)
    async with open_session(codex_home, workspace, profile, custom_approvals=False) as lsp:
        lsp.approvals = ["Postgres", "Yes"]  # the titles the fake editor clicks
        await turn(lsp)
        first, second = lsp.message_requests
        assert first.message.startswith("Database: Which database should the app use?")
        assert "SQLite: one file, no server" in first.message
        assert [a.title for a in first.actions or []] == ["SQLite", "Postgres"]
        assert [a.title for a in second.actions or []] == ["Yes", "No"]
    assert json.loads(tool_output(model_server)) == {
        "answers": {"db": {"answers": ["Postgres"]}, "orm": {"answers": ["Yes"]}}
    }


@pytest.mark.parametrize("answer", [FAIL, {"answers": {}}, {"answers": 3}])
async def test_a_dismissed_failed_or_malformed_answer_tells_the_model_it_was_cancelled(
    answer: Any, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    ask_then_answer(model_server)
    async with open_session(
        codex_home, workspace, "neovim", custom_approvals=True, user_input_form=True
    ) as lsp:
        lsp.user_input_answers = [answer]
        await turn(lsp)
    assert tool_output(model_server) == (
        "request_user_input was cancelled before receiving a response"
    )


@pytest.mark.parametrize("form", [True, False])
async def test_an_interrupt_while_waiting_withdraws_the_question(
    form: bool, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    ask_then_answer(model_server)
    method = "codex/requestUserInput" if form else "window/showMessageRequest"
    async with open_session(
        codex_home, workspace, "neovim", custom_approvals=False, user_input_form=form
    ) as lsp:
        lsp.user_input_answers = [HOLD]
        lsp.approvals = [HOLD]
        conv = await lsp.new_conversation()
        await lsp.say(conv, "set up the database")
        await lsp.log.wait_for("requestUserInput", conv, timeout=20)
        async with asyncio.timeout(10):
            while not (lsp.asked or lsp.message_requests):
                await asyncio.sleep(0.02)
        await lsp.request("codex/interrupt", {"conversationId": conv})
        await lsp.log.wait_for("turnAborted", conv, timeout=10)
        async with asyncio.timeout(5):
            while method not in lsp.withdrawn:
                await asyncio.sleep(0.02)
