"""Which spec-kit commands make sense for a SPEC in its present state, for the editor's code
actions on its files: the next stage (spec.md only → plan, plan.md → tasks, tasks.md →
implement, implement.md → validate, validate.md → audit, audit.md → unlock), the quality check
that fits there (clarify before the plan, analyze once there are tasks), and status."""

from __future__ import annotations

from dataclasses import dataclass

from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.stages import PIPELINE, STAGES

_CHECKS = {"plan": "clarify", "implement": "analyze"}
"""The quality check offered beside a stage."""


@dataclass(frozen=True)
class Offer:
    """One command for one SPEC: ``/speckit.plan SPEC-KIT-071``, and whether it is the next
    step (the preferred action)."""

    command: str
    spec_id: str
    preferred: bool = False
    label: str | None = None
    """The title, when it is not "Run <command>" (``Resume /speckit.auto SPEC-KIT-071``)."""

    @property
    def typed(self) -> str:
        """The command as a user types it."""
        return f"/{self.command} {self.spec_id}"

    @property
    def title(self) -> str:
        """The code action's title."""
        return self.label or f"Run {self.typed}"


def next_stage(packet: SpecPacket) -> str | None:
    """The first pipeline stage whose file the SPEC lacks (None: all written, or no spec.md
    to start from). Blocking: call it in a worker thread."""
    if not packet.file("spec.md").is_file():
        return None
    for stage in PIPELINE:
        name = STAGES[stage].file
        if name is not None and not packet.file(name).is_file():
            return stage
    return None


def offers(packet: SpecPacket) -> list[Offer]:
    """The commands to offer on ``packet``'s files, the next stage first. Blocking."""
    found: list[Offer] = []
    stage = next_stage(packet)
    if stage is not None:
        found.append(Offer(f"speckit.{stage}", packet.id, preferred=True))
        if stage in _CHECKS:
            found.append(Offer(f"speckit.{_CHECKS[stage]}", packet.id))
    found.append(Offer("speckit.status", packet.id))
    return found
