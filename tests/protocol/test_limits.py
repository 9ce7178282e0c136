"""The size limits and the validation of what a client sends (docs/protocol.md "Limits"): each
over-limit or malformed field is refused with a message that names the field and what to send."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from codex_lsp.protocol import limits
from codex_lsp.protocol import requests as r
from codex_lsp.protocol.ops import OverrideTurnContextOp, UserInputOp

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
CONV = {"conversationId": "c1"}
TEXT = [{"type": "text", "text": "hi"}]


def refused(model: type[BaseModel], params: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(params)
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in info.value.errors()
    )


CASES: list[tuple[str, type[BaseModel], dict[str, Any], str]] = [
    ("model name", r.NewConversationParams, {"model": "m" * 257}, "model: .*at most 256"),
    (
        "provider name",
        r.NewConversationParams,
        {"modelProvider": "p" * 257},
        "modelProvider: .*at most 256",
    ),
    (
        "model of a turn",
        r.UserTurnParams,
        {**CONV, "items": TEXT, "model": "m" * 300},
        "model: .*at most 256",
    ),
    ("long title", r.RenameConversationParams, {**CONV, "title": "t" * 201}, "title: .*200"),
    ("blank title", r.RenameConversationParams, {**CONV, "title": "  \t "}, "title: .*blank"),
    ("cwd", r.NewConversationParams, {"cwd": "/" + "d" * 4096}, "cwd: .*at most 4096"),
    ("cwd with NUL", r.NewConversationParams, {"cwd": "/tmp/a\0b"}, "cwd: .*NUL"),
    (
        "override cwd",
        r.OverrideTurnContextParams,
        {**CONV, "cwd": "/x" * 3000},
        "cwd: .*at most 4096",
    ),
    (
        "query",
        r.FuzzyFileSearchParams,
        {"query": "q" * 10_000_000},
        "query: .*at most 1024",
    ),
    (
        "message",
        r.UserInputParams,
        {**CONV, "items": [{"type": "text", "text": "x" * (10 << 20)}]},
        "items.0.text.text: .*at most 1048576",
    ),
    (
        "message in parts",
        r.UserInputParams,
        {
            **CONV,
            "items": [
                {"type": "text", "text": "x" * (600 << 10)},
                {"type": "context", "name": "selection", "text": "y" * (600 << 10)},
            ],
        },
        "items: .*1228800 characters of text; at most 1048576",
    ),
    (
        "too many items",
        r.UserInputParams,
        {**CONV, "items": TEXT * 257},
        "items: .*at most 256",
    ),
    (
        "lone surrogate",
        r.UserInputParams,
        {**CONV, "items": [{"type": "text", "text": "a\ud800b"}]},
        "items.0.text.text: .*unable to parse raw data as a unicode string",
    ),
    (
        "file image",
        r.UserInputParams,
        {**CONV, "items": [{"type": "image", "imageUrl": "file:///etc/passwd"}]},
        "imageUrl: .*https: or data:image/.*localImage",
    ),
    (
        "local path image url",
        r.UserInputParams,
        {**CONV, "items": [{"type": "image", "imageUrl": "/home/me/shot.png"}]},
        "imageUrl: .*https: or data:image/",
    ),
    (
        "commit review without sha",
        r.ReviewParams,
        {**CONV, "reviewRequest": {"target": {"type": "commit"}}},
        "target: .*a commit review needs sha",
    ),
    (
        "a sha that is an option",
        r.ReviewParams,
        {**CONV, "reviewRequest": {"target": {"type": "commit", "sha": "--output=/tmp/x"}}},
        "sha: .*not an option",
    ),
    (
        "a branch that is an option",
        r.ReviewParams,
        {**CONV, "reviewRequest": {"target": {"type": "baseBranch", "branch": "-p"}}},
        "branch: .*not an option",
    ),
    ("conversation id", r.ResumeConversationParams, {"conversationId": "c" * 300}, "256"),
    ("turn id", r.UndoTurnParams, {**CONV, "turnId": "t" * 300}, "turnId: .*256"),
    ("cursor", r.ListConversationsParams, {"cursor": "1.0:" + "x" * 300}, "cursor: .*256"),
    (
        "mention path",
        r.UserInputParams,
        {**CONV, "items": [{"type": "mention", "path": "a\0"}]},
        "NUL",
    ),
]


@pytest.mark.parametrize(("case", "model", "params", "expected"), CASES, ids=[c[0] for c in CASES])
def test_over_limit_and_malformed_params_are_refused_naming_the_field(
    case: str, model: type[BaseModel], params: dict[str, Any], expected: str
) -> None:
    message = refused(model, params)
    assert re.search(expected, message), message
    assert len(message) < 1000  # the refused value is not echoed back


def test_what_a_user_sends_at_the_limits_is_accepted() -> None:
    r.UserInputParams.model_validate(
        {**CONV, "items": [{"type": "text", "text": "x" * limits.INPUT_TEXT_MAX_CHARS}]}
    )
    r.UserInputParams.model_validate(
        {
            **CONV,
            "items": [
                {"type": "image", "imageUrl": "https://example.com/a.png"},
                {"type": "image", "imageUrl": "data:image/png;base64,iVBORw0KGgo="},
                {"type": "localImage", "path": "shot.png"},
            ],
        }
    )
    renamed = r.RenameConversationParams.model_validate({**CONV, "title": "  Flaky test \n"})
    assert renamed.title == "Flaky test"
    r.ReviewParams.model_validate(
        {**CONV, "reviewRequest": {"target": {"type": "commit", "sha": "a1b2c3d", "title": "x"}}}
    )
    r.ReviewParams.model_validate(
        {**CONV, "reviewRequest": {"target": {"type": "baseBranch", "branch": "feature/ü-1"}}}
    )
    r.FuzzyFileSearchParams.model_validate({"query": "q" * limits.QUERY_MAX_CHARS})


def test_the_ops_share_the_limits_of_their_requests() -> None:
    with pytest.raises(ValidationError, match="at most 1048576"):
        UserInputOp.model_validate({"items": [{"type": "text", "text": "x" * (2 << 20)}]})
    with pytest.raises(ValidationError, match="NUL"):
        OverrideTurnContextOp.model_validate({"cwd": "/a\0"})


def test_every_limit_is_documented() -> None:
    section = DOC.split("## Limits", 1)[1].split("\n## ", 1)[0]
    values = {
        name: value
        for name, value in vars(limits).items()
        if name.isupper() and isinstance(value, int)
    }
    assert values
    missing = [name for name, value in values.items() if f"{value:,}" not in section]
    assert not missing, f'docs/protocol.md "Limits" does not give {missing}'
