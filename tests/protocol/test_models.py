"""The wire models: naming, strictness, completeness."""

from __future__ import annotations

import json
import typing

import pytest
from pydantic import TypeAdapter, ValidationError

from codex_lsp.protocol import method_names
from codex_lsp.protocol.events import AgentMessageDeltaEvent, Event, EventEnvelope, EventMsg
from codex_lsp.protocol.methods import METHODS, Direction
from codex_lsp.protocol.requests import UserTurnParams

REQUIRED_EVENTS = {
    "sessionConfigured",
    "taskStarted",
    "taskComplete",
    "turnAborted",
    "agentMessage",
    "agentMessageDelta",
    "userMessage",
    "agentReasoning",
    "agentReasoningDelta",
    "agentReasoningRawContent",
    "agentReasoningRawContentDelta",
    "planUpdate",
    "tokenCount",
    "execCommandBegin",
    "execCommandOutputDelta",
    "execCommandEnd",
    "execApprovalRequest",
    "applyPatchApprovalRequest",
    "patchApplyBegin",
    "patchApplyEnd",
    "turnDiff",
    "mcpToolCallBegin",
    "mcpToolCallEnd",
    "enteredReviewMode",
    "exitedReviewMode",
    "contextCompacted",
    "backgroundEvent",
    "warning",
    "error",
    "streamError",
    "shutdownComplete",
    "itemStarted",
    "itemCompleted",
}


def event_types() -> set[str]:
    members = typing.get_args(typing.get_args(EventMsg)[0])
    return {m.model_fields["type"].default for m in members}


def test_every_required_event_exists() -> None:
    assert event_types() >= REQUIRED_EVENTS


def test_method_names_agree_with_the_method_table() -> None:
    table = tuple(m.name for m in METHODS if m.direction is Direction.CLIENT_REQUEST)
    assert table == method_names.CLIENT_REQUESTS


def test_events_are_camel_case_on_the_wire() -> None:
    event = Event(
        conversation_id="c",
        submission_id="s",
        msg=AgentMessageDeltaEvent(turn_id="t", item_id="i", delta="d"),
    )
    assert event.to_wire() == {
        "conversationId": "c",
        "submissionId": "s",
        "msg": {"type": "agentMessageDelta", "turnId": "t", "itemId": "i", "delta": "d"},
    }
    parsed = TypeAdapter(EventMsg).validate_python(event.to_wire()["msg"])
    assert parsed == event.msg


def test_user_turn_params_accept_every_per_turn_setting() -> None:
    params = UserTurnParams.model_validate(
        {
            "conversationId": "c",
            "items": [
                {"type": "text", "text": "hi"},
                {"type": "localImage", "path": "a.png"},
                {"type": "mention", "path": "x.py"},
            ],
            "cwd": "/tmp",
            "model": "m",
            "effort": "high",
            "summary": "detailed",
            "approvalPolicy": "never",
            "sandboxPolicy": {
                "type": "workspace-write",
                "writableRoots": ["/data"],
                "networkAccess": True,
            },
        }
    )
    assert params.sandbox_policy is not None and params.sandbox_policy.type == "workspace-write"


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        UserTurnParams.model_validate(
            {"conversationId": "c", "items": [{"type": "text", "text": "x"}], "modle": "typo"}
        )


def test_the_run_time_envelope_matches_the_schema_model() -> None:
    msg = AgentMessageDeltaEvent(turn_id="t", item_id="i", delta='quote " and ünicode')
    envelope = EventEnvelope("conv", "sub", msg)
    model = Event(conversation_id="conv", submission_id="sub", msg=msg)
    assert envelope.to_wire() == model.to_wire()
    assert json.loads(envelope.to_wire_json()) == json.loads(model.to_wire_json())
