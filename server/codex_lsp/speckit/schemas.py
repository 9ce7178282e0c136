"""The JSON Schema of each stage's answer: put in the prompt, sent as the provider's structured
output format (strict: every property required, no others), and the schema every answer is
validated against, so the three can never disagree. Every answer carries ``stage``, ``agent`` and
a ``consensus`` block (``agreements`` / ``conflicts``) that the arbiter fills."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_STR: Schema = {"type": "string"}
_TEXT: Schema = {"type": "string", "minLength": 1}


def _obj(**properties: Schema) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _list(items: Schema, at_least: int = 0) -> Schema:
    schema: Schema = {"type": "array", "items": items}
    if at_least:
        schema["minItems"] = at_least
    return schema


def _enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


_STRINGS = _list(_STR)
_SCORE: Schema = {"type": "integer", "minimum": 0, "maximum": 10}
CONSENSUS = _obj(agreements=_STRINGS, conflicts=_STRINGS)
ISSUE = _obj(
    id=_TEXT,
    type=_STR,
    question=_TEXT,
    answer=_STR,
    confidence=_enum("high", "medium", "low"),
    magnitude=_enum("critical", "important", "minor"),
    resolvability=_enum("auto-fix", "suggest-fix", "need-human"),
    context=_STR,
    suggested_fix=_STR,
    reasoning=_STR,
    affected_artifacts=_STRINGS,
)
"""A quality-gate issue (clarify, analyze, checklist): the fork's strict gate schema."""
_RISK = _obj(risk=_TEXT, owner=_STR, mitigation=_STR)
_ACCEPTANCE = _obj(requirement=_TEXT, validation_step=_STR, artifact=_STR)
_COMMAND = _obj(command=_TEXT, purpose=_STR)


def _answer(stage: str, **fields: Schema) -> Schema:
    return _obj(stage=_enum(stage), agent=_STR, **fields, consensus=CONSENSUS)


SCHEMAS: dict[str, Schema] = {
    "specify": _answer(
        "specify",
        problem_statement=_TEXT,
        user_needs=_STRINGS,
        user_stories=_list(
            _obj(id=_TEXT, priority=_enum("P1", "P2", "P3"), story=_TEXT, acceptance=_STRINGS), 1
        ),
        requirements=_list(
            _obj(
                id=_TEXT,
                type=_enum("functional", "non-functional"),
                description=_TEXT,
                acceptance_criteria=_STRINGS,
            ),
            1,
        ),
        edge_cases=_STRINGS,
        success_criteria=_STRINGS,
        dependencies=_STRINGS,
        assumptions=_STRINGS,
        open_questions=_STRINGS,
    ),
    "clarify": _answer("clarify", issues=_list(ISSUE)),
    "analyze": _answer("analyze", issues=_list(ISSUE)),
    "checklist": _answer(
        "checklist",
        requirements=_list(
            _obj(
                id=_TEXT,
                specificity=_SCORE,
                testability=_SCORE,
                completeness=_SCORE,
                clarity=_SCORE,
                suggested_improvement=_STR,
            )
        ),
        issues=_list(ISSUE),
    ),
    "plan": _answer(
        "plan",
        summary=_TEXT,
        research=_list(_obj(topic=_TEXT, details=_STR)),
        work_breakdown=_list(_obj(step=_TEXT, rationale=_STR, success_signal=_STR), 1),
        technical_design=_STR,
        data_model=_list(_obj(entity=_TEXT, fields=_STRINGS, notes=_STR)),
        acceptance_mapping=_list(_ACCEPTANCE),
        risks=_list(_RISK),
        exit_criteria=_STRINGS,
        open_questions=_STRINGS,
    ),
    "tasks": _answer(
        "tasks",
        tasks=_list(
            _obj(
                task_id={"type": "string", "pattern": "^T[0-9]{3,}$"},
                title=_TEXT,
                phase=_enum("setup", "foundational", "story", "validation", "polish"),
                story=_STR,
                parallel={"type": "boolean"},
                paths=_STRINGS,
                validation=_STR,
                artifact=_STR,
                depends_on=_STRINGS,
            ),
            1,
        ),
        acceptance_coverage=_list(_obj(requirement=_TEXT, tasks=_STRINGS)),
        dependencies=_STRINGS,
        followups=_STRINGS,
    ),
    "implement": _answer(
        "implement",
        approach=_list(_obj(task_id=_STR, summary=_TEXT)),
        operations=_list(
            _obj(file=_TEXT, change_type=_enum("add", "modify", "delete"), description=_STR)
        ),
        patch={"type": "string", "minLength": 1, "description": "apply_patch format"},
        test_commands=_STRINGS,
        risks=_STRINGS,
        rationale=_STR,
    ),
    "validate": _answer(
        "validate",
        test_strategy=_STRINGS,
        commands=_list(_COMMAND),
        scenarios=_list(_obj(name=_TEXT, requirement=_STR, expected=_STR, status=_STR)),
        acceptance_mapping=_list(_ACCEPTANCE),
        gaps=_STRINGS,
        rollback_plan=_STR,
        decision=_enum("pass", "fail", "needs-work"),
    ),
    "audit": _answer(
        "audit",
        implementation_review=_TEXT,
        security_concerns=_STRINGS,
        quality_checks=_list(_obj(item=_TEXT, status=_enum("pass", "warn", "fail"))),
        risks=_list(_RISK),
        recommendation=_enum("go", "conditional", "no-go"),
        conditions_for_approval=_STRINGS,
    ),
    "unlock": _answer(
        "unlock",
        unlock_decision=_enum("UNLOCK", "BLOCK"),
        decision_rationale=_TEXT,
        completion_summary=_STR,
        remaining_work=_STRINGS,
        unlock_blockers=_STRINGS,
        risks_accepted=_STRINGS,
        next_steps=_STRINGS,
    ),
    "constitution": _answer(
        "constitution",
        project_name=_TEXT,
        version=_TEXT,
        principles=_list(_obj(name=_TEXT, description=_TEXT), 1),
        sections=_list(_obj(title=_TEXT, body=_STR)),
        governance=_STR,
        sync_impact=_STRINGS,
    ),
}
"""Every stage's answer schema."""


def schema_for(stage: str) -> Schema:
    """The answer schema of ``stage``."""
    return SCHEMAS[stage]


_NOT_IN_STRICT_MODE = frozenset({"minLength", "maxLength"})
"""Keywords OpenAI's strict structured outputs refuse; the answer is still validated with them."""


def wire_schema(schema: Schema) -> Schema:
    """``schema`` as a provider's strict structured output accepts it: the keywords it refuses
    left out (the full schema still validates the answer, so an empty string is still caught)."""
    out: Schema = {}
    for key, value in schema.items():
        if key in _NOT_IN_STRICT_MODE:
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {name: wire_schema(sub) for name, sub in value.items()}
        elif isinstance(value, dict):
            out[key] = wire_schema(value)
        elif isinstance(value, list):
            out[key] = [wire_schema(v) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out


def schema_name(stage: str) -> str:
    """The name structured-output APIs want for it (``speckit_plan_answer``)."""
    return f"speckit_{stage}_answer"
