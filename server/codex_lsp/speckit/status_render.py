"""The Markdown of ``/speckit.status``: the fork's report (``## Packet``, ``## Tracker``,
``## Stage Summary``, ``## Evidence``, ``## Agent Coverage``, ``## Warnings``) plus consensus,
quality gates and cost; and the overview table of every SPEC."""

from __future__ import annotations

from codex_lsp.speckit import markdown as md
from codex_lsp.speckit.evidence import size_text
from codex_lsp.speckit.stages import PIPELINE, STAGES
from codex_lsp.speckit.status_models import Overview, StatusReport

CUES = {"pass": "✅", "warn": "⚠", "pending": "⏳"}
OVERVIEW_CUES = {
    "ok": "✅",
    "degraded": "⚠",
    "conflict": "⚠",
    "failed": "❌",
    "file": "📄",
    "pending": "⏳",
}


def _packet(report: StatusReport) -> list[str]:
    out = ["## Packet", "", f"- Directory: {report.directory} ({report.layout} layout)"]
    always = ("spec.md", "PRD.md", "plan.md", "tasks.md")
    out += [
        f"- {'✅' if f.present else '⚠'} {f.name}"
        for f in report.files
        if f.present or (f.name in always and (report.layout == "fork" or f.name != "PRD.md"))
    ]
    return out


def _tracker(report: StatusReport) -> list[str]:
    out = ["## Tracker", ""]
    if report.tracker is not None:
        t = report.tracker
        return [
            *out,
            f"- Status: {t.status or '—'}",
            f"- Branch: {t.branch or '—'}",
            f"- Last validation: {t.last_validation or '—'}",
            f"- Notes: {t.notes or '—'}",
            f"- Table row: `{t.row}`",
        ]
    if report.layout == "fork":
        return [*out, "- ⚠ SPEC.md row not found"]
    return [*out, "- No tracker in GitHub spec-kit's layout"]


def _stages(report: StatusReport) -> list[str]:
    out = ["## Stage Summary", ""]
    for stage in report.stages:
        parts = [f"consensus={stage.consensus}"]
        parts += [f"attempt {stage.attempt}"] if stage.attempt else []
        parts += [f"baseline:{stage.telemetry}"] if stage.telemetry else []
        parts += [f"updated:{stage.updated_at}"] if stage.updated_at else []
        parts += [f"stale>{report.stale_hours:g}h"] if stage.stale else []
        out.append(f"- {CUES[stage.cue]} {stage.title} — {' • '.join(parts)}")
        if stage.agents:
            agents = ", ".join(f"{a.name}({'ok' if a.ok else 'failed'})" for a in stage.agents)
            out.append(f"  - Agents: {agents}")
        out += [f"  - {note}" for note in stage.notes]
    return out


def _gates_and_cost(report: StatusReport) -> list[str]:
    out = ["## Quality Gates", ""]
    for gate in report.quality_gates:
        counts = ", ".join(f"{n} {k}" for k, n in gate.issues.items()) or "—"
        detail = f" — {gate.detail}" if gate.detail else ""
        out.append(f"- {gate.gate} ({gate.source}): {counts}{detail}")
    cost = report.cost
    budget = f" of ${cost.budget:.2f} ({cost.utilization:.0%})" if cost.budget > 0 else ""
    out += [
        "",
        "## Cost",
        "",
        f"- Spent: ${cost.total_spent:.4f}{budget or ' (no budget)'} "
        f"in {cost.call_count} agent call(s)",
    ]
    if cost.per_stage:
        out.append("- Per stage: " + ", ".join(f"{k} ${v:.4f}" for k, v in cost.per_stage.items()))
    if cost.per_model:
        out.append("- Per model: " + ", ".join(f"{k} ${v:.4f}" for k, v in cost.per_model.items()))
    return out


def _evidence(report: StatusReport) -> list[str]:
    ev = report.evidence
    mark = {"ok": "✅", "warn": "⚠", "refuse": "❌"}[ev.level]
    limits = f"soft limit {ev.soft_limit_mb:g} MB, hard limit {ev.hard_limit_mb:g} MB"
    out = [
        "## Evidence",
        "",
        f"- {mark} {size_text(ev.total_bytes)} in {ev.files} file(s) ({limits})",
    ]
    if ev.level != "ok":
        out.append(f"  - {ev.message}")
    if ev.latest:
        out.append(f"- Latest artifact: {ev.latest}")
    if ev.largest:
        out.append("- Top offenders: " + ", ".join(f"{p} ({size_text(s)})" for p, s in ev.largest))
    return out


def _coverage(report: StatusReport) -> list[str]:
    out = ["## Agent Coverage", ""]
    for entry in report.agent_coverage:
        out.append(f"- {entry.configured}")
        if entry.last_run:
            out.append(f"  - last run: {', '.join(entry.last_run)}")
    return out


def render_status(report: StatusReport) -> str:
    """The report as Markdown."""
    out = [f"# SPEC Status: {report.spec_id} ({report.generated_at})"]
    for section in (_packet, _tracker, _stages, _gates_and_cost, _evidence, _coverage):
        out += ["", *section(report)]
    out += ["", "## Warnings", ""]
    out += [f"- ⚠ {w}" for w in report.warnings] or ["- none"]
    return "\n".join(out) + "\n"


def render_overview(overview: Overview) -> str:
    """Every SPEC as one table row."""
    count = len(overview.specs)
    head = f"# spec-kit status ({overview.layout} layout, {count} SPEC(s), {overview.generated_at})"
    if not overview.specs:
        return f"{head}\n\nNo SPECs yet: create one with /speckit.new <description>.\n"
    headers = ("SPEC", "Title", "Status", *(STAGES[s].title for s in PIPELINE))
    rows = [
        (
            r.spec_id,
            r.title,
            r.status,
            *(OVERVIEW_CUES.get(r.stages[s], r.stages[s]) for s in PIPELINE),
        )
        for r in overview.specs
    ]
    legend = (
        "✅ ok · ⚠ degraded or conflict · ❌ failed · 📄 file without a recorded run · ⏳ pending"
    )
    tail = "/speckit.status <SPEC> shows one in full."
    return f"{head}\n\n{md.table(headers, rows)}\n\n{legend}\n\n{tail}\n"
