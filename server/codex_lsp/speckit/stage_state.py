"""The state of one stage run shared by its phases: what it was prepared with
(:class:`StageSetup`), each agent's attempts and answer (:class:`AgentState`), and the views on
them that the requests, the consensus and the records read (:class:`StageState`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from codex_lsp.protocol.items import TokenUsage
from codex_lsp.speckit.agent_calls import AgentReply
from codex_lsp.speckit.agents import AgentSpec, StageAgents
from codex_lsp.speckit.consensus import Verdict
from codex_lsp.speckit.context import Context
from codex_lsp.speckit.cost import Ledger
from codex_lsp.speckit.evidence import Evidence
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.prompts import Prompts
from codex_lsp.speckit.stage_sinks import Emitter
from codex_lsp.speckit.stages import STAGES
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.store.speckit_runs import AgentOutput, SpeckitRuns


@dataclass(frozen=True)
class RunOptions:
    """How a stage run is started by its caller: the store it records into, the conversation
    it runs in, what the user added, the task it is limited to, and whether it is part of
    ``/speckit.auto`` (which decides the resume command)."""

    runs: SpeckitRuns | None = None
    session_id: str | None = None
    user_text: str = ""
    task: str | None = None
    pipeline: bool = False


@dataclass(frozen=True)
class StageSetup:
    """What a stage run was prepared with: the SPEC, the stage, its agents, prompts and
    context, the caller's options and the command that resumes it."""

    workspace: Workspace
    packet: SpecPacket
    stage: str
    plan: StageAgents
    prompts: Prompts
    context: Context
    options: RunOptions
    resume: str


@dataclass
class AgentState:
    """One agent's progress in a run: its attempts, its valid answer or why it has none, the
    guidance its next request carries, and what it cost."""

    attempts: int = 0
    answer: dict[str, Any] | None = None
    reply: AgentReply | None = None
    failure: str | None = None
    guidance: str | None = None
    cost: float = 0.0
    usage: TokenUsage = field(default_factory=TokenUsage)
    model: str | None = None
    conversation_id: str | None = None


class StageState:
    """One run of one stage of one SPEC: its setup, its agents' states and the views on them."""

    def __init__(self, setup: StageSetup, emitter: Emitter) -> None:
        self.setup = setup
        self.workspace = setup.workspace
        self.packet = setup.packet
        self.stage = setup.stage
        self.plan = setup.plan
        self.mode = STAGES[setup.stage].mode
        self.prompts = setup.prompts
        self.context = setup.context
        self.emit = emitter
        self.resume = setup.resume
        self.settings = setup.workspace.config.speckit
        self.evidence = Evidence(setup.workspace)
        self.ledger = Ledger(self.evidence, self.settings)
        self.started = datetime.now(UTC)
        self.deadline = time.monotonic() + self.settings.timeouts.total
        self.escalated = False
        self.conflicts: tuple[str, ...] = ()
        """The conflicts the arbiter is asked to settle in its second pass."""
        self.stopped: str | None = None
        self.warnings: list[str] = []
        arbiter = setup.plan.arbiter
        proposers = [a for a in setup.plan.agents if arbiter is None or a.name != arbiter.name]
        self.order: tuple[AgentSpec, ...] = (*proposers, *([arbiter] if arbiter else []))
        """Who is asked, in order: the proposing agents, then the arbiter."""
        self.state: dict[str, AgentState] = {a.name: AgentState() for a in self.order}
        """Each agent's progress, by name."""

    def role(self, agent: AgentSpec) -> str:
        """``arbiter`` or ``agent``."""
        arbiter = self.plan.arbiter
        return "arbiter" if arbiter is not None and agent.name == arbiter.name else "agent"

    @property
    def conversations(self) -> dict[str, str]:
        """Each asked agent's (last) conversation, by agent."""
        return {n: s.conversation_id for n, s in self.state.items() if s.conversation_id}

    @property
    def answers(self) -> dict[str, dict[str, Any]]:
        """The valid answers so far, by agent."""
        return {n: s.answer for n, s in self.state.items() if s.answer is not None}

    def verdict(self) -> Verdict | None:
        """The arbiter's verdict, when it gave a valid answer."""
        arbiter = self.plan.arbiter
        answer = self.state[arbiter.name].answer if arbiter else None
        return Verdict.of(answer) if answer is not None else None

    def prompt_version(self) -> str:
        """The version of the prompt that shaped the result (the arbiter's, or the last
        agent's)."""
        arbiter = self.plan.arbiter or self.order[-1]
        return self.prompts.entry(self.stage, arbiter.name, self.role(arbiter)).version

    def outputs(self) -> list[AgentOutput]:
        """Each asked agent's answer, error, attempts and cost, as the store records them."""
        out = []
        for agent in self.order:
            state = self.state[agent.name]
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
