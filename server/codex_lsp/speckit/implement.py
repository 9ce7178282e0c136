"""``/speckit.implement``'s change: the agents propose it in apply_patch form, the arbiter's
answer carries the one it picked or merged, and that patch goes through the conversation's
normal apply_patch path (the approval policy and the sandbox's writable roots, the per-hunk
review, the editor's WorkspaceEdits, the turn's undo), as if the model had called the tool.

Part 2's "Implement T003" runs the same stage with ``task`` set (the context then holds that
task alone) and ticks the task once :func:`apply_chosen_patch` reports it applied."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from codex_lsp.speckit.consensus import Outcome
from codex_lsp.tools.apply_patch import apply_patch_for_model
from codex_lsp.tools.registry import ToolSession


@dataclass(frozen=True)
class PatchOutcome:
    """What became of the chosen patch: applied or not, and the apply_patch report."""

    applied: bool
    message: str


def chosen_patch(outcome: Outcome, answers: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The arbiter's patch (its pick or merge of the proposals), when the stage stands and the
    arbiter answered; no arbiter, no patch: nobody picked one."""
    if not outcome.stands or outcome.arbiter is None:
        return None
    answer = answers.get(outcome.arbiter)
    patch = answer.get("patch") if answer else None
    return patch.strip() if isinstance(patch, str) and patch.strip() else None


async def apply_chosen_patch(
    session: ToolSession, outcome: Outcome, answers: Mapping[str, Mapping[str, Any]]
) -> PatchOutcome:
    """Apply the chosen patch in ``session``'s turn (the conversation the command was typed in)."""
    patch = chosen_patch(outcome, answers)
    if patch is None:
        return PatchOutcome(False, "No patch was applied: the arbiter picked none.")
    call_id = f"speckit-implement-{uuid.uuid4().hex[:8]}"
    output = await apply_patch_for_model(session, call_id, patch, session.cwd)
    if output.success:
        return PatchOutcome(True, f"The arbiter's patch was applied.\n{output.text}")
    return PatchOutcome(False, f"The arbiter's patch was not applied: {output.text}")
