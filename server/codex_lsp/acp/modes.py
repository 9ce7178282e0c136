"""Session modes and config options: the approval presets ``read-only``, ``auto`` and
``full-access`` (the ids Codex's ACP adapter uses, from :mod:`codex_lsp.protocol.modes`) offered
both as ``modes`` and as the ``mode`` config option, plus ``model`` and ``reasoning_effort``; the
full set is returned on every change."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codex_lsp.config.sandbox import Policy, sandbox_policy
from codex_lsp.errors import ProtocolError
from codex_lsp.protocol.modes import MODES, MODES_BY_ID, Mode, mode_of
from codex_lsp.protocol.ops import OverrideTurnContextOp
from codex_lsp.protocol.policies import ReasoningEffort, WorkspaceWrite

__all__ = ["MODES_BY_ID", "Settings", "mode_of", "model_choices", "sandbox_policy", "with_roots"]


EFFORTS = (
    ReasoningEffort.MINIMAL,
    ReasoningEffort.LOW,
    ReasoningEffort.MEDIUM,
    ReasoningEffort.HIGH,
)


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
