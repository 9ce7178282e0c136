"""A stage's synthesis: the agents' validated answers merged (the arbiter's answer, with what it
left empty filled from the others) and rendered into the stage file along the sections of its
template (the project's own template decides the order; a section the renderer knows is
filled, any other keeps the template's text, and content with no section in the template is
appended, so nothing is lost). Gate stages (clarify, analyze, checklist) give a report."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit import markdown as md
from codex_lsp.speckit.consensus import Outcome
from codex_lsp.speckit.files import read_text
from codex_lsp.speckit.issues import from_answer, render
from codex_lsp.speckit.packet import LayoutKind, SpecPacket
from codex_lsp.speckit.schemas import schema_for
from codex_lsp.speckit.stages import STAGES
from codex_lsp.speckit.tasks_md import format_task
from codex_lsp.speckit.templates import fill, find_template
from codex_lsp.speckit.workspace import Workspace

Answer = dict[str, Any]
Renderer = Callable[[Answer], str]


@dataclass(frozen=True)
class Part:
    """A section the renderer can fill: the headings it answers to (the first is used when
    it is appended), the answer fields it shows, and how."""

    titles: tuple[str, ...]
    fields: frozenset[str]
    render: Renderer


def _part(titles: str | tuple[str, ...], fields: str, render: Renderer) -> Part:
    names = (titles,) if isinstance(titles, str) else titles
    return Part(names, frozenset(fields.split()), render)


_ENVELOPE = frozenset({"stage", "agent", "consensus"})
_STORY = re.compile(r"^(?:US\s*(\d+)|(P\d))$", re.IGNORECASE)


@dataclass(frozen=True)
class Synthesis:
    """The files to write (absolute path → text), the report for the user, and the JSON that
    is stored (``consensus_runs.synthesis_json``)."""

    files: dict[Path, str]
    report: str
    data: dict[str, Any] = field(default_factory=dict)


def _empty(value: Any) -> bool:
    return value in ("", None, [], {})


def merge_answers(
    stage: str, participants: Sequence[str], answers: Mapping[str, Answer], arbiter: str | None
) -> Answer:
    """The arbiter's answer, each of its empty fields filled from the other agents (lists:
    their items without duplicates, in agent order; text: the first non-empty)."""
    order = [a for a in ([arbiter] if arbiter else []) + list(participants) if a in answers]
    order = list(dict.fromkeys(order))
    if not order:
        return {}
    merged = dict(answers[order[0]])
    for key in schema_for(stage)["properties"]:
        if key in _ENVELOPE or not _empty(merged.get(key)):
            continue
        for other in order[1:]:
            value = answers[other].get(key)
            if _empty(value):
                continue
            if isinstance(value, list):
                seen: dict[str, Any] = {}
                for agent in order[1:]:
                    for item in answers[agent].get(key) or []:
                        seen.setdefault(json.dumps(item, sort_keys=True), item)
                merged[key] = list(seen.values())
            else:
                merged[key] = value
            break
    return merged


# ---------------------------------------------------------------- renderers per stage
def _risks(a: Answer) -> str:
    rows = [(r["risk"], r.get("owner", ""), r.get("mitigation", "")) for r in a.get("risks", [])]
    risks = md.table(("Risk", "Owner", "Mitigation"), rows)
    questions = md.bullets(a.get("open_questions", []))
    return "\n\n".join(
        p for p in (risks, f"Open questions:\n{questions}" if questions else "") if p
    )


def _acceptance(a: Answer) -> str:
    rows = [
        (m["requirement"], m.get("validation_step", ""), m.get("artifact", ""))
        for m in a.get("acceptance_mapping", [])
    ]
    return md.table(("Requirement (Spec)", "Validation Step", "Test/Check Artifact"), rows)


def _plan() -> list[Part]:
    def breakdown(a: Answer) -> str:
        lines = []
        for number, step in enumerate(a.get("work_breakdown", []), start=1):
            line = f"{number}. **{step['step']}**"
            line += f" — {step['rationale']}" if step.get("rationale") else ""
            line += f" _(success: {step['success_signal']})_" if step.get("success_signal") else ""
            lines.append(line)
        return "\n".join(lines)

    def design(a: Answer) -> str:
        research = md.bullets(
            f"**{r['topic']}**: {r.get('details', '')}" for r in a.get("research", [])
        )
        return "\n\n".join(p for p in (a.get("technical_design", ""), research) if p)

    def data_model(a: Answer) -> str:
        rows = [
            (e["entity"], ", ".join(e.get("fields", [])), e.get("notes", ""))
            for e in a.get("data_model", [])
        ]
        return md.table(("Entity", "Fields", "Notes"), rows)

    return [
        _part("Work Breakdown", "work_breakdown", breakdown),
        _part("Technical Design", "technical_design research", design),
        _part("Data Model", "data_model", data_model),
        _part("Acceptance Mapping", "acceptance_mapping", _acceptance),
        _part("Risks & Unknowns", "risks open_questions", _risks),
        _part("Exit Criteria", "exit_criteria", lambda a: md.bullets(a.get("exit_criteria", []))),
    ]


def _story(value: str) -> str | None:
    match = _STORY.match(value.strip())
    if match is None:
        return None
    return f"US{match.group(1)}" if match.group(1) else f"Story: {match.group(2).upper()}"


def _task_lines(a: Answer, phase: str) -> str:
    lines = []
    for task in a.get("tasks", []):
        if task.get("phase") != phase:
            continue
        paths = [p for p in task.get("paths", []) if p not in task["title"]]
        lines.append(
            format_task(
                task["task_id"],
                " ".join([task["title"], *paths]),
                parallel=bool(task.get("parallel")),
                story=_story(task.get("story") or ""),
                validation=task.get("validation") or None,
                artifact=task.get("artifact") or None,
            )
        )
    return "\n".join(lines)


def _tasks() -> list[Part]:
    def phase(name: str) -> Renderer:
        return lambda a: _task_lines(a, name)

    def validation_table(a: Answer) -> str:
        rows = [
            (t["task_id"], t["title"], "pending", t.get("artifact", ""), t.get("validation", ""))
            for t in a.get("tasks", [])
        ]
        return md.table(("Task ID", "Description", "Status", "Evidence", "Notes"), rows)

    def dependencies(a: Answer) -> str:
        order = [
            f"{t['task_id']} after {', '.join(t['depends_on'])}"
            for t in a.get("tasks", [])
            if t.get("depends_on")
        ]
        return md.bullets([*a.get("dependencies", []), *order, *a.get("followups", [])])

    return [
        _part("Phase 1: Setup", "tasks:setup", phase("setup")),
        _part("Phase 2: Foundational", "tasks:foundational", phase("foundational")),
        _part("Phase 3: User Stories", "tasks:story", phase("story")),
        _part("Phase 4: Validation & Testing", "tasks:validation", phase("validation")),
        _part("Phase 5: Polish", "tasks:polish", phase("polish")),
        _part("Validation Table", "validation_table", validation_table),
        _part("Dependencies", "dependencies followups", dependencies),
    ]


def _implement() -> list[Part]:
    def strategy(a: Answer) -> str:
        steps = md.bullets(
            f"{s['task_id']}: {s['summary']}" if s.get("task_id") else s["summary"]
            for s in a.get("approach", [])
        )
        return "\n\n".join(p for p in (a.get("rationale", ""), steps) if p)

    def changes(a: Answer) -> str:
        rows = [
            (o["file"], o["change_type"], o.get("description", "")) for o in a.get("operations", [])
        ]
        return md.table(("File", "Change", "Description"), rows)

    return [
        _part("Implementation Strategy", "approach rationale", strategy),
        _part("Code Changes", "operations", changes),
        _part("Diff Proposals", "patch", _patch),
        _part("Test Strategy", "test_commands", _commands_list),
        _part("Risks & Edge Cases", "risks", lambda a: md.bullets(a.get("risks", []))),
    ]


def _patch(a: Answer) -> str:
    return f"```\n{a['patch'].strip()}\n```" if a.get("patch") else ""


def _commands_list(a: Answer) -> str:
    return md.bullets(f"`{c}`" for c in a.get("test_commands", []))


def _validate() -> list[Part]:
    def commands(a: Answer) -> str:
        rows = [(f"`{c['command']}`", c.get("purpose", "")) for c in a.get("commands", [])]
        return md.table(("Command", "Purpose"), rows)

    def acceptance(a: Answer) -> str:
        scenarios = md.table(
            ("Scenario", "Requirement", "Expected", "Status"),
            [
                (s["name"], s.get("requirement", ""), s.get("expected", ""), s.get("status", ""))
                for s in a.get("scenarios", [])
            ],
        )
        return "\n\n".join(p for p in (_acceptance(a), scenarios) if p)

    return [
        _part("Test Strategy", "test_strategy", lambda a: md.bullets(a.get("test_strategy", []))),
        _part("Validation Commands", "commands", commands),
        _part("Acceptance Criteria Validation", "acceptance_mapping scenarios", acceptance),
        _part("Gaps", "gaps", lambda a: md.bullets(a.get("gaps", []))),
        _part("Rollback Plan", "rollback_plan", lambda a: str(a.get("rollback_plan", ""))),
        _part(
            "Decision", "decision", lambda a: f"**{a['decision']}**" if a.get("decision") else ""
        ),
    ]


def _audit() -> list[Part]:
    def review(a: Answer) -> str:
        checks = md.table(
            ("Check", "Status"), [(c["item"], c["status"]) for c in a.get("quality_checks", [])]
        )
        security = md.bullets(a.get("security_concerns", []))
        parts = (
            a.get("implementation_review", ""),
            checks,
            f"Security:\n{security}" if security else "",
        )
        return "\n\n".join(p for p in parts if p)

    def decision(a: Answer) -> str:
        conditions = md.bullets(a.get("conditions_for_approval", []))
        head = f"**{a['recommendation']}**" if a.get("recommendation") else ""
        return "\n\n".join(p for p in (head, conditions) if p)

    return [
        _part(
            "Compliance Review", "implementation_review quality_checks security_concerns", review
        ),
        _part("Risk Assessment", "risks", _risks),
        _part("Go/No-Go Decision", "recommendation conditions_for_approval", decision),
    ]


def _unlock() -> list[Part]:
    def verification(a: Answer) -> str:
        remaining = md.bullets(a.get("remaining_work", []))
        parts = (
            a.get("completion_summary", ""),
            f"Remaining work:\n{remaining}" if remaining else "",
        )
        return "\n\n".join(p for p in parts if p)

    def decision(a: Answer) -> str:
        blockers = md.bullets(a.get("unlock_blockers", []))
        parts = (
            f"**{a.get('unlock_decision', '')}**: {a.get('decision_rationale', '')}",
            f"Blockers:\n{blockers}" if blockers else "",
        )
        return "\n\n".join(p for p in parts if p)

    return [
        _part("Final Verification", "completion_summary remaining_work", verification),
        _part("Unlock Decision", "unlock_decision decision_rationale unlock_blockers", decision),
        _part(
            "Risks Accepted", "risks_accepted", lambda a: md.bullets(a.get("risks_accepted", []))
        ),
        _part("Post-Unlock Actions", "next_steps", lambda a: md.bullets(a.get("next_steps", []))),
    ]


def _specify() -> list[Part]:
    def requirements(kind: str) -> Renderer:
        def render_requirements(a: Answer) -> str:
            lines = []
            for r in a.get("requirements", []):
                if r.get("type") != kind:
                    continue
                lines.append(f"- **{r['id']}**: {r['description']}")
                lines += [f"  - {c}" for c in r.get("acceptance_criteria", [])]
            return "\n".join(lines)

        return render_requirements

    def stories(a: Answer) -> str:
        out = []
        for story in a.get("user_stories", []):
            out.append(f"### {story['id']} (Priority: {story['priority']})\n\n{story['story']}")
            if story.get("acceptance"):
                out.append(md.bullets(story["acceptance"]))
        return "\n\n".join(out)

    def both(a: Answer) -> str:
        functional = requirements("functional")(a)
        other = requirements("non-functional")(a)
        return "\n\n".join(
            p
            for p in (
                f"### Functional\n\n{functional}" if functional else "",
                f"### Non-Functional\n\n{other}" if other else "",
            )
            if p
        )

    def acceptance(a: Answer) -> str:
        return md.bullets(
            c for r in a.get("requirements", []) for c in r.get("acceptance_criteria", [])
        )

    def listed(key: str) -> Renderer:
        return lambda a: md.bullets(a.get(key, []))

    return [
        _part(
            "Problem Statement", "problem_statement", lambda a: str(a.get("problem_statement", ""))
        ),
        _part("Target Users & Use Cases", "user_needs", listed("user_needs")),
        _part(("User Scenarios", "User Scenarios & Testing"), "user_stories", stories),
        _part("Functional Requirements", "requirements:functional", requirements("functional")),
        _part("Acceptance Criteria", "acceptance", acceptance),
        _part("Non-Functional Requirements", "requirements:non", requirements("non-functional")),
        _part("Requirements", "requirements:functional requirements:non", both),
        _part("Edge Cases", "edge_cases", listed("edge_cases")),
        _part(
            ("Success Criteria", "Success Metrics"), "success_criteria", listed("success_criteria")
        ),
        _part("Dependencies", "dependencies", listed("dependencies")),
        _part(("Scope & Assumptions", "Assumptions"), "assumptions", listed("assumptions")),
        _part("Open Questions", "open_questions", listed("open_questions")),
    ]


_RENDERERS: dict[str, Callable[[], list[Part]]] = {
    "plan": _plan,
    "tasks": _tasks,
    "implement": _implement,
    "validate": _validate,
    "audit": _audit,
    "unlock": _unlock,
    "specify": _specify,
}


# ---------------------------------------------------------------- documents
def feature_name(workspace: Workspace, packet: SpecPacket) -> str:
    """The feature's name from its spec.md (``**Feature**:`` or the title), else the id."""
    try:
        text = read_text(packet.file("spec.md"), workspace.root, 4000) or ""
    except SpeckitError:
        return packet.id
    if match := re.search(r"^\*\*Feature\*\*:\s*(.+)$", text, re.MULTILINE):
        return match.group(1).strip()
    if match := re.search(r"^# +(?:Spec|Feature Specification|PRD):\s*(.+)$", text, re.MULTILINE):
        return match.group(1).strip()
    return packet.id


