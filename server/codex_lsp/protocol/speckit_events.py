"""The events of a spec-kit stage run: stage started, agent started, agent answered, retry
(with the guidance sent), consensus, cost (with budget alerts), stage completed. They travel as
the ``msg`` of ``codex/event`` on the conversation the command was typed in (the agents' own
conversations are separate, stored, and named in ``speckitStageCompleted``)."""

from typing import Literal

from codex_lsp.protocol.base import WireModel


class _SpeckitEvent(WireModel):
    spec_id: str
    stage: str


class SpeckitStageStartedEvent(_SpeckitEvent):
    """A stage run begins: its agents, arbiter and mode."""

    type: Literal["speckitStageStarted"] = "speckitStageStarted"
    agents: list[str]
    arbiter: str | None
    mode: str
    warnings: list[str] = []


class SpeckitAgentStartedEvent(_SpeckitEvent):
    """An agent is asked (``attempt`` counts from 1)."""

    type: Literal["speckitAgentStarted"] = "speckitAgentStarted"
    agent: str
    model: str | None
    role: str
    attempt: int


class SpeckitAgentAnsweredEvent(_SpeckitEvent):
    """An agent's reply was checked: usable or not, what it cost, and the agent's conversation."""

    type: Literal["speckitAgentAnswered"] = "speckitAgentAnswered"
    agent: str
    attempt: int
    ok: bool
    cost_usd: float
    problems: list[str] = []
    conversation_id: str | None = None


class SpeckitAgentRetryEvent(_SpeckitEvent):
    """An agent is asked again, with the guidance it is given (after a provider error, after
    ``retryInMs``)."""

    type: Literal["speckitAgentRetry"] = "speckitAgentRetry"
    agent: str
    attempt: int
    """The attempt about to be made."""
    max_attempts: int
    reason: str
    guidance: str
    retry_in_ms: int = 0


class SpeckitConsensusEvent(_SpeckitEvent):
    """The stage's consensus."""

    type: Literal["speckitConsensus"] = "speckitConsensus"
    status: str
    agreements: list[str]
    conflicts: list[str]
    missing_agents: dict[str, str]
    escalated: bool = False


class SpeckitCostEvent(_SpeckitEvent):
    """The SPEC's spending after a call, and the budget alert it crossed, if any."""

    type: Literal["speckitCost"] = "speckitCost"
    total_spent: float
    budget: float
    utilization: float
    alert: Literal["warning", "critical", "exceeded"] | None = None
    message: str | None = None


class SpeckitStageCompletedEvent(_SpeckitEvent):
    """The stage run ended: its status, the files written, the message, how to resume, and
    each agent's conversation (stored, archived; open it by id)."""

    type: Literal["speckitStageCompleted"] = "speckitStageCompleted"
    status: str
    files: list[str]
    message: str
    resume: str | None = None
    conversations: dict[str, str] = {}


class SpeckitAutoProgressEvent(_SpeckitEvent):
    """Where a ``/speckit.auto`` run is, after each of its transitions and each agent's answer:
    stage ``stageNumber`` of ``stageCount`` (``stage`` is the stage it is at), the run's state
    (running, waiting, stopped, interrupted, completed), the agents that answered in this
    stage, the cost so far, and why it stopped or waits."""

    type: Literal["speckitAutoProgress"] = "speckitAutoProgress"
    run_id: str
    stage_number: int
    stage_count: int
    state: Literal["running", "waiting", "stopped", "interrupted", "completed"]
    agents_answered: int = 0
    agents: int = 0
    cost_usd: float = 0.0
    reason: str | None = None
    resume: str | None = None


class SpeckitGateQuestion(WireModel):
    """One issue a quality gate puts to the user: what it asks, how much it matters, the answers
    the agents suggested (the majority's first; each is an answer a client can send as it is),
    and where it is a diagnostic (``line`` 0-based in ``file``, relative to the workspace)."""

    issue_id: str
    question: str
    magnitude: Literal["critical", "important", "minor"]
    options: list[str] = []
    file: str | None = None
    line: int | None = None


class SpeckitGateEvent(_SpeckitEvent):
    """A quality gate of a ``/speckit.auto`` run was held before ``stage``: the issues fixed
    automatically (each file backed up first: ``backups``), those put to the user (diagnostics
    with code actions on the SPEC's files; ``critical`` ones hold the run until answered), and
    each of the latter's question and suggested answers (``questions``, in ``asked``'s order)."""

    type: Literal["speckitGate"] = "speckitGate"
    run_id: str
    checkpoint: str
    gate: str
    auto_fixed: list[str] = []
    asked: list[str] = []
    critical: list[str] = []
    backups: list[str] = []
    questions: list[SpeckitGateQuestion] = []


SpeckitEvent = (
    SpeckitStageStartedEvent
    | SpeckitAgentStartedEvent
    | SpeckitAgentAnsweredEvent
    | SpeckitAgentRetryEvent
    | SpeckitConsensusEvent
    | SpeckitCostEvent
    | SpeckitStageCompletedEvent
    | SpeckitAutoProgressEvent
    | SpeckitGateEvent
)
"""Every spec-kit event (each is also a member of :data:`codex_lsp.protocol.events.EventMsg`)."""
