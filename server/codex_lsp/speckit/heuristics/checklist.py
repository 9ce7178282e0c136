"""``/speckit.checklist`` without agents: the fork's native scoring of the requirements'
quality ("unit tests for the English"). Completeness (the key sections filled), clarity (from
the clarify scan), testability (requirements with something measurable or a Given/When/Then),
consistency (from the analyze checks), each 0-100; overall = 0.3·completeness + 0.2·clarity +
0.3·testability + 0.2·consistency, graded A (≥ 90) to F (< 60)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codex_lsp.speckit.heuristics.analyze import analyze_issues
from codex_lsp.speckit.heuristics.clarify import clarify_issues
from codex_lsp.speckit.heuristics.documents import WHAT_DOCS, Document, read_packet
from codex_lsp.speckit.issues import Issue, Magnitude, Resolvability, numbered
from codex_lsp.speckit.packet import LayoutKind, SpecPacket
from codex_lsp.speckit.workspace import Workspace

WEIGHTS = {"completeness": 0.3, "clarity": 0.2, "testability": 0.3, "consistency": 0.2}
GRADES = ((90, "A"), (80, "B"), (70, "C"), (60, "D"))
EXPECTED: dict[LayoutKind, tuple[tuple[str, ...], ...]] = {
    LayoutKind.FORK: (
        ("problem statement",),
        ("goals",),
        ("functional requirements", "functional"),
        ("acceptance criteria", "success criteria"),
        ("non functional requirements", "non functional"),
        ("user scenarios",),
        ("edge cases",),
        ("success metrics", "success criteria"),
        ("test strategy", "validation plan"),
    ),
    LayoutKind.GITHUB: (
        ("user scenarios testing", "user scenarios"),
        ("functional requirements", "requirements"),
        ("success criteria", "measurable outcomes"),
        ("edge cases",),
        ("key entities",),
        ("assumptions",),
    ),
}
_REQUIREMENT = re.compile(r"^\s*[-*]\s+\*{0,2}((?:FR|NFR|REQ)-\d{1,4}|R\d{1,4})\b")
_TESTABLE = re.compile(
    r"\d|\b(?:given|when|then|must not|must|returns?|rejects?|shows?)\b", re.IGNORECASE
)
_PENALTY = {Magnitude.CRITICAL: 15, Magnitude.IMPORTANT: 8, Magnitude.MINOR: 3}
_CONSISTENCY_PENALTY = {Magnitude.CRITICAL: 35, Magnitude.IMPORTANT: 20, Magnitude.MINOR: 5}


@dataclass
class Scores:
    """The four scores, the overall one and its grade, and the checklist's own issues."""

    completeness: int
    clarity: int
    testability: int
    consistency: int
    issues: list[Issue] = field(default_factory=list)

    @property
    def overall(self) -> float:
        """The weighted score."""
        total: float = sum(float(getattr(self, k)) * w for k, w in WEIGHTS.items())
        return round(total, 1)

    @property
    def grade(self) -> str:
        """A, B, C, D or F."""
        return next((g for floor, g in GRADES if self.overall >= floor), "F")


def _issue(
    text: str, doc: Document | None, line: int | None, kind: str, magnitude: Magnitude
) -> Issue:
    return Issue(
        id="",
        gate="checklist",
        kind=kind,
        description=text,
        magnitude=magnitude,
        resolvability=Resolvability.NEED_HUMAN,
        file=doc.path if doc else None,
        line=line,
    )


def _completeness(docs: list[Document], layout: LayoutKind) -> tuple[int, list[Issue]]:
    expected = EXPECTED[layout]
    filled, issues = 0, []
    for keys in expected:
        found = [(d, h) for d in docs if (h := d.section(*keys)) is not None]
        if any(d.section_has_content(h) for d, h in found):
            filled += 1
            continue
        doc, heading = found[0] if found else (docs[0] if docs else None, None)
        state = "is empty" if found else "is missing"
        issues.append(
            _issue(
                f"the section '{keys[0].title()}' {state}",
                doc,
                heading.line if heading else None,
                "completeness",
                Magnitude.IMPORTANT,
            )
        )
    return round(100 * filled / len(expected)), issues


def _testability(docs: list[Document]) -> tuple[int, list[Issue]]:
    total = testable = 0
    issues = []
    for doc in docs:
        for number, line in doc.prose_lines():
            match = _REQUIREMENT.match(line)
            if match is None:
                continue
            total += 1
            if _TESTABLE.search(line[match.end() :]):
                testable += 1
            else:
                issues.append(
                    _issue(
                        f"{match.group(1)} has nothing measurable or observable to test",
                        doc,
                        number,
                        "testability",
                        Magnitude.IMPORTANT,
                    )
                )
    if total == 0:
        where = docs[0] if docs else None
        issues.append(
            _issue(
                "no numbered requirements (- **FR-001**: …) to test",
                where,
                None,
                "testability",
                Magnitude.CRITICAL,
            )
        )
        return 0, issues
    return round(100 * testable / total), issues


def checklist_scores(workspace: Workspace, packet: SpecPacket) -> tuple[Scores, list[str]]:
    """The scores of ``packet`` and its ``CHK-001``… issues; notes about unreadable files."""
    read = read_packet(workspace, packet, WHAT_DOCS[packet.layout])
    docs = list(read.docs.values())
    completeness, missing = _completeness(docs, packet.layout)
    testability, untestable = _testability(docs)
    ambiguities, _ = clarify_issues(workspace, packet)
    wording = [i for i in ambiguities if i.kind not in ("missing-section", "missing-file")]
    clarity = max(0, 100 - sum(_PENALTY[i.magnitude] for i in wording))
    findings, _ = analyze_issues(workspace, packet)
    consistency = max(0, 100 - sum(_CONSISTENCY_PENALTY[i.magnitude] for i in findings))
    scores = Scores(
        completeness, clarity, testability, consistency, numbered([*missing, *untestable], "CHK")
    )
    return scores, read.notes
