"""Quality issues, one model for the native heuristics and for the gate agents' answers (so a
later diagnostic or auto-fix treats both alike): what is wrong, how much it matters
(critical / important / minor), whether it can be fixed automatically, and where it is."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

NEEDS_CLARIFICATION = re.compile(r"\[NEEDS CLARIFICATION[^\]]*\]")
"""spec-kit's marker of a question the spec leaves open: ``[NEEDS CLARIFICATION: …]``."""


class Magnitude(StrEnum):
    """How much an issue matters: a critical one blocks progress."""

    CRITICAL = "critical"
    IMPORTANT = "important"
    MINOR = "minor"


class Resolvability(StrEnum):
    """Whether an issue can be fixed without the user."""

    AUTO_FIX = "auto-fix"
    SUGGEST_FIX = "suggest-fix"
    NEED_HUMAN = "need-human"


_ORDER = {Magnitude.CRITICAL: 0, Magnitude.IMPORTANT: 1, Magnitude.MINOR: 2}


@dataclass(frozen=True)
class Issue:
    """One issue. ``line`` is 0-based; ``file`` is relative to the SPEC folder's project."""

    id: str
    gate: str
    kind: str
    description: str
    magnitude: Magnitude
    resolvability: Resolvability = Resolvability.SUGGEST_FIX
    confidence: str = "high"
    suggested_fix: str = ""
    context: str = ""
    file: str | None = None
    line: int | None = None
    answer: str = ""
    agent: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The issue as JSON (camel-free: the gate schema's names)."""
        data = asdict(self)
        data["magnitude"] = self.magnitude.value
        data["resolvability"] = self.resolvability.value
        return data


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Critical first, then by file and line."""
    return sorted(issues, key=lambda i: (_ORDER[i.magnitude], i.file or "", i.line or 0, i.id))


def numbered(issues: Iterable[Issue], prefix: str) -> list[Issue]:
    """``issues`` sorted and given ids ``<prefix>-001``, ``-002``, …"""
    out = []
    for index, issue in enumerate(sort_issues(issues), start=1):
        out.append(Issue(**{**asdict(issue), "id": f"{prefix}-{index:03d}"}))
    return out


def from_answer(gate: str, item: Mapping[str, Any], agent: str) -> Issue:
    """An issue of a gate agent's validated answer (unknown resolvability → need-human)."""
    try:
        resolvability = Resolvability(str(item.get("resolvability")))
    except ValueError:
        resolvability = Resolvability.NEED_HUMAN
    return Issue(
        id=str(item["id"]),
        gate=gate,
        kind=str(item.get("type") or gate),
        description=str(item["question"]),
        magnitude=Magnitude(item["magnitude"]),
        resolvability=resolvability,
        confidence=str(item.get("confidence") or "low"),
        suggested_fix=str(item.get("suggested_fix") or ""),
        context=str(item.get("context") or ""),
        answer=str(item.get("answer") or ""),
        agent=agent,
    )


def render(issues: list[Issue], minor_cap: int | None = None) -> str:
    """Issues grouped ``CRITICAL (n)`` / ``IMPORTANT (n)`` / ``MINOR (n)``, each with where it is
    and the suggested fix; ``minor_cap`` lists only that many minor ones."""
    if not issues:
        return "No issues found."
    out: list[str] = []
    for magnitude in Magnitude:
        group = [i for i in sort_issues(issues) if i.magnitude is magnitude]
        if not group:
            continue
        out.append(f"### {magnitude.value.upper()} ({len(group)})")
        shown = group[:minor_cap] if magnitude is Magnitude.MINOR and minor_cap else group
        for issue in shown:
            where = (
                f"{issue.file}:{issue.line + 1}"
                if issue.file and issue.line is not None
                else (issue.file or "")
            )
            line = f"- **{issue.id}** {issue.description}" + (f" ({where})" if where else "")
            if issue.context:
                line += f"\n  > {' '.join(issue.context.split())[:200]}"
            if issue.answer:
                line += f"\n  Answer: {issue.answer}"
            if issue.suggested_fix:
                line += f"\n  Fix: {issue.suggested_fix}"
            out.append(line)
        if len(shown) < len(group):
            out.append(f"- … and {len(group) - len(shown)} more minor issue(s)")
        out.append("")
    return "\n".join(out).strip()
