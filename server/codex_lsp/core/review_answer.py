"""The reviewer's answer: the JSON Schema it must follow (sent as the review turn's structured
output, on every wire) and its reading into :class:`ReviewOutput`. The model is untrusted: an
answer that is not that JSON is a :class:`ReviewAnswerError` saying so, never a traceback; paths
are kept relative to the workspace when they are inside it, texts and counts are bounded."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from codex_lsp.errors import ReviewAnswerError
from codex_lsp.protocol.items import ReviewFinding, ReviewLineRange, ReviewOutput
from codex_lsp.protocol.limits import (
    PATH_MAX_CHARS,
    REVIEW_BODY_MAX_CHARS,
    REVIEW_FINDINGS_MAX,
    REVIEW_TITLE_MAX_CHARS,
)

_LOCATION = {
    "type": "object",
    "properties": {
        "file_path": {"type": "string", "description": "the file, relative to the repository"},
        "start_line": {"type": "integer", "description": "first line, 1-based"},
        "end_line": {"type": "integer", "description": "last line, inclusive"},
    },
    "required": ["file_path", "start_line", "end_line"],
    "additionalProperties": False,
}
REVIEW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string", "description": "one line, at most 80 chars"},
                    "body": {"type": "string", "description": "why it matters, Markdown"},
                    "priority": {
                        "type": "integer",
                        "enum": [0, 1, 2, 3],
                        "description": "0: drop everything; 1: urgent; 2: normal; 3: low",
                    },
                    "confidence_score": {"type": "number"},
                    "code_location": _LOCATION,
                },
                "required": ["title", "body", "priority", "confidence_score", "code_location"],
                "additionalProperties": False,
            },
        },
        "overall_correctness": {
            "type": "string",
            "enum": ["patch is correct", "patch is incorrect"],
        },
        "overall_explanation": {"type": "string"},
        "overall_confidence_score": {"type": "number"},
    },
    "required": [
        "findings",
        "overall_correctness",
        "overall_explanation",
        "overall_confidence_score",
    ],
    "additionalProperties": False,
}
"""What the reviewer answers with (Codex's review output, in a shape every wire's strict mode
takes)."""


class _Location(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    file_path: str
    start_line: int
    end_line: int


class _Finding(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    title: str
    body: str = ""
    priority: int
    confidence_score: float | None = None
    code_location: _Location


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    findings: list[_Finding]
    overall_correctness: Literal["patch is correct", "patch is incorrect"]
    overall_explanation: str = ""
    overall_confidence_score: float | None = None


def parse_review(text: str | None, cwd: Path) -> ReviewOutput:
    """``text`` (the reviewer's last message) as a :class:`ReviewOutput`."""
    if not text or not text.strip():
        raise ReviewAnswerError("the reviewer gave no answer; run the review again")
    try:
        answer = _Answer.model_validate(json.loads(_unfenced(text)))
    except json.JSONDecodeError as exc:
        raise ReviewAnswerError(
            f"the reviewer's answer is not JSON ({exc.msg} at line {exc.lineno} column "
            f"{exc.colno}), so no findings could be read from it; its text is in reviewOutput. "
            "Run the review again, or use a model that supports structured output"
        ) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the answer"
        raise ReviewAnswerError(
            f"the reviewer's answer is JSON but not the findings' shape (at {where}: "
            f"{first['msg']}); its text is in reviewOutput. Run the review again"
        ) from None
    return ReviewOutput(
        findings=[_finding(f, cwd) for f in answer.findings[:REVIEW_FINDINGS_MAX]],
        overall_correctness="patchIsCorrect"
        if answer.overall_correctness == "patch is correct"
        else "patchIsIncorrect",
        overall_explanation=answer.overall_explanation[:REVIEW_BODY_MAX_CHARS],
        overall_confidence_score=_score(answer.overall_confidence_score),
    )


def render_review(review: ReviewOutput) -> str:
    """The review as text: what the conversation's history (and a plain client) gets."""
    verdict = (
        "patch is correct"
        if review.overall_correctness == "patchIsCorrect"
        else ("patch is incorrect")
    )
    lines = [f"Verdict: {verdict}. {review.overall_explanation}".rstrip()]
    if not review.findings:
        lines.append("No findings.")
    for f in review.findings:
        where = f"{f.file}:{f.line_range.start}"
        if f.line_range.end != f.line_range.start:
            where += f"-{f.line_range.end}"
        lines.append(f"\n[P{f.priority}] {f.title} ({where})\n{f.body}".rstrip())
    return "\n".join(lines)


def _finding(raw: _Finding, cwd: Path) -> ReviewFinding:
    start = max(1, raw.code_location.start_line)
    end = max(start, raw.code_location.end_line)
    return ReviewFinding(
        title=" ".join(raw.title.split())[:REVIEW_TITLE_MAX_CHARS] or "(untitled)",
        body=raw.body[:REVIEW_BODY_MAX_CHARS],
        priority=min(3, max(0, raw.priority)),
        file=_relative(raw.code_location.file_path, cwd),
        line_range=ReviewLineRange(start=start, end=end),
        confidence_score=_score(raw.confidence_score),
    )


def _relative(path: str, cwd: Path) -> str:
    """``path`` relative to ``cwd`` when it lies inside it (lexically: nothing is read), else
    as given; bounded, without NUL or line breaks."""
    cleaned = "".join(ch for ch in path if ch.isprintable())[:PATH_MAX_CHARS]
    absolute = Path(os.path.normpath(cwd / cleaned))
    if absolute.is_relative_to(cwd):
        return absolute.relative_to(cwd).as_posix()
    return cleaned


def _score(value: float | None) -> float | None:
    return None if value is None else min(1.0, max(0.0, value))


def _unfenced(text: str) -> str:
    """A JSON answer a model wrapped in a Markdown code fence, unwrapped."""
    body = text.strip()
    if body.startswith("```") and body.endswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    return body
