"""The ``/speckit.auto`` runs a workspace can resume: those that did not complete and that no
live process drives (interrupted, cancelled, stopped, or whose server was killed). Opening the
workspace in the editor offers each (a notification, and a code action on the SPEC's files)."""

from __future__ import annotations

from dataclasses import dataclass

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.auto import AutoState
from codex_lsp.speckit.auto_run import reconciled
from codex_lsp.speckit.offers import Offer
from codex_lsp.speckit.stages import PIPELINE
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.store.speckit_runs import SpeckitRuns


@dataclass(frozen=True)
class Resumable:
    """One run to resume: its SPEC, the stage it goes on at, and why it stopped."""

    spec_id: str
    stage: str
    status: str
    reason: str | None

    @property
    def offer(self) -> Offer:
        """The code action that resumes it (the preferred one on the SPEC's files)."""
        return Offer("speckit.auto", self.spec_id, True, f"Resume /speckit.auto {self.spec_id}")

    @property
    def message(self) -> str:
        """The notification that offers it."""
        why = f": {self.reason}" if self.reason else ""
        number = PIPELINE.index(self.stage) + 1
        return (
            f"/speckit.auto {self.spec_id} did not finish ({self.status} at {self.stage}, stage "
            f"{number} of {len(PIPELINE)}{why}). Resume /speckit.auto {self.spec_id} with the "
            f"code action on its files, or type /speckit.auto {self.spec_id}."
        )


async def resumable(runs: SpeckitRuns, workspace: Workspace) -> list[Resumable]:
    """The workspace's runs to resume, the most recent first (one per SPEC)."""
    found: dict[str, Resumable] = {}
    for run in await runs.auto.unfinished(workspace.root):
        if run.live or run.spec_id in found:
            continue
        try:
            state = await reconciled(
                runs, workspace, AutoState.from_json(run.state), run.updated_at
            )
        except SpeckitError:
            continue  # not resumable; /speckit.auto <SPEC> says why
        stage = state.current or state.stages[-1]
        status = "its server stopped" if run.status == "running" else run.status
        found[run.spec_id] = Resumable(run.spec_id, stage, status, state.reason)
    return list(found.values())
