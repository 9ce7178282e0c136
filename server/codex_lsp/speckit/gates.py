"""Quality gates as pure functions: the gate agents' issues merged by id, confidence from their
agreement (all agree = high, a majority = medium, else low), the fork's decision matrix (what is
applied automatically, what the arbiter checks, what goes to the user), and the edit an answer
makes to the SPEC file.

The checkpoints (:data:`CHECKPOINTS`): before plan, before tasks, before implement; each holds the
gate ``[speckit.quality_gates]`` names (clarify, checklist or analyze) once per run."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from codex_lsp.config.speckit import QualityGatesConfig
from codex_lsp.speckit.issues import NEEDS_CLARIFICATION, Magnitude, Resolvability

CHECKPOINTS: dict[str, str] = {
    "plan": "before-plan",
    "tasks": "before-tasks",
    "implement": "before-implement",
}
"""The stage a checkpoint comes before → its name."""
_MAGNITUDE_ORDER = {Magnitude.MINOR: 0, Magnitude.IMPORTANT: 1, Magnitude.CRITICAL: 2}
_REQUIREMENT_ID = re.compile(r"\b(?:N?FR|R|SC|NFR)-\d{3}\b")


class Confidence(StrEnum):
    """How far the gate agents agree on an issue's answer."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Decision(StrEnum):
    """What becomes of a merged issue."""

    AUTO_FIX = "auto-fix"
    """Applied to the file without asking."""
    ARBITER = "arbiter"
    """A medium-confidence majority: the arbiter's view decides."""
    ASK = "ask"
    """A diagnostic with code actions: the user answers."""


def gate_for(stage: str, settings: QualityGatesConfig) -> str | None:
    """The gate (clarify, checklist, analyze) held before ``stage``, if any."""
    if not settings.enabled:
        return None
    kind = {
        "plan": settings.before_plan,
        "tasks": settings.before_tasks,
        "implement": settings.before_implement,
    }.get(stage)
    return kind.value if kind is not None else None


@dataclass(frozen=True)
class MergedIssue:
    """One issue as every gate agent that raised it sees it."""

    id: str
    gate: str
    question: str
    magnitude: Magnitude
    resolvability: Resolvability
    confidence: Confidence
    answers: dict[str, str]
    """Agent → its answer."""
    majority: str
    """The answer most agents gave ("" when none did)."""
    suggested_fix: str = ""
    context: str = ""
    file: str | None = None
    reasoning: dict[str, str] = field(default_factory=dict)
    arbiter_view: str | None = None
    line: int | None = None
    """The 0-based line the issue was found at, when its finder knows it (the heuristics)."""

    @property
    def options(self) -> list[str]:
        """The distinct suggested answers, the majority's first."""
        seen = [self.majority, *self.answers.values()]
        return [a for a in dict.fromkeys(a.strip() for a in seen) if a]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MergedIssue:
        """The issue :meth:`to_json` wrote."""
        return cls(
            id=str(data["id"]),
            gate=str(data.get("gate", "")),
            question=str(data.get("question") or data["id"]),
            magnitude=Magnitude(str(data.get("magnitude", "important"))),
            resolvability=Resolvability(str(data.get("resolvability", "need-human"))),
            confidence=Confidence(str(data.get("confidence", "low"))),
            answers={str(k): str(v) for k, v in dict(data.get("answers", {})).items()},
            majority=str(data.get("majority", "")),
            suggested_fix=str(data.get("suggested_fix", "")),
            context=str(data.get("context", "")),
            file=data.get("file"),
            reasoning={str(k): str(v) for k, v in dict(data.get("reasoning", {})).items()},
            arbiter_view=data.get("arbiter_view"),
            line=_line(data.get("line")),
        )

    def to_json(self) -> dict[str, Any]:
        """The issue as the store keeps it."""
        return {
            "id": self.id,
            "gate": self.gate,
            "question": self.question,
            "magnitude": self.magnitude.value,
            "resolvability": self.resolvability.value,
            "confidence": self.confidence.value,
            "answers": self.answers,
            "majority": self.majority,
            "suggested_fix": self.suggested_fix,
            "context": self.context,
            "file": self.file,
            "reasoning": self.reasoning,
            "arbiter_view": self.arbiter_view,
            "line": self.line,
            "options": self.options,
        }


