"""The one answer validator: JSON found in any reply shape, validated against the stage
schema, schema-template echoes refused, and the guidance a retry gets."""

from __future__ import annotations

import json

import pytest

from codex_lsp.speckit.answers import check_answer
from codex_lsp.speckit.schemas import SCHEMAS
from tests.speckit.answers import fenced, plan_answer


def test_prose_without_json_is_refused_with_guidance() -> None:
    check = check_answer("plan", "I think we should start with the OAuth client, then tests.")
    assert not check.ok and check.problems == ("the reply contained no JSON object",)
    guidance = check.guidance(1, 3)
    assert guidance.startswith("Your previous answer (attempt 1 of 3) could not be used")
    assert "no JSON object" in guidance and '"string"' in guidance
    assert check_answer("plan", "  \n").problems == ("the reply was empty",)


@pytest.mark.parametrize(
    "reply",
    [
        fenced(plan_answer("claude")),
        json.dumps(plan_answer("claude")),
        "Sure! " + json.dumps(plan_answer("claude")) + " Let me know.",
        "│ " + json.dumps(plan_answer("claude"), indent=2).replace("\n", "\n│ "),
        "```\n" + json.dumps(plan_answer("claude")) + "\n```",
        '{"note": "scratch"} and then ' + json.dumps(plan_answer("claude")),
    ],
)
def test_the_answer_is_found_fenced_or_not(reply: str) -> None:
    check = check_answer("plan", reply)
    assert check.ok, check.problems
    assert (
        check.answer is not None
        and check.answer["work_breakdown"][0]["step"] == "Add the OAuth client"
    )


def test_a_schema_template_echo_is_refused() -> None:
    echo = plan_answer("string")
    echo["summary"] = "string"
    echo["work_breakdown"] = [{"step": "string", "rationale": "string", "success_signal": "string"}]
    check = check_answer("plan", fenced(echo))
    assert not check.ok
    assert "repeats the schema template" in check.problems[0]
    assert "work_breakdown[0].step is 'string'" in check.problems[0]
    schema_itself = check_answer("plan", json.dumps(SCHEMAS["plan"]))
    assert schema_itself.problems == ("the reply is the JSON Schema itself, not an answer",)


def test_a_schema_violation_names_the_field() -> None:
    answer = plan_answer("claude")
    answer["work_breakdown"] = []
    del answer["risks"]
    answer["extra"] = 1
    check = check_answer("plan", json.dumps(answer))
    text = " ".join(check.problems)
    assert not check.ok
    assert "'risks' is a required property" in text
    assert "work_breakdown: [] should be non-empty" in text
    assert "Additional properties are not allowed ('extra' was unexpected)" in text
    wrong_stage = plan_answer("claude")
    wrong_stage["stage"] = "tasks"
    assert (
        "stage: 'tasks' is not one of ['plan']"
        in check_answer("plan", json.dumps(wrong_stage)).problems[0]
    )


def test_hostile_replies_are_bounded() -> None:
    assert not check_answer("plan", "{" * 200_000).ok
    assert not check_answer("plan", '{"a": ' * 50_000).ok
    assert not check_answer("plan", "[1, 2, 3]").ok
    deep = '{"stage": "plan", "x": ' + "[" * 500 + "]" * 500 + "}"
    assert check_answer("plan", deep).problems == ("the JSON nests deeper than 32 levels",)


def test_every_schema_is_strict() -> None:
    def walk(schema: dict[str, object]) -> None:
        if schema.get("type") == "object":
            props = schema["properties"]
            assert isinstance(props, dict)
            assert schema["required"] == list(props) and schema["additionalProperties"] is False
            for child in props.values():
                walk(child)
        if schema.get("type") == "array":
            walk(schema["items"])  # type: ignore[arg-type]

    for schema in SCHEMAS.values():
        walk(schema)
