"""The settings a turn runs with, and how Ops change them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from codex_lsp.errors import ProtocolError
from codex_lsp.protocol.ops import TurnContextOverrides
from codex_lsp.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    ReasoningEffort,
    ReasoningSummary,
    WorkspaceWrite,
)


def existing_folder(path: Path, base: Path | None = None) -> Path:
    """``path`` (relative to ``base`` when it is relative) resolved, or :class:`ProtocolError`
    when it is not an existing folder: a turn never starts in a folder that does not exist."""
    try:
        folder = (base / path if base is not None else path).resolve()
        exists = folder.is_dir()
    except (OSError, RuntimeError, ValueError):
        folder, exists = path, False
    if not exists:
        raise ProtocolError(f"cwd {folder} is not a directory; pass an existing folder as cwd")
    if not str(folder).isascii():
        try:
            str(folder).encode("utf-8")
        except UnicodeEncodeError:
            raise ProtocolError(
                f"cwd {folder!r} is not valid UTF-8; codex-lsp needs a folder whose path is"
            ) from None
    return folder


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
            cwd=(self.cwd / o.cwd).resolve() if o.cwd is not None else self.cwd,
            model=o.model or self.model,
            effort=o.effort or self.effort,
            summary=o.summary or self.summary,
            approval_policy=o.approval_policy or self.approval_policy,
            sandbox_policy=o.sandbox_policy or self.sandbox_policy,
        )
