"""The summary a ``/speckit.auto`` run ends with: every stage run with its consensus and cost,
the quality gates held, the total cost, the files written, and the command that resumes it
(or the next one) when it stopped."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from codex_lsp.speckit.auto import AutoState, RunStatus
from codex_lsp.speckit.stages import STAGES

_HEADLINES = {
    RunStatus.COMPLETED: "completed",
    RunStatus.STOPPED: "stopped",
    RunStatus.INTERRUPTED: "interrupted",
    RunStatus.WAITING: "waiting for an answer",
    RunStatus.RUNNING: "running",
}


def next_command(state: AutoState) -> str:
    """What to type next: the resume command, or the status once it completed."""
    return state.resume_command() or f"/speckit.status {state.spec_id}"


def render_summary(state: AutoState) -> str:
    """The summary in Markdown."""
    lines = [f"## /speckit.auto {state.spec_id}: {_HEADLINES[state.status]}", ""]
    lines += [
        "| Stage | Consensus | Agreements | Conflicts | Cost | Files |",
        "|---|---|---|---|---|---|",
    ]
    for done in state.done:
        decision = f" ({done.decision})" if done.decision else ""
        lines.append(
            f"| {STAGES[done.stage].title} | {done.status}{decision} | {done.agreements} | "
            f"{done.conflicts} | ${done.cost_usd:.4f} | {', '.join(done.files) or '-'} |"
        )
    if not state.done:
        lines.append("| - | no stage ran | | | | |")
    lines.append("")
    if not state.gates:
        lines.append("- Quality gates: none held")
    for gate in state.gates:
        lines.append(f"- Quality gate {gate.describe()}")
    if state.validate_retries:
        lines.append(f"- Validate sent it back to implement {state.validate_retries} time(s)")
    lines.append(f"- Cost: ${state.cost_usd:.4f}")
    lines.append(f"- Files written: {', '.join(state.files) or 'none'}")
    if state.reason:
        lines.append(f"- Why: {state.reason}")
    verb = "Resume with" if state.status is not RunStatus.COMPLETED else "Next"
    lines.append(f"- {verb}: `{next_command(state)}`")
    return "\n".join(lines)


def summary_wire(run_id: str, state: AutoState) -> dict[str, Any]:
    """The summary as JSON (``--json``)."""
    return {
        "runId": run_id,
        "specId": state.spec_id,
        "state": state.status.value,
        "stages": [
            {
                "stage": d.stage,
                "status": d.status,
                "ok": d.ok,
                "decision": d.decision,
                "agreements": d.agreements,
                "conflicts": d.conflicts,
                "costUsd": d.cost_usd,
                "files": list(d.files),
                "runId": d.record_id,
            }
            for d in state.done
        ],
        "gates": [asdict(g) for g in state.gates],
        "validateRetries": state.validate_retries,
        "costUsd": state.cost_usd,
        "files": list(state.files),
        "reason": state.reason,
        "next": next_command(state),
    }