def _line(value: Any) -> int | None:
    """A 0-based line number, if ``value`` is one (an agent's answer has none)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _norm(answer: str) -> str:
    return " ".join(answer.casefold().split()).rstrip(".")


def merge(
    gate: str, answers: Mapping[str, Mapping[str, Any]], participants: int
) -> list[MergedIssue]:
    """The issues of every agent's answer merged by id: magnitude the highest, need-human if any
    agent says so, confidence from how many of the ``participants`` gave the same answer."""
    by_id: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for agent, answer in answers.items():
        for item in answer.get("issues", []):
            by_id.setdefault(str(item["id"]), []).append((agent, item))
    merged = []
    for issue_id, raised in by_id.items():
        given = {agent: str(item.get("answer") or "").strip() for agent, item in raised}
        counts = Counter(_norm(a) for a in given.values() if a)
        top, votes = counts.most_common(1)[0] if counts else ("", 0)
        if votes and votes == participants:
            confidence = Confidence.HIGH
        elif votes * 2 > participants:
            confidence = Confidence.MEDIUM
        else:
            confidence = Confidence.LOW
        majority = next((a for a in given.values() if _norm(a) == top), "") if top else ""
        magnitudes = [_magnitude(item) for _, item in raised]
        resolvabilities = [_resolvability(item) for _, item in raised]
        first = raised[0][1]
        artifacts = [str(a) for _, item in raised for a in item.get("affected_artifacts", [])]
        merged.append(
            MergedIssue(
                id=issue_id,
                gate=gate,
                question=str(first.get("question") or issue_id),
                magnitude=max(magnitudes, key=_MAGNITUDE_ORDER.__getitem__),
                resolvability=(
                    Resolvability.NEED_HUMAN
                    if Resolvability.NEED_HUMAN in resolvabilities
                    else min(resolvabilities, key=list(Resolvability).index)
                ),
                confidence=confidence,
                answers=given,
                majority=majority,
                suggested_fix=next(
                    (str(i["suggested_fix"]) for _, i in raised if i.get("suggested_fix")), ""
                ),
                context=next((str(i["context"]) for _, i in raised if i.get("context")), ""),
                file=next((a for a in artifacts if a.endswith(".md")), None),
                reasoning={
                    a: str(i.get("reasoning") or "") for a, i in raised if i.get("reasoning")
                },
                line=next((n for _, i in raised if (n := _line(i.get("line"))) is not None), None),
            )
        )
    return merged


def _magnitude(item: Mapping[str, Any]) -> Magnitude:
    try:
        return Magnitude(str(item.get("magnitude") or item.get("severity")))
    except ValueError:
        return Magnitude.IMPORTANT


def _resolvability(item: Mapping[str, Any]) -> Resolvability:
    try:
        return Resolvability(str(item.get("resolvability")))
    except ValueError:
        return Resolvability.NEED_HUMAN


_AUTO = {
    (Confidence.HIGH, Magnitude.MINOR, Resolvability.AUTO_FIX),
    (Confidence.HIGH, Magnitude.MINOR, Resolvability.SUGGEST_FIX),
    (Confidence.HIGH, Magnitude.IMPORTANT, Resolvability.AUTO_FIX),
    (Confidence.MEDIUM, Magnitude.MINOR, Resolvability.AUTO_FIX),
}
"""The fork's ``should_auto_resolve`` matrix."""


def decide(issue: MergedIssue) -> Decision:
    """The fork's matrix: the automatic cases are applied, a critical issue or one that needs a
    human always asks, another medium-confidence one goes to the arbiter, the rest asks."""
    if not issue.majority:
        return Decision.ASK
    if (issue.confidence, issue.magnitude, issue.resolvability) in _AUTO:
        return Decision.AUTO_FIX
    if issue.magnitude is Magnitude.CRITICAL or issue.resolvability is Resolvability.NEED_HUMAN:
        return Decision.ASK
    return Decision.ARBITER if issue.confidence is Confidence.MEDIUM else Decision.ASK


def arbiter_agrees(issue: MergedIssue, arbiter: str | None) -> bool:
    """The arbiter gave the majority's answer (then it is applied; else the user is asked)."""
    view = issue.answers.get(arbiter or "")
    return view is not None and _norm(view) == _norm(issue.majority)


@dataclass(frozen=True)
class Edit:
    """The file's new text, and the 0-based line the answer went to."""

    text: str
    line: int


def locate(text: str, issue: MergedIssue) -> int:
    """The 0-based line an issue concerns: where its requirement id, or its context, is; else
    the line its finder gave (within the text), else the first."""
    lines = text.splitlines()
    ids = _REQUIREMENT_ID.findall(f"{issue.question} {issue.context}")
    needles = [*ids, issue.context.strip()[:60]]
    for needle in needles:
        if not needle:
            continue
        for number, line in enumerate(lines):
            if needle in line:
                return number
    if issue.line is not None and issue.line < len(lines):
        return issue.line
    return 0


def _replace_marker(lines: list[str], issue: MergedIssue, answer: str) -> int | None:
    """Put ``answer`` in place of the ``[NEEDS CLARIFICATION: …]`` marker the issue is about
    (its context's, on the line that still holds it); the line, or None when there is none."""
    marker = NEEDS_CLARIFICATION.search(issue.context)
    if marker is None:
        return None
    context = issue.context.strip()
    candidates = [n for n, line in enumerate(lines) if marker.group(0) in line]
    found = [n for n in candidates if lines[n].strip() == context] or candidates
    if not found:
        return None
    lines[found[0]] = lines[found[0]].replace(marker.group(0), answer, 1)
    return found[0]


def apply_answer(text: str, issue: MergedIssue, answer: str) -> Edit:
    """``text`` with ``answer`` written in: in place of the ``[NEEDS CLARIFICATION: …]``
    marker the issue is about, else after the line of the requirement the question names
    (``(clarified: …)``), else as a bullet of the ``## Clarifications`` section (made at the end
    when missing). The answer is one line of plain text."""
    answer = " ".join(answer.split())
    lines = text.splitlines()
    replaced = _replace_marker(lines, issue, answer)
    if replaced is not None:
        return Edit("\n".join(lines) + "\n", replaced)
    ids = _REQUIREMENT_ID.findall(issue.question)
    for number, line in enumerate(lines):
        if ids and ids[0] in line:
            lines[number] = f"{line.rstrip()} (clarified: {answer})"
            return Edit("\n".join(lines) + "\n", number)
    bullet = f"- {issue.id}: {' '.join(issue.question.split())} → {answer}"
    heading = next((n for n, line in enumerate(lines) if line.strip() == "## Clarifications"), None)
    if heading is None:
        lines += ["", "## Clarifications", "", bullet]
        return Edit("\n".join(lines).strip("\n") + "\n", len(lines) - 1)
    end = heading + 1
    while end < len(lines) and not lines[end].startswith("## "):
        end += 1
    while end > heading + 1 and not lines[end - 1].strip():
        end -= 1
    added = [bullet] if end > heading + 1 else ["", bullet]
    lines[end:end] = added
    return Edit("\n".join(lines) + "\n", end + len(added) - 1)
