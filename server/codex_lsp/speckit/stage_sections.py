"""What each stage's file is made of: for every stage, the sections the synthesis can fill
(:class:`Part`: the headings a section answers to, the answer fields it shows, and how it
renders them), in :data:`RENDERERS`. :mod:`codex_lsp.speckit.synthesis` lays them along the
stage's template."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from codex_lsp.speckit import markdown as md
from codex_lsp.speckit.tasks_md import TaskDraft, format_task

Answer = dict[str, Any]
Renderer = Callable[[Answer], str]
_STORY = re.compile(r"^(?:US\s*(\d+)|(P\d))$", re.IGNORECASE)


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
                TaskDraft(
                    task["task_id"],
                    " ".join([task["title"], *paths]),
                    parallel=bool(task.get("parallel")),
                    story=_story(task.get("story") or ""),
                    validation=task.get("validation") or None,
                    artifact=task.get("artifact") or None,
                )
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


RENDERERS: dict[str, Callable[[], list[Part]]] = {
    "plan": _plan,
    "tasks": _tasks,
    "implement": _implement,
    "validate": _validate,
    "audit": _audit,
    "unlock": _unlock,
    "specify": _specify,
}
