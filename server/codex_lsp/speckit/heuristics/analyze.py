"""``/speckit.analyze`` without agents: cross-checks between the SPEC's documents. The SPEC id
in each file, requirements no task (or plan) covers, requirements cited but never defined, one
id defined twice with different text, duplicate task ids, tasks without their validation
command, stage files out of order, and the constitution's version against the one the plan
names. Read-only."""

from __future__ import annotations

import re

from codex_lsp.speckit.heuristics.documents import WHAT_DOCS, Document, read_packet
from codex_lsp.speckit.issues import Issue, Magnitude, Resolvability, numbered
from codex_lsp.speckit.packet import LayoutKind, SpecPacket
from codex_lsp.speckit.tasks_md import parse_tasks
from codex_lsp.speckit.workspace import Workspace

CRIT, IMP, MIN = Magnitude.CRITICAL, Magnitude.IMPORTANT, Magnitude.MINOR
_REQ_ID = re.compile(r"\b((?:FR|NFR|SC|REQ)-\d{1,4}|R\d{1,4})\b")
_DEFINITION = re.compile(
    r"^\s*(?:[-*]\s+)?\*{0,2}((?:FR|NFR|SC|REQ)-\d{1,4}|R\d{1,4})\*{0,2}\s*[:.)]\s*(.+)$"
)
_SPEC_ID_LINE = re.compile(r"^\*\*SPEC-ID\*\*:\s*(\S+)")
_TITLE_ID = re.compile(r"^#\s.*?\b(SPEC-[A-Z][A-Z0-9]*-\d+)\b")
_VERSION = re.compile(r"\*\*Version\*\*:\s*v?(\d+\.\d+(?:\.\d+)?)")
_PLAN_VERSION = re.compile(r"constitution[^\n]{0,40}?\bv?(\d+\.\d+(?:\.\d+)?)", re.IGNORECASE)


def _issue(
    kind: str,
    text: str,
    magnitude: Magnitude,
    at: tuple[Document, int | None] | None = None,
    *,
    context: str = "",
    fix: str = "",
) -> Issue:
    """An analyze issue, ``at`` a document (and a line of it) when it has a place."""
    doc, line = at if at else (None, None)
    return Issue(
        id="",
        gate="analyze",
        kind=kind,
        description=text,
        magnitude=magnitude,
        resolvability=Resolvability.SUGGEST_FIX if fix else Resolvability.NEED_HUMAN,
        suggested_fix=fix,
        context=context,
        file=doc.path if doc else None,
        line=line,
    )


def _ids(packet: SpecPacket, docs: list[Document]) -> list[Issue]:
    issues = []
    for doc in docs:
        for number, line in enumerate(doc.lines[:40]):
            match = _SPEC_ID_LINE.match(line) or _TITLE_ID.match(line)
            if match and match.group(1) != packet.id and packet.layout is LayoutKind.FORK:
                issues.append(
                    _issue(
                        "id_mismatch",
                        f"{doc.name} names {match.group(1)}, but this is {packet.id}",
                        IMP,
                        (doc, number),
                        context=line.strip(),
                        fix=f"replace {match.group(1)} with {packet.id}",
                    )
                )
    return issues


def _definitions(docs: list[Document]) -> tuple[dict[str, tuple[Document, int, str]], list[Issue]]:
    defined: dict[str, tuple[Document, int, str]] = {}
    issues = []
    for doc in docs:
        for number, line in doc.prose_lines():
            match = _DEFINITION.match(line)
            if match is None:
                continue
            req, text = match.group(1), " ".join(match.group(2).split())
            if req in defined and defined[req][2] != text:
                first = defined[req]
                issues.append(
                    _issue(
                        "contradiction",
                        f"{req} is defined twice, differently ({first[0].path}:{first[1] + 1} "
                        "and here)",
                        IMP,
                        (doc, number),
                        context=line.strip(),
                    )
                )
            defined.setdefault(req, (doc, number, text))
    return defined, issues


