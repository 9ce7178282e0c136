"""Drives a ``/speckit.auto`` run: claims it in the store (single flight across every server on
the store; an unfinished run is resumed, ``--from`` starts a new one), then asks the state
machine (:mod:`codex_lsp.speckit.auto`) for the next stage, runs it, hands its end to
:func:`~codex_lsp.speckit.auto.advance` and writes the state, until the run completes, stops or
is interrupted (``codex/interrupt`` cancels the task; ``/speckit.cancel``, from any server,
sets the store's flag this driver polls). Reports ``speckitAutoProgress`` throughout and ends
with the summary."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from codex_lsp.background import create_task
from codex_lsp.protocol.speckit_events import (
    SpeckitAgentAnsweredEvent,
    SpeckitAutoProgressEvent,
    SpeckitEvent,
    SpeckitStageStartedEvent,
)
from codex_lsp.speckit.auto import (
    Answered,
    AutoState,
    Event,
    GateHeld,
    GateOutcome,
    HoldGate,
    Interrupted,
    Resumed,
    RunStage,
    RunStatus,
    StageDone,
    StageEnded,
    Step,
    advance,
    next_stage,
    next_step,
)
from codex_lsp.speckit.auto_summary import render_summary, summary_wire
from codex_lsp.speckit.gate_run import still_open
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.result import CommandResult
from codex_lsp.speckit.stage_sinks import Emitter
from codex_lsp.speckit.stages import PIPELINE
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.store.run_owner import owner_pid, owner_token
from codex_lsp.store.speckit_auto import AutoRunRow
from codex_lsp.store.speckit_runs import SpeckitRuns, StageRunRecord

CANCEL_POLL_S = 0.5
"""How often the driver looks at the store's cancel flag (``/speckit.cancel`` from any server)."""

StageFn = Callable[[str, str, Emitter], Awaitable[StageDone]]
"""Runs one stage (name, the user's goal, the emitter its events go to) and says how it ended."""
GateFn = Callable[[str, str, str, Emitter], Awaitable[GateOutcome]]
"""Holds one quality gate (the stage it comes before, the gate, the run id, the emitter)."""


class _CancelRequested(Exception):
    """``/speckit.cancel`` asked the run to stop."""


def busy_message(run: AutoRunRow) -> str:
    """What ``/speckit.auto`` says when the SPEC's run is live elsewhere (or here)."""
    state = AutoState.from_json(run.state)
    where = "in this server" if run.mine else f"in another codex-lsp (pid {owner_pid(run.owner)})"
    at = state.current or "its end"
    return (
        f"/speckit.auto {run.spec_id} is already running {where}, at {at}; nothing was started. "
        f"/speckit.cancel {run.spec_id} stops it, /speckit.status {run.spec_id} shows it."
    )


@dataclass
class AutoDriver:
    """One ``/speckit.auto`` command, from the claim to the summary."""

    runs: SpeckitRuns
    workspace: Workspace
    spec_id: str
    emit: Emitter
    run_stage: StageFn
    hold_gate: GateFn
    checkpoints: dict[str, str]
    """Stage → the gate held before it, for a new run."""
    conversation_id: str | None = None

    async def run(self, from_stage: str | None, goal: str) -> CommandResult:
        """Claim the run (a new one with ``from_stage``), drive it, summarise it."""
        fresh = AutoState.start(self.spec_id, from_stage, goal, self.checkpoints)
        claim = await self.runs.auto.claim(
            self.workspace.root,
            self.spec_id,
            fresh=from_stage is not None,
            new_id=uuid.uuid4().hex[:16],
            new_state=fresh.to_json(),
            conversation_id=self.conversation_id,
        )
        if claim.busy:
            return CommandResult(False, busy_message(claim.run))
        run_id = claim.run.id
        try:
            state = AutoState.from_json(claim.run.state)
            if claim.resumed:
                state = advance(state, Resumed())
                if goal:
                    state = AutoState.from_json({**state.to_json(), "goal": goal})
                state = await reconciled(self.runs, self.workspace, state, claim.saved_at)
                await self._resend_open_gates(run_id, state)
            await self._save(run_id, state)
            state = await self._drive(run_id, state)
        finally:
            await asyncio.shield(self.runs.auto.release(run_id))
        return self._summary(run_id, state)

    async def _resend_open_gates(self, run_id: str, state: AutoState) -> None:
        """The gates held before the resume whose questions are still open, sent again from
        the store (the conversation the run resumes in never saw them; the gates are not held
        again): a panel's card can answer them, and the editor shows their diagnostics."""
        for outcome in state.gates:
            event = await still_open(self.runs, self.spec_id, run_id, outcome)
            if event is not None:
                self.emit(event)

    async def _save(self, run_id: str, state: AutoState) -> None:
        await self.runs.auto.save(run_id, state.status.value, state.to_json())
        self._progress(run_id, state)

    def _progress(self, run_id: str, state: AutoState, answered: int = 0, agents: int = 0) -> None:
        stage = state.current or state.stages[-1]
        self.emit(
            SpeckitAutoProgressEvent(
                spec_id=state.spec_id,
                stage=stage,
                run_id=run_id,
                stage_number=PIPELINE.index(stage) + 1,
                stage_count=len(PIPELINE),
                state=state.status.value,
                agents_answered=answered,
                agents=agents,
                cost_usd=state.cost_usd,
                reason=state.reason,
                resume=state.resume_command() if state.finished else None,
            )
        )

    async def _drive(self, run_id: str, state: AutoState) -> AutoState:
        """Step after step; an interrupt or a cancel is a transition like any other."""
        while (step := next_step(state)) is not None:
            try:
                event = await self._cancellable(run_id, self._do(run_id, state, step))
            except _CancelRequested:
                state = advance(state, Interrupted(f"/speckit.cancel {self.spec_id} stopped it"))
                await self._save(run_id, state)
                return state
            except asyncio.CancelledError:
                state = advance(state, Interrupted("interrupted"))
                await asyncio.shield(self._save(run_id, state))
                raise
            except BaseException as exc:
                reason = getattr(exc, "message", None) or "it failed"
                where = step.stage if isinstance(step, RunStage | HoldGate) else "waiting"
                state = advance(state, Interrupted(f"{where}: {reason}"))
                await asyncio.shield(self._save(run_id, state))
                raise
            state = advance(state, event)
            await self._save(run_id, state)
        return state

    async def _do(self, run_id: str, state: AutoState, step: Step) -> Event:
        """Carry ``step`` out; the event it ends with."""
        if isinstance(step, RunStage):
            emit = self._stage_emitter(run_id, state)
            return StageEnded(await self.run_stage(step.stage, state.goal, emit))
        if isinstance(step, HoldGate):
            return GateHeld(await self.hold_gate(step.stage, step.gate, run_id, self.emit))
        # the answer may come from any server on the store: it is polled, not signalled
        while await self._critical_open(run_id):  # noqa: ASYNC110
            await asyncio.sleep(CANCEL_POLL_S)
        return Answered()

    async def _critical_open(self, run_id: str) -> bool:
        issues = await self.runs.auto.issues(run_id)
        return any(i.status == "open" and i.magnitude == "critical" for i in issues)

    def _stage_emitter(self, run_id: str, state: AutoState) -> Emitter:
        """The stage's events, and the run's progress after each agent's answer."""
        counts = {"answered": 0, "agents": 0}

        def emit(event: SpeckitEvent) -> None:
            self.emit(event)
            if isinstance(event, SpeckitStageStartedEvent):
                counts["agents"] = len(event.agents)
                self._progress(run_id, state, 0, counts["agents"])
            elif isinstance(event, SpeckitAgentAnsweredEvent) and event.ok:
                counts["answered"] += 1
                self._progress(run_id, state, counts["answered"], counts["agents"])

        return emit

    async def _cancellable(self, run_id: str, work: Coroutine[Any, Any, Event]) -> Event:
        """``work``, stopped when the store's cancel flag is set."""
        task = create_task(work, name=f"speckit-auto-{run_id}")
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=CANCEL_POLL_S)
                if done:
                    return task.result()
                if await self.runs.auto.cancel_requested(run_id):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                    raise _CancelRequested
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _summary(self, run_id: str, state: AutoState) -> CommandResult:
        ok = state.status is RunStatus.COMPLETED
        return CommandResult(ok, render_summary(state), summary_wire(run_id, state))


