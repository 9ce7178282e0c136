"""The approval presets offered as one switch, as Codex's IDE extension, its ACP adapter and Zed
show them: ``read-only`` (reads and answers; asks before any edit and before a command needs
more than reading), ``auto`` (edits and runs commands in the workspace; asks before going beyond
it) and ``full-access`` (no sandbox, never asks). Every front end reads this one table."""

from typing import Literal

from codex_lsp.protocol.base import WireModel
from codex_lsp.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    SandboxMode,
    WorkspaceWrite,
)

ModeId = Literal["read-only", "auto", "full-access"]
FULL_ACCESS_WARNING = (
    "Full access: commands run without a sandbox and nothing is asked first, so the model can "
    "change or delete any file you can, and reach the network. Use it only in a throwaway "
    "environment (a container, a VM) you can afford to lose."
)


class Mode(WireModel):
    """An approval preset: when to ask, what commands may touch, and what to warn about."""

    id: ModeId
    name: str
    description: str
    approval_policy: AskForApproval
    sandbox_mode: SandboxMode
    warning: str | None = None


MODES: tuple[Mode, ...] = (  # constants: made without validation, so no validator is built
    Mode.model_construct(
        id="read-only",
        name="Read Only",
        description="Reads anything; asks before editing files and before commands that need more",
        approval_policy=AskForApproval.ON_REQUEST,
        sandbox_mode=SandboxMode.READ_ONLY,
    ),
    Mode.model_construct(
        id="auto",
        name="Auto",
        description="Edits files and runs commands in the workspace; asks before going beyond it",
        approval_policy=AskForApproval.ON_REQUEST,
        sandbox_mode=SandboxMode.WORKSPACE_WRITE,
    ),
    Mode.model_construct(
        id="full-access",
        name="Full Access",
        description="No sandbox and no questions: only on a machine you can afford to lose",
        approval_policy=AskForApproval.NEVER,
        sandbox_mode=SandboxMode.DANGER_FULL_ACCESS,
        warning=FULL_ACCESS_WARNING,
    ),
)
MODES_BY_ID: dict[str, Mode] = {m.id: m for m in MODES}


def mode_of(
    approval_policy: AskForApproval, sandbox: DangerFullAccess | ReadOnly | WorkspaceWrite
) -> Mode:
    """The preset nearest to a conversation's policies (by its sandbox)."""
    if isinstance(sandbox, ReadOnly):
        return MODES_BY_ID["read-only"]
    if isinstance(sandbox, DangerFullAccess) and approval_policy is AskForApproval.NEVER:
        return MODES_BY_ID["full-access"]
    return MODES_BY_ID["auto"]


def exact_mode(
    approval_policy: AskForApproval, sandbox: DangerFullAccess | ReadOnly | WorkspaceWrite
) -> ModeId | None:
    """The preset whose policies these are; None for another combination (set by hand)."""
    mode = mode_of(approval_policy, sandbox)
    same = mode.approval_policy is approval_policy and mode.sandbox_mode.value == sandbox.type
    return mode.id if same else None
