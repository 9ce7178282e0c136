"""The settings a turn runs with, and how Ops change them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from codex_lsp.protocol.ops import TurnContextOverrides
from codex_lsp.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    ReasoningEffort,
    ReasoningSummary,
    WorkspaceWrite,
)


@dataclass(frozen=True)
class TurnContext:
    """Model, policies and cwd of a turn."""

    model: str
    provider_id: str
    cwd: Path
    approval_policy: AskForApproval
    sandbox_policy: DangerFullAccess | ReadOnly | WorkspaceWrite
    effort: ReasoningEffort | None
    summary: ReasoningSummary | None
    model_context_window: int | None

    def with_overrides(self, o: TurnContextOverrides) -> TurnContext:
        """A copy with every field ``o`` sets replaced."""
        return replace(
            self,
            cwd=(o.cwd.resolve() if o.cwd is not None else self.cwd),
            model=o.model or self.model,
            effort=o.effort or self.effort,
            summary=o.summary or self.summary,
            approval_policy=o.approval_policy or self.approval_policy,
            sandbox_policy=o.sandbox_policy or self.sandbox_policy,
        )