async def reconciled(
    runs: SpeckitRuns, workspace: Workspace, state: AutoState, saved_at: float
) -> AutoState:
    """``state`` (saved at ``saved_at``) with the stage it was running taken as ended when that
    stage's run was recorded after the save: it finished while its server died before the
    transition was written, and is not asked again. Implement is not (its patch is applied
    after the record). What a resume goes on from, and what the offer to resume names."""
    stage = next_stage(state)
    if stage is None or stage == "implement":
        return state
    history = await runs.history(workspace.root, state.spec_id, stage)
    record = history[-1] if history else None
    if record is None or (record.created_at or 0) <= saved_at:
        return state
    packet = await asyncio.to_thread(workspace.layout.resolve, state.spec_id)
    return advance(state, StageEnded(recorded(workspace, packet, record)))


def recorded(workspace: Workspace, packet: SpecPacket, record: StageRunRecord) -> StageDone:
    """A stage's end, as its store row tells it."""
    ok = record.status in ("ok", "degraded")
    target = packet.stage_file(record.stage)
    files = (workspace.relative(target),) if target else ()
    answer = (record.synthesis or {}).get("answer") or {}
    decision = answer.get("decision") if record.stage == "validate" else None
    return StageDone(
        stage=record.stage,
        status=record.status,
        ok=ok,
        files=files if ok else (),
        cost_usd=round(sum(o.cost for o in record.outputs), 6),
        agreements=len(record.agreements),
        conflicts=len(record.conflicts),
        decision=str(decision) if decision else None,
        message=f"/speckit.{record.stage} {record.spec_id}: {record.status} (recorded)",
        record_id=record.id,
    )


async def cancel_run(runs: SpeckitRuns, workspace: Workspace, spec_id: str) -> CommandResult:
    """``/speckit.cancel``: ask the process that drives the SPEC's run to stop it (whichever
    server that is); a run no live process drives is only marked interrupted."""
    run = next(
        (r for r in await runs.auto.unfinished(workspace.root) if r.spec_id == spec_id), None
    )
    if run is None:
        return CommandResult(False, f"{spec_id} has no unfinished /speckit.auto run to cancel.")
    if run.live:
        await runs.auto.request_cancel(run.id)
        where = "" if run.owner == owner_token() else f" (in codex-lsp pid {owner_pid(run.owner)})"
        return CommandResult(
            True,
            f"Stopping /speckit.auto {spec_id}{where}; /speckit.auto {spec_id} resumes it.",
            {"runId": run.id, "specId": spec_id, "stopping": True},
        )
    return CommandResult(
        True,
        f"/speckit.auto {spec_id} is not running (stopped at "
        f"{AutoState.from_json(run.state).current or 'its end'}); /speckit.auto {spec_id} "
        "resumes it.",
        {"runId": run.id, "specId": spec_id, "stopping": False},
    )