def _document(
    template: str, values: dict[str, str], intro: str, parts: list[Part], answer: Answer
) -> str:
    """The template's title, ``intro``, then each template section: filled by the part that
    answers to its heading, else the template's own text (or a bookkeeping section from
    ``values``); parts no section took, and whose fields no used part showed, come last."""
    head, template_sections = md.sections(fill(template, values))
    by_key = {md.heading_key(title): part for part in parts for title in part.titles}
    out = [head.rstrip() + "\n\n" + intro]
    shown: set[str] = set()
    for section in template_sections:
        part = by_key.get(section.key)
        if part is None:
            body = values.get(f"SECTION:{section.key}", section.body)
        else:
            shown |= part.fields
            body = part.render(answer) or "_None._"
        out.append(f"## {section.heading}\n\n{body}".rstrip())
    for part in parts:
        if part.fields - shown and (content := part.render(answer)):
            shown |= part.fields
            out.append(f"## {part.titles[0]}\n\n{content}")
    return "\n\n".join(out).rstrip() + "\n"


def _consensus_section(outcome: Outcome) -> str:
    lines = [
        f"- Status: **{outcome.status.value}**",
        f"- Agents: {', '.join(outcome.answered) or 'none'} ({len(outcome.answered)} of "
        f"{len(outcome.participants)}); arbiter: {outcome.arbiter or 'none'}",
    ]
    lines += [f"- Missing: {a} ({why})" for a, why in outcome.missing.items()]
    if outcome.agreements:
        lines.append("\n### Agreements\n\n" + md.bullets(outcome.agreements))
    if outcome.conflicts:
        lines.append("\n### Conflicts\n\n" + md.bullets(outcome.conflicts))
    return "\n".join(lines)


