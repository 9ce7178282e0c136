"""The native clarify / analyze / checklist commands (no model), used when their stage has no
agents configured: each reads the SPEC's documents, writes nothing, and reports issues with
their file and line (the same :class:`~codex_lsp.speckit.issues.Issue` the gate agents give)."""

from __future__ import annotations

import asyncio

from codex_lsp.speckit import markdown as md
from codex_lsp.speckit.heuristics.analyze import analyze_issues
from codex_lsp.speckit.heuristics.checklist import WEIGHTS, checklist_scores
from codex_lsp.speckit.heuristics.clarify import clarify_issues
from codex_lsp.speckit.issues import Issue, Magnitude, render
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.result import CommandResult
from codex_lsp.speckit.workspace import Workspace

MINOR_SHOWN = 5


def _counts(issues: list[Issue]) -> dict[str, int]:
    return {m.value: sum(1 for i in issues if i.magnitude is m) for m in Magnitude}


def _report(
    stage: str,
    packet: SpecPacket,
    issues: list[Issue],
    notes: list[str],
    head: str = "",
    extra: dict[str, object] | None = None,
) -> CommandResult:
    counts = _counts(issues)
    title = {"clarify": "Clarify", "analyze": "Analyze", "checklist": "Checklist"}[stage]
    summary = ", ".join(f"{n} {m}" for m, n in counts.items())
    lines = [
        f"# {title}: {packet.id} (native, no model)",
        "",
        f"{len(issues)} issue(s): {summary}.",
    ]
    if head:
        lines += ["", head]
    lines += ["", render(issues, MINOR_SHOWN if stage == "clarify" else None)]
    lines += [f"\n⚠ {n}" for n in notes]
    data: dict[str, object] = {
        "command": f"speckit.{stage}",
        "specId": packet.id,
        "native": True,
        "counts": counts,
        "issues": [i.to_json() for i in issues],
        "notes": notes,
        **(extra or {}),
    }
    return CommandResult(True, "\n".join(lines).rstrip() + "\n", data)


def run_native_sync(stage: str, workspace: Workspace, packet: SpecPacket) -> CommandResult:
    """The native report of ``stage`` (blocking)."""
    if stage == "clarify":
        issues, notes = clarify_issues(workspace, packet)
        return _report(stage, packet, issues, notes)
    if stage == "analyze":
        issues, notes = analyze_issues(workspace, packet)
        return _report(stage, packet, issues, notes)
    scores, notes = checklist_scores(workspace, packet)
    rows = [(k.title(), getattr(scores, k), f"{w:.0%}") for k, w in WEIGHTS.items()]
    table = md.table(("Dimension", "Score", "Weight"), rows)
    head = f"{table}\n\n**Overall**: {scores.overall} (grade {scores.grade})"
    extra = {
        "scores": {k: getattr(scores, k) for k in WEIGHTS},
        "overall": scores.overall,
        "grade": scores.grade,
    }
    return _report(stage, packet, scores.issues, notes, head, extra)


async def run_native(stage: str, workspace: Workspace, packet: SpecPacket) -> CommandResult:
    """The native report of ``stage``, off the event loop."""
    return await asyncio.to_thread(run_native_sync, stage, workspace, packet)
