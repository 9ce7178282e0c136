"""``/speckit.clarify`` without agents: the fork's native scan for ambiguity. Vague words,
unfinished text (TBD, TODO, ``[NEEDS CLARIFICATION]``, template placeholders left), quality words
without a number, open-ended scope, vague timing, missing or empty key sections, and acronyms
never defined, each with its file and line."""

from __future__ import annotations

import re

from codex_lsp.speckit.heuristics.documents import WHAT_DOCS, Document, read_packet
from codex_lsp.speckit.issues import (
    NEEDS_CLARIFICATION,
    Issue,
    Magnitude,
    Resolvability,
    numbered,
)
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.workspace import Workspace

CRIT, IMP, MIN = Magnitude.CRITICAL, Magnitude.IMPORTANT, Magnitude.MINOR
PATTERNS: tuple[tuple[str, re.Pattern[str], Magnitude, str], ...] = (
    (
        "incomplete",
        re.compile(
            rf"\b(?:TBD|TODO|FIXME|XXX)\b|\?\?\?|\[placeholder\]|{NEEDS_CLARIFICATION.pattern}"
        ),
        CRIT,
        "unfinished text {word!r}: decide it or ask",
    ),
    (
        "placeholder",
        re.compile(r"\[(?!US\d|P\d\]|Story: )[A-Z][A-Z0-9_ #-]{2,}\]"),
        CRIT,
        "template placeholder {word} was never filled in",
    ),
    (
        "vague",
        re.compile(r"\b(?:should|might|consider|probably|maybe|could)\b", re.IGNORECASE),
        IMP,
        "{word!r} is vague: say what must happen (MUST / MUST NOT)",
    ),
    (
        "unmeasured",
        re.compile(
            r"\b(?:fast|slow|quick|scalable|responsive|performant|efficient|secure|robust|simple|"
            r"complex)\b",
            re.IGNORECASE,
        ),
        IMP,
        "{word!r} without a measure: give a number (e.g. p95 < 200 ms)",
    ),
    (
        "vague-time",
        re.compile(r"\b(?:soon|later|eventually|ASAP)\b|\bwhen possible\b", re.IGNORECASE),
        IMP,
        "{word!r} is no date or condition: say when",
    ),
    (
        "open-ended",
        re.compile(r"\betc\.|\band so on\b|\b(?:similar|various)\b", re.IGNORECASE),
        MIN,
        "{word!r} leaves the scope open: list what is meant",
    ),
)
_MEASURE = re.compile(r"\d")
REQUIRED_SECTIONS: tuple[tuple[tuple[str, ...], Magnitude, str], ...] = (
    (("acceptance criteria", "success criteria", "acceptance"), CRIT, "Acceptance Criteria"),
    (
        ("test strategy", "validation plan", "user scenarios testing", "testing"),
        IMP,
        "Test Strategy",
    ),
    (("non functional requirements", "non functional"), MIN, "Non-Functional Requirements"),
)
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")
KNOWN_ACRONYMS = frozenset(
    {
        "API",
        "HTTP",
        "HTTPS",
        "JSON",
        "YAML",
        "TOML",
        "XML",
        "URL",
        "URI",
        "UI",
        "UX",
        "ID",
        "IDS",
        "SQL",
        "CLI",
        "CSV",
        "PDF",
        "HTML",
        "CSS",
        "JS",
        "TS",
        "OS",
        "CPU",
        "GPU",
        "RAM",
        "IO",
        "DB",
        "OK",
        "TBD",
        "TODO",
        "FIXME",
        "XXX",
        "MUST",
        "SHOULD",
        "MAY",
        "NOT",
        "SHALL",
        "PRD",
        "SPEC",
        "KIT",
        "FR",
        "NFR",
        "SC",
        "AC",
        "MVP",
        "UTC",
        "AND",
        "OR",
        "LSP",
        "MCP",
        "PR",
        "CI",
        "CD",
        "REST",
        "SDK",
        "SSO",
        "JWT",
        "TLS",
        "SSL",
        "DNS",
        "IP",
        "TCP",
        "UDP",
        "AWS",
        "GCP",
        "USD",
        "US",
        "MB",
        "GB",
        "KB",
        "MS",
        "QA",
        "README",
        "ASAP",
        "UUID",
    }
)