def synthesise(
    workspace: Workspace,
    packet: SpecPacket,
    outcome: Outcome,
    answers: Mapping[str, Answer],
    *,
    inputs: Sequence[str],
    evidence: Sequence[str],
    prompt_version: str,
    now: datetime,
) -> Synthesis:
    """The synthesis of a stage run that stands (ok or degraded)."""
    stage = outcome.stage
    merged = merge_answers(stage, outcome.participants, answers, outcome.arbiter)
    data: dict[str, Any] = {
        "spec_id": packet.id,
        "stage": stage,
        "status": outcome.status.value,
        "agents": list(outcome.answered),
        "missing_agents": dict(outcome.missing),
        "arbiter": outcome.arbiter,
        "agreements": list(outcome.agreements),
        "conflicts": list(outcome.conflicts),
        "prompt_version": prompt_version,
        "answer": merged,
    }
    if stage in ("clarify", "analyze", "checklist"):
        issues = [
            from_answer(stage, item, agent)
            for agent, answer in answers.items()
            for item in answer.get("issues", [])
        ]
        data["issues"] = [i.to_json() for i in issues]
        return Synthesis({}, f"{outcome.message}\n\n{render(issues)}", data)
    values = {
        "SPEC_ID": packet.id,
        "FEATURE_NAME": feature_name(workspace, packet),
        "DATE": now.strftime("%Y-%m-%d"),
        "SECTION:inputs": md.bullets(
            [*(f"`{i}`" for i in inputs), f"prompt version {prompt_version}"]
        ),
        "SECTION:multi agent consensus": _consensus_section(outcome),
        "SECTION:evidence references": md.bullets(f"`{e}`" for e in evidence) or "_None._",
    }
    intro = (
        f"**SPEC-ID**: {packet.id} · **Stage**: {stage} · **Consensus**: {outcome.status.value} · "
        f"**Agents**: {', '.join(outcome.answered)} · **Generated**: "
        f"{now.strftime('%Y-%m-%d %H:%M UTC')}"
    )
    if merged.get("summary"):
        intro += f"\n\n{merged['summary']}"
    if stage == "constitution":
        return Synthesis(
            {workspace.layout.constitution: _constitution(merged, now)}, outcome.message, data
        )
    target = _target(packet, stage)
    template = find_template(_template_name(packet, stage), workspace).text
    files = {target: _document(template, values, intro, _RENDERERS[stage](), merged)}
    if packet.layout is LayoutKind.GITHUB and stage == "plan":
        files.update(_github_plan_extras(packet, merged))
    return Synthesis(files, outcome.message, data)


