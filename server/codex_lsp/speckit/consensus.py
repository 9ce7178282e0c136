"""Consensus as pure functions. The arbiter's ``consensus`` block decides: no conflicts and every
agent answered → ``ok``; conflicts → ``conflict`` (the arbiter is asked again once, at high
effort; a conflict that remains stops); an agent (or the arbiter) missing but enough answers →
``degraded``, which stands; fewer answers than the stage needs → ``failed``, naming the agents
and the command that resumes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from codex_lsp.speckit.stages import STAGES


class Status(StrEnum):
    """A stage run's outcome."""

    OK = "ok"
    DEGRADED = "degraded"
    CONFLICT = "conflict"
    FAILED = "failed"


@dataclass(frozen=True)
class Verdict:
    """The arbiter's consensus block."""

    agreements: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()

    @classmethod
    def of(cls, answer: Mapping[str, Any]) -> Verdict:
        """The ``consensus`` of a validated answer."""
        block = answer.get("consensus") or {}
        return cls(
            tuple(str(a) for a in block.get("agreements", []) if str(a).strip()),
            tuple(str(c) for c in block.get("conflicts", []) if str(c).strip()),
        )


@dataclass(frozen=True)
class Outcome:
    """What a stage run came to, and the message that says so."""

    spec_id: str
    stage: str
    status: Status
    participants: tuple[str, ...]
    answered: tuple[str, ...]
    missing: dict[str, str]
    """Agent → why it has no answer."""
    arbiter: str | None
    arbiter_answered: bool
    agreements: tuple[str, ...]
    conflicts: tuple[str, ...]
    required: int
    resume: str
    message: str

    @property
    def consensus_ok(self) -> bool:
        """Everyone answered and agreed."""
        return self.status is Status.OK

    @property
    def degraded(self) -> bool:
        """Answers or the arbiter were missing."""
        return bool(self.missing) or not self.arbiter_answered

    @property
    def stands(self) -> bool:
        """The stage's synthesis is written and the pipeline may go on."""
        return self.status in (Status.OK, Status.DEGRADED)


def resume_command(spec_id: str, stage: str, pipeline: bool) -> str:
    """The command that runs the stage again: ``/speckit.auto <ID> --from <stage>`` inside the
    pipeline, the stage's own command otherwise."""
    return f"/speckit.auto {spec_id} --from {stage}" if pipeline else f"/speckit.{stage} {spec_id}"


def needs_escalation(outcome: Outcome, escalated: bool) -> bool:
    """A conflict the arbiter has not yet been asked about again (at high effort)."""
    return outcome.status is Status.CONFLICT and not escalated


@dataclass(frozen=True)
class Ballot:
    """What a stage's consensus is decided from: its agents' validated ``answers``, their
    ``failures`` (agent → reason), the arbiter's ``verdict`` (None when the arbiter did not
    answer), how many answers the stage needs and the command that resumes it."""

    spec_id: str
    stage: str
    participants: Sequence[str]
    answers: Mapping[str, Mapping[str, Any]]
    failures: Mapping[str, str]
    arbiter: str | None
    verdict: Verdict | None
    required: int
    resume: str


def decide(ballot: Ballot) -> Outcome:
    """The outcome of a stage from its :class:`Ballot`."""
    spec_id, stage, participants = ballot.spec_id, ballot.stage, ballot.participants
    answers, failures, arbiter = ballot.answers, ballot.failures, ballot.arbiter
    verdict, required, resume = ballot.verdict, ballot.required, ballot.resume
    answered = tuple(a for a in participants if a in answers)
    missing = {a: failures.get(a, "no answer") for a in participants if a not in answers}
    if arbiter is not None and verdict is None and arbiter not in missing:
        missing_arbiter = failures.get(arbiter, "no answer")
    else:
        missing_arbiter = None
    agreements = verdict.agreements if verdict else ()
    conflicts = verdict.conflicts if verdict else ()
    if len(answered) < required:
        status = Status.FAILED
    elif conflicts:
        status = Status.CONFLICT
    elif missing or verdict is None:
        status = Status.DEGRADED
    else:
        status = Status.OK
    title = STAGES[stage].title
    count = f"{len(answered)} of {len(participants)} agents"
    why = "; ".join(f"{a}: {r}" for a, r in missing.items())
    if status is Status.FAILED:
        message = (
            f"{title} for {spec_id} failed: only {count} answered (it needs {required}). "
            f"{why}. Fix the agents (`codex-lsp doctor` lists them) and resume with: {resume}"
        )
    elif status is Status.CONFLICT:
        message = (
            f"{title} for {spec_id}: the agents conflict on: {'; '.join(conflicts)}. The "
            f"pipeline stops here; settle it in the SPEC and rerun with: {resume}"
        )
    elif status is Status.DEGRADED:
        gaps = [f"{a} did not answer ({r})" for a, r in missing.items()]
        if missing_arbiter is not None:
            gaps.append(f"the arbiter {arbiter} did not answer ({missing_arbiter})")
        elif verdict is None:
            gaps.append("no arbiter verdict")
        message = (
            f"{title} for {spec_id}: consensus degraded, {count} answered; "
            f"{'; '.join(gaps)}. The stage stands."
        )
    else:
        message = f"{title} for {spec_id}: consensus ok ({count}: {', '.join(answered)})."
    return Outcome(
        spec_id=spec_id,
        stage=stage,
        status=status,
        participants=tuple(participants),
        answered=answered,
        missing=missing,
        arbiter=arbiter,
        arbiter_answered=verdict is not None,
        agreements=agreements,
        conflicts=conflicts,
        required=required,
        resume=resume,
        message=message,
    )
