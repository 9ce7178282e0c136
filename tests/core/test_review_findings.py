"""``codex/review`` answers with structured findings: the reviewer is asked for the findings'
JSON (as its structured output, on each wire), its answer becomes ``exitedReviewMode.review``;
an answer that is not that JSON is a clear error event, and the conversation goes on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.core.review_answer import REVIEW_SCHEMA
from codex_lsp.protocol.items import ReviewRequest, ReviewTarget, TextInput
from codex_lsp.protocol.ops import ReviewOp, UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import Answer, FakeModelServer, Reply, Text
from tests.helpers import EventLog, write_config


def finding(
    title: str, priority: int, path: str = "app.py", start: int = 3, end: int = 4
) -> dict[str, Any]:
    """One finding as the reviewer writes it."""
    return {
        "title": title,
        "body": f"{title}: it breaks when x is 0.",
        "priority": priority,
        "confidence_score": 0.8,
        "code_location": {"file_path": path, "start_line": start, "end_line": end},
    }


def answer(*findings: dict[str, Any], correct: bool = False) -> dict[str, Any]:
    """A reviewer's whole answer."""
    return {
        "findings": list(findings),
        "overall_correctness": "patch is correct" if correct else "patch is incorrect",
        "overall_explanation": "One bug.",
        "overall_confidence_score": 0.7,
    }


def _review() -> ReviewOp:
    target = ReviewTarget(type="custom", instructions="review app.py")
    return ReviewOp(review_request=ReviewRequest(target=target))


async def _run_review(
    home: Path, workspace: Path, server: FakeModelServer, log: EventLog, wire: str = "responses"
) -> tuple[str, dict[str, Any]]:
    write_config(home, server.base_url, wire_api=wire)
    manager = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=home, default_cwd=workspace)
    )
    try:
        conv = await manager.new_conversation(NewConversationParams())
        conv.submit(_review())
        exited = await log.wait_for("exitedReviewMode", conv.id)
        await log.wait_for("taskComplete", conv.id)
        return conv.id, exited
    finally:
        await manager.shutdown_all()


@pytest.mark.parametrize("wire", ["responses", "chat", "anthropic"])
async def test_findings_come_back_structured_on_every_wire(
    wire: str, clean_env: Path, workspace: Path, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((Answer(answer(finding("Guard the division", 1), finding("Name it", 3))),))
    )
    conv_id, exited = await _run_review(clean_env, workspace, model_server, log, wire)
    assert model_server.requests[0].output_schema == REVIEW_SCHEMA
    review = exited["review"]
    assert review["overallCorrectness"] == "patchIsIncorrect"
    assert [f["title"] for f in review["findings"]] == ["Guard the division", "Name it"]
    first = review["findings"][0]
    assert first["file"] == "app.py" and first["lineRange"] == {"start": 3, "end": 4}
    assert first["priority"] == 1 and first["confidenceScore"] == 0.8
    assert "[P1] Guard the division (app.py:3-4)" in exited["reviewOutput"]
    assert log.msgs(conv_id, "error") == []


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (Text("Looks fine to me, ship it."), "is not JSON"),
        (Text('{"findings": "none"}'), "not the findings' shape"),
        (Text(""), "gave no answer"),
    ],
)
async def test_an_answer_that_is_not_the_findings_json_is_a_clear_error(
    reply: Text,
    problem: str,
    codex_home: Path,
    workspace: Path,
    model_server: FakeModelServer,
    log: EventLog,
) -> None:
    model_server.enqueue(Reply((reply,)), Reply((Text("still here"),)))
    manager = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=codex_home, default_cwd=workspace)
    )
    try:
        conv = await manager.new_conversation(NewConversationParams())
        conv.submit(_review())
        exited = await log.wait_for("exitedReviewMode", conv.id)
        await log.wait_for("taskComplete", conv.id)
        (error,) = log.msgs(conv.id, "error")
        assert problem in error["message"] and "review again" in error["message"]
        assert "Traceback" not in error["message"] and "ValidationError" not in error["message"]
        assert "review" not in exited
        conv.submit(UserInputOp(items=[TextInput(text="hello?")]))
        done = await log.wait_for("taskComplete", conv.id, count=2)
        assert done["lastAgentMessage"] == "still here"
    finally:
        await manager.shutdown_all()


async def test_paths_are_made_relative_inside_the_workspace_and_kept_outside(
    codex_home: Path, workspace: Path, model_server: FakeModelServer, log: EventLog
) -> None:
    inside = str(workspace / "src" / "app.py")
    model_server.enqueue(
        Reply(
            (
                Answer(
                    answer(
                        finding("Inside", 0, inside),
                        finding("Outside", 2, "../../etc/passwd"),
                        finding("Odd lines", 2, "b.py", start=-5, end=-9),
                        {**finding("Bad priority", 9), "title": "x\n" * 500},
                    )
                ),
            )
        )
    )
    _, exited = await _run_review(codex_home, workspace, model_server, log)
    files = [(f["file"], f["lineRange"], f["priority"]) for f in exited["review"]["findings"]]
    assert files == [
        ("src/app.py", {"start": 3, "end": 4}, 0),
        ("../../etc/passwd", {"start": 3, "end": 4}, 2),
        ("b.py", {"start": 1, "end": 1}, 2),
        ("app.py", {"start": 3, "end": 4}, 3),
    ]
    assert "\n" not in exited["review"]["findings"][3]["title"]


def test_the_schema_is_one_the_strict_wires_accept() -> None:
    """Strict structured output needs every property required and no extra ones, at each level."""

    def check(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert set(node["required"]) == set(node["properties"])
                assert node["additionalProperties"] is False
            for value in node.values():
                check(value)
        elif isinstance(node, list):
            for value in node:
                check(value)

    check(REVIEW_SCHEMA)
    json.dumps(REVIEW_SCHEMA)