def _target(packet: SpecPacket, stage: str) -> Path:
    if stage == "specify":
        return packet.file("PRD.md" if packet.layout is LayoutKind.FORK else "spec.md")
    name = STAGES[stage].file
    assert name is not None
    return packet.file(name)


def _template_name(packet: SpecPacket, stage: str) -> str:
    if stage == "specify":
        return "PRD" if packet.layout is LayoutKind.FORK else "spec"
    return stage


def _github_plan_extras(packet: SpecPacket, answer: Answer) -> dict[Path, str]:
    """GitHub spec-kit's plan also writes research.md and data-model.md."""
    extras: dict[Path, str] = {}
    if answer.get("research"):
        body = "\n\n".join(f"## {r['topic']}\n\n{r.get('details', '')}" for r in answer["research"])
        extras[packet.file("research.md")] = f"# Research: {packet.id}\n\n{body}\n"
    if answer.get("data_model"):
        body = "\n\n".join(
            "\n\n".join(
                p
                for p in (f"## {e['entity']}", md.bullets(e.get("fields", [])), e.get("notes", ""))
                if p
            )
            for e in answer["data_model"]
        )
        extras[packet.file("data-model.md")] = f"# Data Model: {packet.id}\n\n{body}\n"
    return extras


def _constitution(answer: Answer, now: datetime) -> str:
    lines = [
        f"# {answer['project_name']} Constitution",
        "",
        f"**Version**: {answer['version']}",
        f"**Last Amended**: {now.strftime('%Y-%m-%d')}",
        "",
        "## Core Principles",
    ]
    for principle in answer.get("principles", []):
        lines += ["", f"### {principle['name']}", "", principle["description"]]
    for section in answer.get("sections", []):
        lines += ["", f"## {section['title']}", "", section.get("body", "")]
    lines += ["", "## Governance", "", answer.get("governance", "")]
    if answer.get("sync_impact"):
        lines += ["", "<!-- Sync impact:", *(f"- {s}" for s in answer["sync_impact"]), "-->"]
    return "\n".join(lines).rstrip() + "\n"
