"""A scripted :class:`AgentRunner` and the smallest driver of a :class:`StageRun` (what part
1b's orchestrator does with core conversations, concurrency and backoff): ask each agent until
its answer is usable or its attempts are spent, escalate a conflict to the arbiter once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from codex_lsp.errors import BudgetExceededError
from codex_lsp.protocol.items import TokenUsage
from codex_lsp.speckit.agent_calls import AgentFailure, AgentReply, AgentRequest
from codex_lsp.speckit.agents import AgentSpec
from codex_lsp.speckit.consensus import Outcome, needs_escalation
from codex_lsp.speckit.engine import StageRun

Step = str | dict[str, Any] | AgentFailure


class ScriptedRunner:
    """Each agent answers from its own script (text, an answer dict sent as fenced JSON, or a
    failure); every request is recorded."""

    def __init__(self, scripts: dict[str, Sequence[Step]], usage: TokenUsage | None = None) -> None:
        self.scripts = {name: list(steps) for name, steps in scripts.items()}
        self.usage = usage or TokenUsage(input_tokens=100, output_tokens=50)
        self.requests: list[AgentRequest] = []

    def of(self, agent: str) -> list[AgentRequest]:
        """The requests ``agent`` got."""
        return [r for r in self.requests if r.agent.name == agent]

    async def run(self, request: AgentRequest) -> AgentReply | AgentFailure:
        self.requests.append(request)
        script = self.scripts[request.agent.name]
        step = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(step, AgentFailure):
            return step
        text = step if isinstance(step, str) else "```json\n" + json.dumps(step) + "\n```"
        model = request.agent.model or "fake-model"
        return AgentReply(text, self.usage, model, f"conv-{request.agent.name}-{request.attempt}")


async def ask(run: StageRun, runner: ScriptedRunner, agent: AgentSpec) -> None:
    """Ask ``agent`` until it answers, gives up, or the budget stops the run."""
    while True:
        request = run.request(agent)
        try:
            await run.start_call(request)
        except BudgetExceededError as exc:
            run.stop(exc.message)
            return
        if not (await run.accept(request, await runner.run(request))).retry:
            return


async def drive(run: StageRun, runner: ScriptedRunner) -> Outcome:
    """Every agent in order, then one escalation if the arbiter reported conflicts."""
    for agent in run.order:
        await ask(run, runner, agent)
    outcome = run.conclude()
    if needs_escalation(outcome, run.escalated):
        await ask(run, runner, run.begin_escalation(outcome))
        outcome = run.conclude()
    return outcome
