"""A quality gate whose stage has no agents: the native heuristics (the checks
``/speckit.clarify``, ``/speckit.checklist`` and ``/speckit.analyze`` run without a model) are its
one voter, and their issues take the agents' path from there on (merged, decided by the matrix,
stored open as diagnostics, a critical one holding the run).

Confidence of a heuristic-only issue: the heuristic is **one deterministic voter that raises an
issue but gives no answer to it**. Confidence measures agreement on an *answer*; with none there
is none to agree on, so :func:`~codex_lsp.speckit.gates.merge` makes it low, and the matrix puts
every such issue to the user: nothing a pattern match found is written into the SPEC on its own.
That is deliberate: a regex knows that ``[NEEDS CLARIFICATION: …]`` or "fast" is there, not what
the user meant; its suggested fix is advice (shown with the question), and writing it
unasked would turn a false positive into an edit of the user's spec. Counting the heuristic as a
unanimous voter (high confidence) would instead auto-apply its fixes, and counting it as a
fraction of the agents the gate would have had would make the confidence depend on a number of
agents that did not run."""

from __future__ import annotations

from typing import Any

from codex_lsp.speckit.gate_run import GateAnswers
from codex_lsp.speckit.heuristics.analyze import analyze_issues
from codex_lsp.speckit.heuristics.checklist import checklist_scores
from codex_lsp.speckit.heuristics.clarify import clarify_issues
from codex_lsp.speckit.issues import Issue
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.workspace import Workspace

NATIVE_VOTER = "native"
"""The name the heuristics answer under."""


def heuristic_issues(gate: str, workspace: Workspace, packet: SpecPacket) -> list[Issue]:
    """The issues the native ``gate`` (clarify, checklist, analyze) finds in ``packet``.
    Blocking (it reads the SPEC's files)."""
    if gate == "clarify":
        return clarify_issues(workspace, packet)[0]
    if gate == "analyze":
        return analyze_issues(workspace, packet)[0]
    return checklist_scores(workspace, packet)[0].issues


def _item(issue: Issue) -> dict[str, Any]:
    """A heuristic issue as a gate agent's answer gives one, without an answer."""
    return {
        "id": issue.id,
        "type": issue.kind,
        "question": issue.description,
        "answer": "",
        "magnitude": issue.magnitude.value,
        "resolvability": issue.resolvability.value,
        "context": issue.context,
        "suggested_fix": issue.suggested_fix,
        "affected_artifacts": [issue.file] if issue.file else [],
        "line": issue.line,
    }


def native_answers(gate: str, workspace: Workspace, packet: SpecPacket) -> GateAnswers:
    """The heuristics of ``gate`` as the one voter's answer (no arbiter). Blocking."""
    issues = heuristic_issues(gate, workspace, packet)
    return GateAnswers({NATIVE_VOTER: {"issues": [_item(i) for i in issues]}}, None)
