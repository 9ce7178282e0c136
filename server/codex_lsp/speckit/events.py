"""What a stage run tells its front end as it goes: stage started, agent started, agent answered,
retry (with the guidance sent), consensus, cost (with budget alerts), stage completed. Wire
models in the protocol's style (``type`` in lowerCamelCase, camelCase fields), given to an
:class:`~codex_lsp.speckit.engine.Emitter`; the conversation the command was typed in carries
them to the client."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from codex_lsp.protocol.base import WireModel


class _SpeckitEvent(WireModel):
    spec_id: str
    stage: str


class StageStartedEvent(_SpeckitEvent):
    """A stage run begins: its agents, arbiter and mode."""

    type: Literal["speckitStageStarted"] = "speckitStageStarted"
    agents: list[str]
    arbiter: str | None
    mode: str
    warnings: list[str] = []


class AgentStartedEvent(_SpeckitEvent):
    """An agent is asked (``attempt`` counts from 1)."""

    type: Literal["speckitAgentStarted"] = "speckitAgentStarted"
    agent: str
    model: str | None
    role: str
    attempt: int


class AgentAnsweredEvent(_SpeckitEvent):
    """An agent's reply was checked: usable or not, and what it cost."""

    type: Literal["speckitAgentAnswered"] = "speckitAgentAnswered"
    agent: str
    attempt: int
    ok: bool
    cost_usd: float
    problems: list[str] = []


class AgentRetryEvent(_SpeckitEvent):
    """An agent is asked again, with the guidance it is given."""

    type: Literal["speckitAgentRetry"] = "speckitAgentRetry"
    agent: str
    attempt: int
    """The attempt about to be made."""
    max_attempts: int
    reason: str
    guidance: str


class ConsensusEvent(_SpeckitEvent):
    """The stage's consensus."""

    type: Literal["speckitConsensus"] = "speckitConsensus"
    status: str
    agreements: list[str]
    conflicts: list[str]
    missing_agents: dict[str, str]
    escalated: bool = False


class CostEvent(_SpeckitEvent):
    """The SPEC's spending after a call, and the budget alert it crossed, if any."""

    type: Literal["speckitCost"] = "speckitCost"
    total_spent: float
    budget: float
    utilization: float
    alert: Literal["warning", "critical", "exceeded"] | None = None
    message: str | None = None


class StageCompletedEvent(_SpeckitEvent):
    """The stage run ended: its status, the files written, the message, how to resume."""

    type: Literal["speckitStageCompleted"] = "speckitStageCompleted"
    status: str
    files: list[str]
    message: str
    resume: str | None = None


SpeckitEvent = Annotated[
    StageStartedEvent
    | AgentStartedEvent
    | AgentAnsweredEvent
    | AgentRetryEvent
    | ConsensusEvent
    | CostEvent
    | StageCompletedEvent,
    Field(discriminator="type"),
]