def _coverage(
    defined: dict[str, tuple[Document, int, str]],
    downstream: Document | None,
    cited_in: list[Document],
) -> list[Issue]:
    issues = []
    cited: dict[str, tuple[Document, int, str]] = {}
    for doc in cited_in:
        for number, line in doc.prose_lines():
            for match in _REQ_ID.finditer(line):
                cited.setdefault(match.group(1), (doc, number, line.strip()))
    covered = (
        {m.group(1) for _, line in downstream.prose_lines() for m in _REQ_ID.finditer(line)}
        if downstream is not None
        else set()
    )
    if downstream is not None and defined and not covered:
        issues.append(
            _issue(
                "coverage_gap",
                f"{downstream.name} cites no requirement ids (FR-001…): its coverage of the "
                "spec cannot be checked",
                MIN,
                (downstream, None),
                fix="name the requirement each step or task serves",
            )
        )
    elif downstream is not None:
        for req, (doc, number, text) in defined.items():
            if req not in covered:
                magnitude = IMP if req.startswith(("FR", "REQ", "R")) else MIN
                issues.append(
                    _issue(
                        "coverage_gap",
                        f"{req} is not covered by {downstream.name}",
                        magnitude,
                        (doc, number),
                        context=text,
                        fix=f"add a step or task for {req} to {downstream.name}",
                    )
                )
    for req, (doc, number, text) in cited.items():
        if req not in defined:
            issues.append(
                _issue(
                    "missing_requirement",
                    f"{doc.name} cites {req}, which the spec does not define",
                    IMP,
                    (doc, number),
                    context=text,
                )
            )
    return issues


def _tasks(doc: Document | None) -> list[Issue]:
    if doc is None:
        return []
    tasks = parse_tasks("\n".join(doc.lines))
    if not tasks:
        return [
            _issue("coverage_gap", "tasks.md has no task lines (- [ ] T001 …)", IMP, (doc, None))
        ]
    issues, seen = [], set()
    with_validation = any(t.validation for t in tasks)
    for task in tasks:
        if task.id in seen:
            issues.append(
                _issue("duplicate_task", f"task {task.id} appears twice", IMP, (doc, task.line))
            )
        seen.add(task.id)
        if with_validation and not task.validation:
            issues.append(
                _issue(
                    "coverage_gap",
                    f"task {task.id} has no **Validation** command",
                    MIN,
                    (doc, task.line),
                )
            )
    return issues


def _order(workspace: Workspace, packet: SpecPacket) -> list[Issue]:
    chain = ("plan.md", "tasks.md", "implement.md", "validate.md", "audit.md", "unlock.md")
    present = [name for name in chain if packet.file(name).is_file()]
    issues = []
    for name in present:
        before = chain[chain.index(name) - 1] if chain.index(name) else None
        if before and before not in present:
            issues.append(
                Issue(
                    id="",
                    gate="analyze",
                    kind="coverage_gap",
                    description=f"{name} exists but {before} does not: the stages ran out of order",
                    magnitude=IMP,
                    file=workspace.relative(packet.file(name)),
                )
            )
    return issues


def _constitution(
    workspace: Workspace, constitution: Document | None, plan: Document | None
) -> list[Issue]:
    if constitution is None:
        path = workspace.relative(workspace.layout.constitution)
        return [
            _issue(
                "constitution",
                f"there is no constitution ({path}): /speckit.constitution creates one",
                MIN,
            )
        ]
    version = next(
        (m.group(1) for line in constitution.lines if (m := _VERSION.search(line))), None
    )
    if plan is None or version is None:
        return []
    for number, line in plan.prose_lines():
        match = _PLAN_VERSION.search(line)
        if match and match.group(1) != version:
            return [
                _issue(
                    "version_drift",
                    f"plan.md follows constitution {match.group(1)}, the constitution is {version}",
                    IMP,
                    (plan, number),
                    context=line.strip(),
                    fix="rerun /speckit.plan against the current constitution",
                )
            ]
    return []


def analyze_issues(workspace: Workspace, packet: SpecPacket) -> tuple[list[Issue], list[str]]:
    """The cross-document findings of ``packet``, sorted and numbered ``ANL-001``…"""
    what = WHAT_DOCS[packet.layout]
    read = read_packet(workspace, packet, (*what, "plan.md", "tasks.md", "constitution"))
    what_docs = [d for n in what if (d := read.get(n)) is not None]
    plan, tasks = read.get("plan.md"), read.get("tasks.md")
    stage_docs = [d for d in (plan, tasks) if d is not None]
    issues = _ids(packet, [*what_docs, *stage_docs])
    defined, contradictions = _definitions(what_docs)
    issues += contradictions
    issues += _coverage(defined, tasks or plan, stage_docs)
    issues += _tasks(tasks)
    issues += _order(workspace, packet)
    issues += _constitution(workspace, read.get("constitution"), plan)
    for doc in what_docs:
        for number, line in doc.prose_lines():
            if "[NEEDS CLARIFICATION" in line:
                issues.append(
                    _issue(
                        "ambiguity",
                        "an open [NEEDS CLARIFICATION] marker",
                        CRIT,
                        (doc, number),
                        context=line.strip(),
                    )
                )
    return numbered(issues, "ANL"), read.notes
