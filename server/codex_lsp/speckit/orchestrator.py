"""Drives a :class:`~codex_lsp.speckit.engine.StageRun` with an agent runner: the proposing
agents side by side (a parallel stage) or one after another, each seeing the earlier answers (a
sequential one), then the arbiter; each agent asked until its answer is usable or its attempts
are spent (a provider error after a backoff, an unusable answer at once with the guidance); a
conflict put to the arbiter once more at high effort; every call bounded by the agent's timeout
and the stage's total; no call once the budget is spent under ``hard_stop``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from codex_lsp.errors import BudgetExceededError
from codex_lsp.speckit.agent_calls import AgentFailure, AgentReply, AgentRequest, AgentRunner
from codex_lsp.speckit.agents import AgentSpec
from codex_lsp.speckit.consensus import Outcome, needs_escalation
from codex_lsp.speckit.engine import StageRun
from codex_lsp.speckit.stage_finish import StageResult
from codex_lsp.speckit.stage_sinks import SynthesisWriter
from codex_lsp.speckit.stages import Mode

Sleep = Callable[[float], Awaitable[None]]


async def _call(runner: AgentRunner, request: AgentRequest) -> AgentReply | AgentFailure:
    """One call within its timeout (cancelling the runner's work when it is over)."""
    try:
        async with asyncio.timeout(request.timeout_s):
            return await runner.run(request)
    except TimeoutError:
        return AgentFailure(
            f"no answer within {request.timeout_s:g} s (speckit.timeouts)", retryable=True
        )


async def ask(run: StageRun, runner: AgentRunner, agent: AgentSpec, sleep: Sleep) -> None:
    """Ask ``agent`` until it answers, gives up, or the run stops (budget, total timeout)."""
    while True:
        if time.monotonic() >= run.deadline:
            total = run.settings.timeouts.total
            run.stop(f"the stage's total timeout of {total:g} s (speckit.timeouts.total) passed")
            return
        request = run.request(agent)
        try:
            await run.start_call(request)
        except BudgetExceededError as exc:
            run.stop(exc.message)
            return
        accepted = await run.accept(request, await _call(runner, request))
        if not accepted.retry:
            return
        if accepted.delay_s:
            await sleep(min(accepted.delay_s, max(0.0, run.deadline - time.monotonic())))


async def gather_answers(run: StageRun, runner: AgentRunner, sleep: Sleep) -> Outcome:
    """Every agent's answer, then the consensus (after one escalation when it conflicts)."""
    arbiter = run.plan.arbiter
    proposers = [a for a in run.order if arbiter is None or a.name != arbiter.name]
    if run.mode is Mode.PARALLEL:
        async with asyncio.TaskGroup() as group:
            for agent in proposers:
                group.create_task(ask(run, runner, agent, sleep))
    else:
        for agent in proposers:
            await ask(run, runner, agent, sleep)
    if arbiter is not None:
        await ask(run, runner, arbiter, sleep)
    outcome = run.conclude()
    if needs_escalation(outcome, run.escalated):
        await ask(run, runner, run.begin_escalation(outcome), sleep)
        outcome = run.conclude()
    return outcome


async def run_stage(
    run: StageRun,
    runner: AgentRunner,
    writer: SynthesisWriter,
    sleep: Sleep = asyncio.sleep,
) -> StageResult:
    """The whole stage: the answers, the consensus, then the synthesis (written by ``writer``
    when the outcome stands), the evidence and the store rows."""
    outcome = await gather_answers(run, runner, sleep)
    return await run.finish(outcome, writer)
