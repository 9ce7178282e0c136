"""Reading an agent's reply: the JSON object in it (fenced or not, amid prose or a transcript),
validated against the stage's schema (the same one the prompt showed), and refused when it
echoes the schema's template (``"string"`` placeholders: the fork's agents really did that).
A refusal carries the guidance the next attempt is given."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from codex_lsp.speckit.schemas import SCHEMAS

MAX_REPLY_CHARS = 1_000_000
MAX_OBJECT_STARTS = 200
MAX_PROBLEMS = 6
MAX_DEPTH = 32
PLACEHOLDERS = frozenset(
    {
        *("string", "str", "number", "integer", "int", "float", "boolean", "bool"),
        *("array", "object", "<string>", "<number>", "...", "…"),
    }
)
"""Leaf values that are a schema's type names, not content."""

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n(.*?)```", re.DOTALL)
_TRANSCRIPT = re.compile(r"^[ \t]*│ ?", re.MULTILINE)
_VALIDATORS = {stage: Draft202012Validator(schema) for stage, schema in SCHEMAS.items()}
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class AnswerCheck:
    """The answer when it is usable, else what is wrong with the reply."""

    answer: dict[str, Any] | None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """The reply holds a valid answer."""
        return self.answer is not None

    def guidance(self, attempt: int, max_attempts: int) -> str:
        """What the next attempt is told about this one."""
        return (
            f"Your previous answer (attempt {attempt} of {max_attempts}) could not be used: "
            + "; ".join(self.problems)
            + ". Answer again with ONE JSON object that matches the JSON Schema below, filled "
            "with real content from the SPEC: never the schema's placeholder words such as "
            '"string", "number" or "boolean", and no text outside the JSON.'
        )


def _objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects found in ``text``, most likely first: fenced blocks, then objects in
    the text (an object with a ``stage`` key before others)."""
    found: list[dict[str, Any]] = []
    for match in _FENCE.finditer(text):
        if match.group(1).lower() in ("", "json", "jsonc", "javascript", "js"):
            found += _decoded_objects(match.group(2))
    if not found:
        found = _decoded_objects(_TRANSCRIPT.sub("", text))
    found.sort(key=lambda o: "stage" not in o)
    return found


def _decoded_objects(text: str) -> list[dict[str, Any]]:
    """Each top-level JSON object in ``text`` (bounded work on hostile input)."""
    out: list[dict[str, Any]] = []
    position, tries = 0, 0
    while tries < MAX_OBJECT_STARTS and (start := text.find("{", position)) >= 0:
        tries += 1
        try:
            value, end = _DECODER.raw_decode(text, start)
        except (ValueError, RecursionError):
            position = start + 1
            continue
        if isinstance(value, dict):
            out.append(value)
        position = end
    return out


def _depth(value: Any) -> int:
    """How deeply ``value`` nests (iteratively: a hostile reply cannot blow the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _echoes(value: Any, path: str = "") -> list[str]:
    """Paths of the string leaves that are placeholders."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _echoes(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _echoes(item, f"{path}[{i}]")]
    if isinstance(value, str) and value.strip().lower() in PLACEHOLDERS:
        return [f"{path.lstrip('.')} is {value!r}"]
    return []


def _schema_problems(stage: str, answer: dict[str, Any]) -> list[str]:
    errors = sorted(_VALIDATORS[stage].iter_errors(answer), key=lambda e: list(e.absolute_path))
    problems = []
    for error in errors[:MAX_PROBLEMS]:
        where = error.json_path.removeprefix("$").lstrip(".")
        problems.append(f"{where}: {error.message}" if where else error.message)
    return problems


def check_answer(stage: str, reply: str) -> AnswerCheck:
    """The answer in ``reply`` for ``stage``, or why there is none."""
    if not reply.strip():
        return AnswerCheck(None, ("the reply was empty",))
    objects = _objects(reply[:MAX_REPLY_CHARS])
    if not objects:
        return AnswerCheck(None, ("the reply contained no JSON object",))
    answer = objects[0]
    if _depth(answer) > MAX_DEPTH:
        return AnswerCheck(None, (f"the JSON nests deeper than {MAX_DEPTH} levels",))
    if "$schema" in answer or ("properties" in answer and answer.get("type") == "object"):
        return AnswerCheck(None, ("the reply is the JSON Schema itself, not an answer",))
    echoes = _echoes({k: v for k, v in answer.items() if k != "stage"})
    if echoes:
        shown = ", ".join(echoes[:MAX_PROBLEMS])
        return AnswerCheck(None, (f"it repeats the schema template instead of content ({shown})",))
    problems = _schema_problems(stage, answer)
    if problems:
        return AnswerCheck(None, tuple(f"it does not match the schema: {p}" for p in problems))
    return AnswerCheck(answer)
