"""The engine of a stage run by agents, without the model calls themselves.

Its caller supplies an :class:`AgentRunner` that turns an :class:`AgentRequest` (the agent,
its prompt, the answer's JSON Schema) into an :class:`AgentReply` (text and usage) or an
:class:`AgentFailure` (:class:`~codex_lsp.speckit.agent_runner.ConversationRunner`: a core
conversation per call), an :class:`Emitter` for the run's events, and a
:class:`SynthesisWriter` (:class:`~codex_lsp.speckit.writer.SessionWriter`: the conversation's
file sink, so the editor's ``workspace/applyEdit``; or :class:`DiskWriter`).
:mod:`~codex_lsp.speckit.orchestrator` drives the calls (in parallel or one after another, as
:attr:`StageRun.mode` says) through a :class:`StageRun`, in essence::

    run = await StageRun.prepare(workspace, packet, "plan", emitter=emit)
    for agent in run.order:                 # the arbiter comes last
        while True:
            request = run.request(agent)   # prompt, schema, retry guidance, previous answers
            await run.start_call(request)  # hard_stop is checked here
            result = await runner.run(request)
            if not (await run.accept(request, result)).retry:
                break
    outcome = run.conclude()
    if needs_escalation(outcome, run.escalated):   # ask the arbiter again, at high effort
        ...
    result = await run.finish(outcome, DiskWriter(workspace))

Everything else is here: prompts and context, answer validation with retry guidance, cost and
budget, consensus, synthesis, the store rows and the evidence files.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from codex_lsp.errors import SpeckitError
from codex_lsp.protocol.items import TokenUsage
from codex_lsp.protocol.policies import ReasoningEffort
from codex_lsp.protocol.speckit_events import (
    SpeckitAgentAnsweredEvent,
    SpeckitAgentRetryEvent,
    SpeckitAgentStartedEvent,
    SpeckitConsensusEvent,
    SpeckitCostEvent,
    SpeckitEvent,
    SpeckitStageCompletedEvent,
    SpeckitStageStartedEvent,
)
from codex_lsp.speckit.agents import AgentSpec, StageAgents, stage_agents
from codex_lsp.speckit.answers import check_answer
from codex_lsp.speckit.consensus import Outcome, Verdict, decide, resume_command
from codex_lsp.speckit.context import Context, build_context, cap
from codex_lsp.speckit.cost import Ledger, call_cost, check_budget
from codex_lsp.speckit.evidence import Evidence
from codex_lsp.speckit.files import write_text
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.prompts import Prompts, answer_contract, render
from codex_lsp.speckit.schemas import Schema, schema_for, schema_name
from codex_lsp.speckit.stages import STAGES, Mode
from codex_lsp.speckit.synthesis import Synthesis, synthesise
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.store.speckit_runs import AgentOutput, SpeckitRuns, StageRunRecord

PREVIOUS_MAX_CHARS = 5_000
_BLANK_RUNS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class AgentRequest:
    """One call of one agent: who, in which role, the prompt, the schema its answer must match
    (for the provider's structured output), the attempt, and its limits. The agent works
    read-only (sandbox ``read-only``, no patch applied)."""

    spec_id: str
    stage: str
    agent: AgentSpec
    role: str
    prompt: str
    schema: Schema
    schema_name: str
    attempt: int
    reasoning_effort: ReasoningEffort | None
    timeout_s: float
    cwd: Path
    read_only: bool = True


@dataclass(frozen=True)
class AgentReply:
    """What the agent answered, the tokens it used, the model that answered, and the agent's
    conversation (its parent is the stage run)."""

    text: str
    usage: TokenUsage
    model: str
    conversation_id: str | None = None


@dataclass(frozen=True)
class AgentFailure:
    """The agent could not answer (provider error, timeout); ``retryable`` says whether asking
    again can help. Usage spent before the failure is still paid for."""

    reason: str
    retryable: bool
    model: str | None = None
    usage: TokenUsage | None = None
    conversation_id: str | None = None


class AgentRunner(Protocol):
    """Runs one agent call (part 1b: a read-only core conversation on the agent's provider)."""

    async def run(self, request: AgentRequest) -> AgentReply | AgentFailure:
        """Answer ``request`` within ``request.timeout_s``."""
        ...


class Emitter(Protocol):
    """Receives a stage run's events."""

    def __call__(self, event: SpeckitEvent, /) -> None:
        """Deliver one event."""
        ...


class SynthesisWriter(Protocol):
    """Writes a stage's synthesis (part 1b: ``workspace/applyEdit`` into open buffers)."""

    async def write(self, files: Mapping[Path, str], label: str) -> list[Path]:
        """Write every file; the paths written."""
        ...


class DiskWriter:
    """Writes the synthesis to disk, atomically and inside the project."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    async def write(self, files: Mapping[Path, str], label: str) -> list[Path]:
        """Write each file in a worker thread."""

        def write_all() -> list[Path]:
            for path, text in files.items():
                write_text(path, self.workspace.root, text)
            return list(files)

        return await asyncio.to_thread(write_all)


@dataclass(frozen=True)
class Accepted:
    """What :meth:`StageRun.accept` made of a reply: usable, or to be asked again (with the
    guidance the next request carries), or given up."""

    ok: bool
    retry: bool
    problems: tuple[str, ...] = ()
    delay_s: float = 0.0
    """How long to wait before asking again (a backoff after a provider error)."""


@dataclass(frozen=True)
class StageResult:
    """The end of a stage run."""

    outcome: Outcome
    synthesis: Synthesis | None
    files: list[Path]
    evidence: list[Path]
    record: StageRunRecord | None


@dataclass
class _AgentState:
    attempts: int = 0
    answer: dict[str, Any] | None = None
    reply: AgentReply | None = None
    failure: str | None = None
    guidance: str | None = None
    cost: float = 0.0
    usage: TokenUsage = field(default_factory=TokenUsage)
    model: str | None = None
    conversation_id: str | None = None


def _minified(answer: Mapping[str, Any]) -> str:
    return cap(json.dumps(answer, ensure_ascii=False, separators=(",", ":")), PREVIOUS_MAX_CHARS)


class StageRun:
    """One run of one stage of one SPEC: its state from preparation to the recorded result."""

    def __init__(
        self,
        workspace: Workspace,
        packet: SpecPacket,
        stage: str,
        agents: StageAgents,
        *,
        prompts: Prompts,
        context: Context,
        emitter: Emitter,
        runs: SpeckitRuns | None,
        session_id: str | None,
        user_text: str,
        resume: str,
    ) -> None:
        self.workspace = workspace
        self.packet = packet
        self.stage = stage
        self.plan = agents
        self.mode = STAGES[stage].mode
        self.prompts = prompts
        self.context = context
        self.emit = emitter
        self.runs = runs
        self.session_id = session_id
        self.user_text = user_text
        self.resume = resume
        self.settings = workspace.config.speckit
        self.evidence = Evidence(workspace)
        self.ledger = Ledger(self.evidence, self.settings)
        self.started = datetime.now(UTC)
        self.deadline = time.monotonic() + self.settings.timeouts.total
        self.escalated = False
        self._conflicts: tuple[str, ...] = ()
        self.stopped: str | None = None
        self.warnings: list[str] = []
        arbiter = agents.arbiter
        proposers = [a for a in agents.agents if arbiter is None or a.name != arbiter.name]
        self.order: tuple[AgentSpec, ...] = (*proposers, *([arbiter] if arbiter else []))
        """Who is asked, in order: the proposing agents, then the arbiter."""
        self._state: dict[str, _AgentState] = {a.name: _AgentState() for a in self.order}

    # ------------------------------------------------------------ preparation
    @classmethod
    async def prepare(
        cls,
        workspace: Workspace,
        packet: SpecPacket,
        stage: str,
        *,
        emitter: Emitter,
        runs: SpeckitRuns | None = None,
        session_id: str | None = None,
        user_text: str = "",
        task: str | None = None,
        pipeline: bool = False,
    ) -> StageRun:
        """Check that the run may start (agents configured, evidence under its hard limit, the
        budget not spent under ``hard_stop``), build its context, announce it."""
        plan = stage_agents(workspace.config)[stage]
        if not plan.agents:
            raise SpeckitError(
                f"/speckit.{stage} has no agent to run ({plan.describe()}); "
                "configure [[agents]] or [speckit.stages]"
            )
        resume = resume_command(packet.id, stage, pipeline)
        evidence = Evidence(workspace)
        limits = await asyncio.to_thread(evidence.refuse_if_over, packet)
        summary = await asyncio.to_thread(
            Ledger(evidence, workspace.config.speckit).load, packet.id
        )
        check_budget(summary, workspace.config.speckit, resume)
        prompts = await asyncio.to_thread(Prompts.load, workspace)
        context = await asyncio.to_thread(build_context, workspace, packet, stage, task)
        run = cls(
            workspace,
            packet,
            stage,
            plan,
            prompts=prompts,
            context=context,
            emitter=emitter,
            runs=runs,
            session_id=session_id,
            user_text=user_text,
            resume=resume,
        )
        run.warnings += [*packet.warnings, *context.notes]
        if limits.level.value == "warn":
            run.warnings.append(limits.message)
        emitter(
            SpeckitStageStartedEvent(
                spec_id=packet.id,
                stage=stage,
                agents=[a.name for a in plan.agents],
                arbiter=plan.arbiter.name if plan.arbiter else None,
                mode=run.mode.value,
                warnings=run.warnings,
            )
        )
        return run

    # ------------------------------------------------------------ requests
    def role(self, agent: AgentSpec) -> str:
        """``arbiter`` or ``agent``."""
        arbiter = self.plan.arbiter
        return "arbiter" if arbiter is not None and agent.name == arbiter.name else "agent"

    def _previous(self, agent: AgentSpec) -> dict[str, dict[str, Any]]:
        """The answers ``agent`` sees: all proposals for the arbiter, the earlier agents' in a
        sequential stage, none in a parallel one."""
        earlier: list[AgentSpec] = []
        if self.role(agent) == "arbiter":
            earlier = [a for a in self.order if a.name != agent.name]
        elif self.mode is Mode.SEQUENTIAL:
            earlier = list(self.order[: self.order.index(agent)])
        return {
            a.name: answer for a in earlier if (answer := self._state[a.name].answer) is not None
        }

    def request(self, agent: AgentSpec) -> AgentRequest:
        """The next request to ``agent``: its prompt (with the previous answers it sees and the
        guidance from its last invalid reply), the schema, its timeout. After
        :meth:`begin_escalation`, the arbiter's request is its second pass, at high effort."""
        state = self._state[agent.name]
        role = self.role(agent)
        entry = self.prompts.entry(self.stage, agent.name, role)
        previous = self._previous(agent)
        shown = "\n\n".join(
            f"### {name}\n```json\n{_minified(answer)}\n```" for name, answer in previous.items()
        )
        values = {
            "SPEC_ID": self.packet.id,
            "STAGE": self.stage,
            "AGENT": agent.name,
            "ROLE": entry.role,
            "MODEL_ID": agent.model or "default",
            "REASONING_MODE": (
                agent.reasoning_effort.value if agent.reasoning_effort else "default"
            ),
            "PROMPT_VERSION": entry.version,
            "CONTEXT": self.context.text,
            "PREVIOUS_OUTPUTS": f"## Answers of the other agents\n\n{shown}" if shown else "",
            "USER_TEXT": f"The user adds: {self.user_text}" if self.user_text else "",
            "CONFLICTS": "",
        }
        values.update({f"PREVIOUS_OUTPUTS.{name}": _minified(a) for name, a in previous.items()})
        effort = agent.reasoning_effort
        parts = []
        if state.guidance:
            parts.append(state.guidance)
        if self.escalated and role == "arbiter":
            values["CONFLICTS"] = "; ".join(self._conflicts) or "(none listed)"
            parts.append(render(self.prompts.escalation().prompt, values))
            effort = ReasoningEffort.HIGH
        parts.append(_BLANK_RUNS.sub("\n\n", render(entry.prompt, values)).strip())
        parts.append(answer_contract(self.stage, agent.name, role))
        remaining = max(1.0, self.deadline - time.monotonic())
        return AgentRequest(
            spec_id=self.packet.id,
            stage=self.stage,
            agent=agent,
            role=role,
            prompt="\n\n".join(parts),
            schema=schema_for(self.stage),
            schema_name=schema_name(self.stage),
            attempt=state.attempts + 1,
            reasoning_effort=effort,
            timeout_s=min(self.settings.timeouts.agent, remaining),
            cwd=self.workspace.root,
        )

    async def start_call(self, request: AgentRequest) -> None:
        """Before a call: raise :class:`~codex_lsp.errors.BudgetExceededError` when the
        budget is spent under ``hard_stop`` (then :meth:`stop`), else count the attempt and
        announce it."""
        summary = await asyncio.to_thread(self.ledger.load, self.packet.id)
        check_budget(summary, self.settings, self.resume)
        self._state[request.agent.name].attempts = request.attempt
        self.emit(
            SpeckitAgentStartedEvent(
                spec_id=self.packet.id,
                stage=self.stage,
                agent=request.agent.name,
                model=request.agent.model,
                role=request.role,
                attempt=request.attempt,
            )
        )

    # ------------------------------------------------------------ replies
    async def _book(self, request: AgentRequest, usage: TokenUsage | None, model: str) -> float:
        if usage is None:
            return 0.0
        cost = call_cost(usage, model, self.settings)
        state = self._state[request.agent.name]
        state.cost += cost
        state.usage = state.usage + usage
        summary, alerts = await asyncio.to_thread(
            self.ledger.record, self.packet.id, self.stage, model, cost, datetime.now(UTC)
        )
        base = {
            "spec_id": self.packet.id,
            "stage": self.stage,
            "total_spent": round(summary.total_spent, 6),
            "budget": summary.budget,
            "utilization": round(summary.utilization, 4),
        }
        if not alerts:
            self.emit(SpeckitCostEvent(**base))
        for alert in alerts:
            self.emit(SpeckitCostEvent(**base, alert=alert.level, message=alert.message))
        return cost

    async def accept(self, request: AgentRequest, result: AgentReply | AgentFailure) -> Accepted:
        """Book the call's cost, check the answer, and decide: keep it, ask again (the next
        :meth:`request` carries the guidance) or give up on this agent."""
        state = self._state[request.agent.name]
        model = result.model or request.agent.model or "unknown"
        state.model = model
        state.conversation_id = result.conversation_id or state.conversation_id
        cost = await self._book(request, result.usage, model)
        attempts_left = request.attempt < self.settings.retry.max_attempts
        delay = 0.0
        if isinstance(result, AgentFailure):
            problems: tuple[str, ...] = (result.reason,)
            retry = result.retryable and attempts_left
            state.guidance = None
            delay = self.retry_delay_s(request.attempt + 1)
        else:
            state.reply = result
            check = check_answer(self.stage, result.text)
            if check.ok:
                state.answer, state.failure, state.guidance = check.answer, None, None
                self.emit(
                    SpeckitAgentAnsweredEvent(
                        spec_id=self.packet.id,
                        stage=self.stage,
                        agent=request.agent.name,
                        attempt=request.attempt,
                        ok=True,
                        cost_usd=round(cost, 6),
                        conversation_id=result.conversation_id,
                    )
                )
                return Accepted(True, False)
            problems, retry = check.problems, attempts_left
            state.guidance = check.guidance(request.attempt, self.settings.retry.max_attempts)
        self.emit(
            SpeckitAgentAnsweredEvent(
                spec_id=self.packet.id,
                stage=self.stage,
                agent=request.agent.name,
                attempt=request.attempt,
                ok=False,
                cost_usd=round(cost, 6),
                problems=list(problems),
                conversation_id=result.conversation_id,
            )
        )
        if retry:
            self.emit(
                SpeckitAgentRetryEvent(
                    spec_id=self.packet.id,
                    stage=self.stage,
                    agent=request.agent.name,
                    attempt=request.attempt + 1,
                    max_attempts=self.settings.retry.max_attempts,
                    reason="; ".join(problems),
                    guidance=state.guidance or "",
                    retry_in_ms=round(delay * 1000),
                )
            )
            return Accepted(False, True, problems, delay)
        if state.answer is None:
            state.failure = f"{'; '.join(problems)} (after {request.attempt} attempt(s))"
        return Accepted(False, False, problems)

    def stop(self, reason: str) -> None:
        """No further agent is asked (the budget is spent, the user cancelled): the agents
        without an answer fail with ``reason``."""
        self.stopped = reason
        for state in self._state.values():
            if state.answer is None and state.failure is None:
                state.failure = f"not asked: {reason}"

    def retry_delay_s(self, attempt: int) -> float:
        """The backoff before ``attempt`` (2, 3, …) after a provider error."""
        retry = self.settings.retry
        delay_ms: int = min(retry.max_delay_ms, retry.base_delay_ms * 2 ** max(0, attempt - 2))
        return delay_ms / 1000

    # ------------------------------------------------------------ conclusion
    @property
    def conversations(self) -> dict[str, str]:
        """Each asked agent's (last) conversation, by agent."""
        return {n: s.conversation_id for n, s in self._state.items() if s.conversation_id}

    @property
    def answers(self) -> dict[str, dict[str, Any]]:
        """The valid answers so far, by agent."""
        return {n: s.answer for n, s in self._state.items() if s.answer is not None}

    def _verdict(self) -> Verdict | None:
        arbiter = self.plan.arbiter
        answer = self._state[arbiter.name].answer if arbiter else None
        return Verdict.of(answer) if answer is not None else None

    def conclude(self) -> Outcome:
        """The consensus of the answers so far (after an escalation, call it again)."""
        failures = {n: s.failure or "no answer" for n, s in self._state.items() if s.answer is None}
        arbiter = self.plan.arbiter
        return decide(
            spec_id=self.packet.id,
            stage=self.stage,
            participants=[a.name for a in self.plan.agents],
            answers=self.answers,
            failures=failures,
            arbiter=arbiter.name if arbiter else None,
            verdict=self._verdict(),
            required=self.plan.required,
            resume=self.resume,
        )

    def begin_escalation(self, outcome: Outcome) -> AgentSpec:
        """After a conflict: the arbiter is asked again, with every proposal and the conflicts,
        at high effort, with attempts of its own. Its first answer stands until a valid second
        one replaces it. Returns the arbiter."""
        arbiter = self.plan.arbiter
        if arbiter is None:
            raise SpeckitError(f"/speckit.{self.stage} has no arbiter to settle the conflict")
        state = self._state[arbiter.name]
        state.attempts, state.guidance = 0, None
        self._conflicts = outcome.conflicts
        self.escalated = True
        return arbiter

    async def finish(self, outcome: Outcome, writer: SynthesisWriter) -> StageResult:
        """Write the synthesis (when the outcome stands), then the evidence and the store rows,
        and announce the end."""
        now = datetime.now(UTC)
        paths = self.evidence.run_paths(self.packet.id, self.stage, now)
        synthesis: Synthesis | None = None
        written: list[Path] = []
        if outcome.stands:
            synthesis = await asyncio.to_thread(
                synthesise,
                self.workspace,
                self.packet,
                outcome,
                self.answers,
                inputs=self.context.files,
                evidence=[self.workspace.relative(p) for p in paths.values()],
                prompt_version=self._prompt_version(),
                now=now,
            )
            written = await writer.write(synthesis.files, f"/speckit.{self.stage} {self.packet.id}")
        # the store row right after the file: a run killed in between is asked again
        record = await self._record(outcome, synthesis)
        evidence = await asyncio.to_thread(
            self._write_evidence, outcome, synthesis, written, paths, now
        )
        self.emit(
            SpeckitConsensusEvent(
                spec_id=self.packet.id,
                stage=self.stage,
                status=outcome.status.value,
                agreements=list(outcome.agreements),
                conflicts=list(outcome.conflicts),
                missing_agents=dict(outcome.missing),
                escalated=self.escalated,
            )
        )
        self.emit(
            SpeckitStageCompletedEvent(
                spec_id=self.packet.id,
                stage=self.stage,
                status=outcome.status.value,
                files=[self.workspace.relative(p) for p in written],
                message=synthesis.report if synthesis else outcome.message,
                resume=None if outcome.stands else outcome.resume,
                conversations=self.conversations,
            )
        )
        return StageResult(outcome, synthesis, written, evidence, record)

    def _prompt_version(self) -> str:
        arbiter = self.plan.arbiter or self.order[-1]
        return self.prompts.entry(self.stage, arbiter.name, self.role(arbiter)).version

    def _outputs(self) -> list[AgentOutput]:
        out = []
        for agent in self.order:
            state = self._state[agent.name]
            if state.attempts == 0 and state.failure is None:
                continue
            out.append(
                AgentOutput(
                    agent=agent.name,
                    model=state.model or agent.model or "default",
                    role=self.role(agent),
                    content=state.answer,
                    response_text=state.reply.text if state.reply else None,
                    error=state.failure,
                    attempts=state.attempts,
                    usage=state.usage.model_dump(),
                    cost=round(state.cost, 6),
                    conversation_id=state.conversation_id,
                )
            )
        return out

    def _write_evidence(
        self,
        outcome: Outcome,
        synthesis: Synthesis | None,
        written: list[Path],
        paths: dict[str, Path],
        now: datetime,
    ) -> list[Path]:
        artifacts = [self.workspace.relative(p) for p in written]
        target = self.packet.stage_file(self.stage)
        telemetry = self.evidence.telemetry(
            spec_id=self.packet.id,
            stage=self.stage,
            session_id=self.session_id,
            moment=now,
            artifacts=artifacts,
            baseline={
                "mode": "agents",
                "artifact": self.workspace.relative(target) if target else None,
                "status": "passed" if outcome.stands else "failed",
            },
            hooks={"session": {"start": self.started.isoformat(), "end": now.isoformat()}},
        )
        verdict = {
            "spec_id": self.packet.id,
            "stage": self.stage,
            "recorded_at": now.isoformat(),
            "status": outcome.status.value,
            "consensus_ok": outcome.consensus_ok,
            "degraded": outcome.degraded,
            "missing_agents": list(outcome.missing),
            "missing_reasons": dict(outcome.missing),
            "agreements": list(outcome.agreements),
            "conflicts": list(outcome.conflicts),
            "aggregator_agent": outcome.arbiter,
            "escalated": self.escalated,
            "synthesis_path": artifacts[0] if artifacts else None,
            "artifacts": [
                {"agent": o.agent, "model": o.model, "content": o.content, "error": o.error}
                for o in self._outputs()
            ],
        }
        self.evidence.write_json(paths["telemetry"], telemetry)
        self.evidence.write_json(paths["verdict"], verdict)
        files = [paths["telemetry"], paths["verdict"]]
        if synthesis is not None:
            self.evidence.write_json(paths["synthesis"], synthesis.data)
            files.append(paths["synthesis"])
        return files

    async def _record(self, outcome: Outcome, synthesis: Synthesis | None) -> StageRunRecord | None:
        if self.runs is None:
            return None
        record = StageRunRecord(
            spec_id=self.packet.id,
            stage=self.stage,
            status=outcome.status.value,
            consensus_ok=outcome.consensus_ok,
            degraded=outcome.degraded,
            synthesis=synthesis.data if synthesis else {"answers": self.answers},
            agreements=outcome.agreements,
            conflicts=outcome.conflicts,
            outputs=tuple(self._outputs()),
        )
        return await self.runs.record(self.workspace.root, record)
