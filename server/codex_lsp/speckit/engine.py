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

This module holds the run's phases up to the consensus: preparation, the agents' requests and
replies (answer validation with retry guidance, retries, cost and budget) and the escalation.
The calls' types are in :mod:`~codex_lsp.speckit.agent_calls`, the outputs' sinks in
:mod:`~codex_lsp.speckit.stage_sinks`, the shared state in :mod:`~codex_lsp.speckit.stage_state`
and the end (synthesis, store rows, evidence files) in :mod:`~codex_lsp.speckit.stage_finish`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from codex_lsp.errors import SpeckitError
from codex_lsp.protocol.items import TokenUsage
from codex_lsp.protocol.policies import ReasoningEffort
from codex_lsp.protocol.speckit_events import (
    SpeckitAgentAnsweredEvent,
    SpeckitAgentRetryEvent,
    SpeckitAgentStartedEvent,
    SpeckitCostEvent,
    SpeckitStageStartedEvent,
)
from codex_lsp.speckit.agent_calls import Accepted, AgentFailure, AgentReply, AgentRequest
from codex_lsp.speckit.agents import AgentSpec, stage_agents
from codex_lsp.speckit.answers import check_answer
from codex_lsp.speckit.consensus import Ballot, Outcome, decide, resume_command
from codex_lsp.speckit.context import build_context, cap
from codex_lsp.speckit.cost import Ledger, call_cost, check_budget
from codex_lsp.speckit.evidence import Evidence
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.prompts import Prompts, answer_contract, render
from codex_lsp.speckit.schemas import schema_for, schema_name
from codex_lsp.speckit.stage_finish import StageResult, finish_stage
from codex_lsp.speckit.stage_sinks import Emitter, SynthesisWriter
from codex_lsp.speckit.stage_state import RunOptions, StageSetup, StageState
from codex_lsp.speckit.stages import Mode
from codex_lsp.speckit.workspace import Workspace

PREVIOUS_MAX_CHARS = 5_000
_BLANK_RUNS = re.compile(r"\n{3,}")


def _minified(answer: Mapping[str, Any]) -> str:
    return cap(json.dumps(answer, ensure_ascii=False, separators=(",", ":")), PREVIOUS_MAX_CHARS)


class StageRun(StageState):
    """One run of one stage of one SPEC, from preparation to the recorded result: the phases
    over the shared :class:`~codex_lsp.speckit.stage_state.StageState`."""

    # ------------------------------------------------------------ preparation
    @classmethod
    async def prepare(
        cls,
        workspace: Workspace,
        packet: SpecPacket,
        stage: str,
        *,
        emitter: Emitter,
        options: RunOptions | None = None,
    ) -> StageRun:
        """Check that the run may start (agents configured, evidence under its hard limit, the
        budget not spent under ``hard_stop``), build its context, announce it."""
        options = options or RunOptions()
        plan = stage_agents(workspace.config)[stage]
        if not plan.agents:
            raise SpeckitError(
                f"/speckit.{stage} has no agent to run ({plan.describe()}); "
                "configure [[agents]] or [speckit.stages]"
            )
        resume = resume_command(packet.id, stage, options.pipeline)
        evidence = Evidence(workspace)
        limits = await asyncio.to_thread(evidence.refuse_if_over, packet)
        summary = await asyncio.to_thread(
            Ledger(evidence, workspace.config.speckit).load, packet.id
        )
        check_budget(summary, workspace.config.speckit, resume)
        prompts = await asyncio.to_thread(Prompts.load, workspace)
        context = await asyncio.to_thread(build_context, workspace, packet, stage, options.task)
        setup = StageSetup(workspace, packet, stage, plan, prompts, context, options, resume)
        run = cls(setup, emitter)
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
    def _previous(self, agent: AgentSpec) -> dict[str, dict[str, Any]]:
        """The answers ``agent`` sees: all proposals for the arbiter, the earlier agents' in a
        sequential stage, none in a parallel one."""
        earlier: list[AgentSpec] = []
        if self.role(agent) == "arbiter":
            earlier = [a for a in self.order if a.name != agent.name]
        elif self.mode is Mode.SEQUENTIAL:
            earlier = list(self.order[: self.order.index(agent)])
        return {
            a.name: answer for a in earlier if (answer := self.state[a.name].answer) is not None
        }

    def request(self, agent: AgentSpec) -> AgentRequest:
        """The next request to ``agent``: its prompt (with the previous answers it sees and the
        guidance from its last invalid reply), the schema, its timeout. After
        :meth:`begin_escalation`, the arbiter's request is its second pass, at high effort."""
        state = self.state[agent.name]
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
            "USER_TEXT": f"The user adds: {self.setup.options.user_text}"
            if self.setup.options.user_text
            else "",
            "CONFLICTS": "",
        }
        values.update({f"PREVIOUS_OUTPUTS.{name}": _minified(a) for name, a in previous.items()})
        effort = agent.reasoning_effort
        parts = []
        if state.guidance:
            parts.append(state.guidance)
        if self.escalated and role == "arbiter":
            values["CONFLICTS"] = "; ".join(self.conflicts) or "(none listed)"
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
        self.state[request.agent.name].attempts = request.attempt
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
        state = self.state[request.agent.name]
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
        state = self.state[request.agent.name]
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
        for state in self.state.values():
            if state.answer is None and state.failure is None:
                state.failure = f"not asked: {reason}"

    def retry_delay_s(self, attempt: int) -> float:
        """The backoff before ``attempt`` (2, 3, …) after a provider error."""
        retry = self.settings.retry
        delay_ms: int = min(retry.max_delay_ms, retry.base_delay_ms * 2 ** max(0, attempt - 2))
        return delay_ms / 1000

    # ------------------------------------------------------------ conclusion
    def conclude(self) -> Outcome:
        """The consensus of the answers so far (after an escalation, call it again)."""
        failures = {n: s.failure or "no answer" for n, s in self.state.items() if s.answer is None}
        arbiter = self.plan.arbiter
        return decide(
            Ballot(
                spec_id=self.packet.id,
                stage=self.stage,
                participants=[a.name for a in self.plan.agents],
                answers=self.answers,
                failures=failures,
                arbiter=arbiter.name if arbiter else None,
                verdict=self.verdict(),
                required=self.plan.required,
                resume=self.resume,
            )
        )

    def begin_escalation(self, outcome: Outcome) -> AgentSpec:
        """After a conflict: the arbiter is asked again, with every proposal and the conflicts,
        at high effort, with attempts of its own. Its first answer stands until a valid second
        one replaces it. Returns the arbiter."""
        arbiter = self.plan.arbiter
        if arbiter is None:
            raise SpeckitError(f"/speckit.{self.stage} has no arbiter to settle the conflict")
        state = self.state[arbiter.name]
        state.attempts, state.guidance = 0, None
        self.conflicts = outcome.conflicts
        self.escalated = True
        return arbiter

    async def finish(self, outcome: Outcome, writer: SynthesisWriter) -> StageResult:
        """Write the synthesis (when the outcome stands), then the evidence and the store rows,
        and announce the end (:func:`~codex_lsp.speckit.stage_finish.finish_stage`)."""
        return await finish_stage(self, outcome, writer)
