"""``/speckit.auto`` as one state machine: plan → tasks → implement → validate → audit → unlock,
and a single transition function, :func:`advance`, that every path goes through (the fork hung
for minutes when one path forgot a phase reset). The state is plain data, written to the store
after every transition (:mod:`codex_lsp.store.speckit_auto`), so a run killed at any point
resumes at its first unfinished stage: the stages it finished are never asked again.

The driver (:mod:`codex_lsp.speckit.auto_run`) asks :func:`next_step` what to do (a stage, a
quality gate before it, or waiting for the answer to a critical issue), does it, and hands what
happened (:class:`StageEnded`, :class:`GateHeld`, :class:`Answered`, :class:`Interrupted`,
:class:`Resumed`) to :func:`advance`; nothing else changes the state."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.gates import CHECKPOINTS
from codex_lsp.speckit.stages import PIPELINE

MAX_VALIDATE_RETRIES = 2
"""A failed validate sends the run back to implement at most this many times."""
FAILED_DECISIONS = frozenset({"fail", "needs-work"})


class RunStatus(StrEnum):
    """Where a run is (the store's ``status`` column)."""

    RUNNING = "running"
    WAITING = "waiting"
    """It waits for an answer (a critical quality-gate issue)."""
    STOPPED = "stopped"
    """A stage did not stand, or validate failed too often: the evidence says why."""
    INTERRUPTED = "interrupted"
    """Cancelled or interrupted by the user, or its server died: resumable."""
    COMPLETED = "completed"


@dataclass(frozen=True)
class StageDone:
    """One finished stage run of the pipeline (implement and validate may appear more than
    once, after a failed validate)."""

    stage: str
    status: str
    """The consensus: ok, degraded, conflict, failed."""
    ok: bool
    files: tuple[str, ...] = ()
    cost_usd: float = 0.0
    agreements: int = 0
    conflicts: int = 0
    decision: str | None = None
    """validate's pass / fail / needs-work."""
    message: str = ""
    record_id: int | None = None


@dataclass(frozen=True)
class GateOutcome:
    """What a quality-gate checkpoint came to: the fixes applied (``file`` ← backup), the
    questions put to the user, how many of them are critical."""

    checkpoint: str
    gate: str
    auto_fixed: tuple[str, ...] = ()
    """The ids of the issues fixed automatically."""
    asked: tuple[str, ...] = ()
    critical: tuple[str, ...] = ()
    backups: tuple[str, ...] = ()
    native: bool = False
    """Held by the native heuristics (the gate's stage has no agents)."""
    skipped: str | None = None
    """Why the gate did not run: only in runs stored by a codex-lsp that skipped a gate with no
    agents (before the native heuristics held it)."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateOutcome:
        """The outcome the store kept."""
        return cls(
            checkpoint=str(data["checkpoint"]),
            gate=str(data["gate"]),
            auto_fixed=tuple(data.get("auto_fixed", ())),
            asked=tuple(data.get("asked", ())),
            critical=tuple(data.get("critical", ())),
            backups=tuple(data.get("backups", ())),
            native=bool(data.get("native", False)),
            skipped=str(data["skipped"]) if data.get("skipped") else None,
        )

    def describe(self) -> str:
        """One line for the summary."""
        if self.skipped:
            return f"{self.checkpoint} ({self.gate}): skipped, {self.skipped}"
        fixed = f"{len(self.auto_fixed)} fixed automatically"
        if self.backups:
            fixed += f" (backup {', '.join(self.backups)})"
        asked = f"{len(self.asked)} asked" + (
            f", {len(self.critical)} critical" if self.critical else ""
        )
        by = f"{self.gate}, native checks" if self.native else self.gate
        return f"{self.checkpoint} ({by}): {fixed}, {asked}"


@dataclass(frozen=True)
class AutoState:
    """A run's whole state: the stages it runs (from ``--from`` on), the next one, what the
    finished ones gave, how often validate sent it back, and why it stopped."""

    spec_id: str
    stages: tuple[str, ...]
    goal: str = ""
    position: int = 0
    """Index into :attr:`stages` of the next stage to run."""
    status: RunStatus = RunStatus.RUNNING
    done: tuple[StageDone, ...] = ()
    validate_retries: int = 0
    reason: str | None = None
    """Why it stopped, was interrupted or waits."""
    checkpoints: dict[str, str] = field(default_factory=dict)
    """Stage → the gate held before it (fixed when the run starts)."""
    gates: tuple[GateOutcome, ...] = field(default=())
    """The quality-gate checkpoints already held."""

    @classmethod
    def start(
        cls,
        spec_id: str,
        from_stage: str | None,
        goal: str,
        checkpoints: dict[str, str] | None = None,
    ) -> AutoState:
        """A new run from ``from_stage`` (the first stage when None), holding the gates
        ``checkpoints`` names before their stages."""
        start = PIPELINE.index(from_stage) if from_stage else 0
        stages = PIPELINE[start:]
        wanted = {s: g for s, g in (checkpoints or {}).items() if s in stages}
        return cls(spec_id=spec_id, stages=stages, goal=goal, checkpoints=wanted)

    @property
    def pending_gate(self) -> str | None:
        """The gate to hold before the current stage (None: none, or already held)."""
        stage = self.current
        held = {g.checkpoint for g in self.gates}
        if stage is None or stage not in self.checkpoints or CHECKPOINTS[stage] in held:
            return None
        return self.checkpoints[stage]

    @property
    def current(self) -> str | None:
        """The next stage to run (None once past the last)."""
        return self.stages[self.position] if self.position < len(self.stages) else None

    @property
    def cost_usd(self) -> float:
        """What the finished stages cost."""
        return round(sum(d.cost_usd for d in self.done), 6)

    @property
    def files(self) -> tuple[str, ...]:
        """Every file the stages wrote, once each, in order."""
        return tuple(dict.fromkeys(f for d in self.done for f in d.files))

    @property
    def finished(self) -> bool:
        """It will not go on by itself (completed, stopped, interrupted)."""
        return self.status not in (RunStatus.RUNNING, RunStatus.WAITING)

    def resume_command(self) -> str | None:
        """The command that goes on (None once completed)."""
        if self.status is RunStatus.COMPLETED:
            return None
        return f"/speckit.auto {self.spec_id}"

    # ------------------------------------------------------------ the store's JSON
    def to_json(self) -> dict[str, Any]:
        """The state as the store keeps it."""
        data = asdict(self)
        data["status"] = self.status.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AutoState:
        """The state the store kept. :class:`~codex_lsp.errors.SpeckitError` when it is not
        one (a store written by hand, or by a newer codex-lsp)."""
        try:
            state = cls._parse(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SpeckitError(
                f"the stored /speckit.auto state is not one this codex-lsp reads ({exc!r}); "
                "start a new run with --from <stage>"
            ) from exc
        if not state.stages or any(s not in PIPELINE for s in state.stages):
            raise SpeckitError(
                f"the stored /speckit.auto state names no known stages ({state.stages}); "
                "start a new run with --from <stage>"
            )
        return state

    @classmethod
    def _parse(cls, data: dict[str, Any]) -> AutoState:
        return cls(
            spec_id=str(data["spec_id"]),
            stages=tuple(data["stages"]),
            goal=str(data.get("goal", "")),
            position=int(data.get("position", 0)),
            status=RunStatus(data.get("status", RunStatus.RUNNING.value)),
            done=tuple(
                StageDone(**{**d, "files": tuple(d.get("files", ()))}) for d in data.get("done", ())
            ),
            validate_retries=int(data.get("validate_retries", 0)),
            reason=data.get("reason"),
            checkpoints=dict(data.get("checkpoints", {})),
            gates=tuple(GateOutcome.from_json(g) for g in data.get("gates", ())),
        )


@dataclass(frozen=True)
class StageEnded:
    """The stage at the run's position ended (stood or not)."""

    result: StageDone


@dataclass(frozen=True)
class GateHeld:
    """The quality gate before the current stage ran; ``outcome.critical`` issues, while
    unanswered, hold the run."""

    outcome: GateOutcome


@dataclass(frozen=True)
class Answered:
    """No critical issue is open any more: a waiting run goes on."""


@dataclass(frozen=True)
class Interrupted:
    """The user interrupted or cancelled the run (or it failed outside a stage)."""

    reason: str


@dataclass(frozen=True)
class Resumed:
    """The run is taken up again (after an interrupt, a stop, a crash)."""


Event = StageEnded | GateHeld | Answered | Interrupted | Resumed


@dataclass(frozen=True)
class RunStage:
    """Run the current stage."""

    stage: str


@dataclass(frozen=True)
class HoldGate:
    """Hold the quality gate ``gate`` (clarify, checklist, analyze) before ``stage``."""

    stage: str
    gate: str

    @property
    def checkpoint(self) -> str:
        """``before-plan``, …"""
        return CHECKPOINTS[self.stage]


@dataclass(frozen=True)
class WaitForAnswers:
    """Wait until the critical issues of the last gate are answered."""


Step = RunStage | HoldGate | WaitForAnswers


def next_step(state: AutoState) -> Step | None:
    """What to do now, or None when the run does not go on."""
    if state.status is RunStatus.WAITING:
        return WaitForAnswers()
    if state.finished or state.current is None:
        return None
    gate = state.pending_gate
    return HoldGate(state.current, gate) if gate else RunStage(state.current)


def next_stage(state: AutoState) -> str | None:
    """The stage :func:`next_step` runs (None when it holds a gate, waits, or ends)."""
    step = next_step(state)
    return step.stage if isinstance(step, RunStage) else None


def advance(state: AutoState, event: Event) -> AutoState:
    """The one transition function: the state after ``event``."""
    if isinstance(event, Resumed):
        if state.status in (RunStatus.COMPLETED, RunStatus.WAITING):
            return state
        if state.gates and state.gates[-1].critical and state.status is RunStatus.INTERRUPTED:
            # interrupted while it waited: it waits again until the answers are in
            return replace(state, status=RunStatus.WAITING)
        return replace(state, status=RunStatus.RUNNING, reason=None)
    if isinstance(event, GateHeld):
        outcome = event.outcome
        if state.pending_gate is None:
            raise ValueError(f"a gate was held, but none is due before {state.current}")
        gates = (*state.gates, outcome)
        if outcome.critical:
            waiting = ", ".join(outcome.critical)
            reason = f"waiting for an answer to {waiting} (critical) in spec.md"
            return replace(state, gates=gates, status=RunStatus.WAITING, reason=reason)
        return replace(state, gates=gates)
    if isinstance(event, Answered):
        if state.status is not RunStatus.WAITING:
            return state
        return replace(state, status=RunStatus.RUNNING, reason=None)
    if isinstance(event, Interrupted):
        if state.status is RunStatus.COMPLETED:
            return state
        return replace(state, status=RunStatus.INTERRUPTED, reason=event.reason)
    result = event.result
    if result.stage != state.current:
        raise ValueError(f"{result.stage} ended, but the run is at {state.current}")
    done = (*state.done, result)
    if not result.ok:
        return replace(state, done=done, status=RunStatus.STOPPED, reason=result.message)
    if result.stage == "validate" and result.decision in FAILED_DECISIONS:
        if state.validate_retries >= MAX_VALIDATE_RETRIES or "implement" not in state.stages:
            return replace(
                state,
                done=done,
                status=RunStatus.STOPPED,
                reason=(
                    f"validate decided {result.decision!r} after "
                    f"{state.validate_retries + 1} implementation(s); the evidence is in "
                    "validate.md"
                ),
            )
        return replace(
            state,
            done=done,
            position=state.stages.index("implement"),
            validate_retries=state.validate_retries + 1,
        )
    position = state.position + 1
    status = RunStatus.COMPLETED if position >= len(state.stages) else RunStatus.RUNNING
    return replace(state, done=done, position=position, status=status, reason=None)
