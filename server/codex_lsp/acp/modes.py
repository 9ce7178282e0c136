"""Session modes and config options: the approval presets ``read-only``, ``auto`` and
``full-access`` (the ids Codex's ACP adapter uses) offered both as ``modes`` and as the ``mode``
config option, plus ``model`` and ``reasoning_effort``; the full set is returned on every
change."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codex_lsp.config.model import Config
from codex_lsp.errors import ProtocolError
from codex_lsp.protocol.ops import OverrideTurnContextOp
from codex_lsp.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    ReasoningEffort,
    SandboxMode,
    WorkspaceWrite,
    sandbox_policy_for_mode,
)

Policy = DangerFullAccess | ReadOnly | WorkspaceWrite


@dataclass(frozen=True)
class Mode:
    """An approval preset: when to ask, and what commands may touch."""

    id: str
    name: str
    description: str
    approval_policy: AskForApproval
    sandbox: SandboxMode


MODES = (
    Mode(
        "read-only",
        "Read Only",
        "Reads anything; asks before editing files and before commands that need more",
        AskForApproval.ON_REQUEST,
        SandboxMode.READ_ONLY,
    ),
    Mode(
        "auto",
        "Auto",
        "Edits files and runs commands in the workspace; asks before going beyond it",
        AskForApproval.ON_REQUEST,
        SandboxMode.WORKSPACE_WRITE,
    ),
    Mode(
        "full-access",
        "Full Access",
        "No sandbox and no questions: only on a machine you can afford to lose",
        AskForApproval.NEVER,
        SandboxMode.DANGER_FULL_ACCESS,
    ),
)
MODES_BY_ID = {m.id: m for m in MODES}
EFFORTS = (
    ReasoningEffort.MINIMAL,
    ReasoningEffort.LOW,
    ReasoningEffort.MEDIUM,
    ReasoningEffort.HIGH,
)


def mode_of(approval_policy: AskForApproval, sandbox: Policy) -> Mode:
    """The preset nearest to a conversation's policies (by its sandbox)."""
    if isinstance(sandbox, ReadOnly):
        return MODES_BY_ID["read-only"]
    if isinstance(sandbox, DangerFullAccess) and approval_policy is AskForApproval.NEVER:
        return MODES_BY_ID["full-access"]
    return MODES_BY_ID["auto"]


def sandbox_policy(mode: SandboxMode, config: Config, extra_roots: list[Path]) -> Policy:
    """The sandbox of ``mode`` under ``config``, the session's additional directories writable
    (workspace-write only)."""
    policy = sandbox_policy_for_mode(mode)
    if isinstance(policy, WorkspaceWrite):
        ws = config.sandbox_workspace_write
        policy = WorkspaceWrite(
            writable_roots=list(dict.fromkeys([*ws.writable_roots, *extra_roots])),
            network_access=ws.network_access,
            exclude_tmpdir_env_var=ws.exclude_tmpdir_env_var,
            exclude_slash_tmp=ws.exclude_slash_tmp,
        )
    return policy


def with_roots(policy: Policy, extra_roots: list[Path]) -> Policy:
    """``policy`` with ``extra_roots`` writable too (when it is workspace-write)."""
    if not isinstance(policy, WorkspaceWrite) or not extra_roots:
        return policy
    roots = list(dict.fromkeys([*policy.writable_roots, *extra_roots]))
    return policy.model_copy(update={"writable_roots": roots})


@dataclass
class Settings:
    """A session's current mode, model and effort, and the models it may pick from."""

    mode: Mode
    model: str
    effort: ReasoningEffort | None
    models: list[str]

    def modes_state(self) -> dict[str, Any]:
        """The ``modes`` of a session response."""
        return {
            "currentModeId": self.mode.id,
            "availableModes": [
                {"id": m.id, "name": m.name, "description": m.description} for m in MODES
            ],
        }

    def options(self) -> list[dict[str, Any]]:
        """Every config option, in display order, with its current value."""
        effort = self.effort if self.effort in EFFORTS else ReasoningEffort.MEDIUM
        return [
            _select(
                "mode",
                "Approval preset",
                "mode",
                self.mode.id,
                [(m.id, m.name, m.description) for m in MODES],
            ),
            _select("model", "Model", "model", self.model, [(m, m, None) for m in self.models]),
            _select(
                "reasoning_effort",
                "Reasoning effort",
                "thought_level",
                effort.value,
                [(e.value, e.value.capitalize(), None) for e in EFFORTS],
            ),
        ]

    def change(self, config_id: str, value: str) -> OverrideTurnContextOp | None:
        """Apply ``value`` to option ``config_id`` (a mode change is left to the caller, which
        knows the sandbox); the Op that carries a model or effort change. ProtocolError
        names what is allowed."""
        if config_id == "mode":
            if value not in MODES_BY_ID:
                raise ProtocolError(f"unknown mode {value!r}; one of {', '.join(MODES_BY_ID)}")
            self.mode = MODES_BY_ID[value]
            return None
        if config_id == "model":
            if value not in self.models:
                raise ProtocolError(f"unknown model {value!r}; one of {', '.join(self.models)}")
            self.model = value
            return OverrideTurnContextOp(model=value)
        if config_id == "reasoning_effort":
            allowed = {e.value: e for e in EFFORTS}
            if value not in allowed:
                raise ProtocolError(
                    f"unknown reasoning effort {value!r}; one of {', '.join(allowed)}"
                )
            self.effort = allowed[value]
            return OverrideTurnContextOp(effort=self.effort)
        raise ProtocolError(f"unknown config option {config_id!r}; mode, model or reasoning_effort")


def model_choices(current: str, configured: list[str], profiles: list[str]) -> list[str]:
    """The picker's models: the current one first, then ``acp.models``, then the profiles'."""
    return list(dict.fromkeys([current, *configured, *profiles]))


def _select(
    option_id: str,
    name: str,
    category: str,
    current: str,
    choices: list[tuple[str, str, str | None]],
) -> dict[str, Any]:
    options = []
    for value, label, description in choices:
        option: dict[str, Any] = {"value": value, "name": label}
        if description:
            option["description"] = description
        options.append(option)
    return {
        "id": option_id,
        "name": name,
        "category": category,
        "type": "select",
        "currentValue": current,
        "options": options,
    }