def _scan_lines(doc: Document) -> list[Issue]:
    issues = []
    for number, text in doc.prose_lines():
        if text.lstrip().startswith("**") and "**:" in text[:30]:
            continue  # front matter such as **Status**: Backlog
        for kind, pattern, magnitude, message in PATTERNS:
            for match in pattern.finditer(text):
                if kind == "unmeasured" and _MEASURE.search(text):
                    break
                issues.append(
                    Issue(
                        id="",
                        gate="clarify",
                        kind=kind,
                        description=message.format(word=match.group(0)),
                        magnitude=magnitude,
                        resolvability=Resolvability.NEED_HUMAN
                        if magnitude is CRIT
                        else Resolvability.SUGGEST_FIX,
                        context=text.strip(),
                        file=doc.path,
                        line=number,
                    )
                )
                break
    return issues


def _sections(docs: list[Document]) -> list[Issue]:
    issues = []
    for keys, magnitude, title in REQUIRED_SECTIONS:
        found = [(d, h) for d in docs if (h := d.section(*keys)) is not None]
        if any(d.section_has_content(h) for d, h in found):
            continue
        where = found[0][0] if found else (docs[0] if docs else None)
        line = found[0][1].line if found else None
        state = "is empty" if found else "is missing"
        issues.append(
            Issue(
                id="",
                gate="clarify",
                kind="missing-section",
                description=f"the section '{title}' {state}",
                magnitude=magnitude,
                resolvability=Resolvability.NEED_HUMAN,
                file=where.path if where else None,
                line=line,
            )
        )
    return issues


def _acronyms(docs: list[Document]) -> list[Issue]:
    text = "\n".join("\n".join(d.lines) for d in docs)
    issues, seen = [], set()
    for doc in docs:
        for number, line in doc.prose_lines():
            # the marker's own capitals are not a term of the spec
            for match in _ACRONYM.finditer(NEEDS_CLARIFICATION.sub("", line)):
                word = match.group(0)
                if word in KNOWN_ACRONYMS or word in seen:
                    continue
                seen.add(word)
                defined = re.search(
                    rf"\b{word}\s*\(|\({word}\)|\*\*{word}\*\*|\b{word}\s*[:=—-]\s|\b{word}\s+"
                    rf"(?:stands for|means|is short for)",
                    text,
                )
                if defined:
                    continue
                issues.append(
                    Issue(
                        id="",
                        gate="clarify",
                        kind="undefined-term",
                        description=f"{word} is never defined: spell it out once",
                        magnitude=MIN,
                        context=line.strip(),
                        file=doc.path,
                        line=number,
                    )
                )
    return issues


def clarify_issues(workspace: Workspace, packet: SpecPacket) -> tuple[list[Issue], list[str]]:
    """The ambiguities of ``packet``'s what/why documents and plan, sorted and numbered
    ``AMB-001``…; and notes about files that could not be read."""
    what = WHAT_DOCS[packet.layout]
    read = read_packet(workspace, packet, (*what, "plan.md"))
    issues: list[Issue] = []
    for name in what:
        if read.get(name) is None:
            issues.append(
                Issue(
                    id="",
                    gate="clarify",
                    kind="missing-file",
                    description=f"{name} is missing: it is what the stages read",
                    magnitude=CRIT,
                    resolvability=Resolvability.NEED_HUMAN,
                    file=workspace.relative(packet.file(name)),
                )
            )
    docs = list(read.docs.values())
    for doc in docs:
        issues += _scan_lines(doc)
    what_docs = [d for n in what if (d := read.get(n)) is not None]
    issues += _sections(what_docs)
    issues += _acronyms(docs)
    return numbered(issues, "AMB"), read.notes
