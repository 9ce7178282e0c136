"""One call of one agent, as the stage engine sees it: the request, the reply or the failure,
the runner that turns one into the other, and what the engine made of the reply."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from codex_lsp.protocol.items import TokenUsage
from codex_lsp.protocol.policies import ReasoningEffort
from codex_lsp.speckit.agents import AgentSpec
from codex_lsp.speckit.schemas import Schema


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


@dataclass(frozen=True)
class Accepted:
    """What :meth:`StageRun.accept` made of a reply: usable, or to be asked again (with the
    guidance the next request carries), or given up."""

    ok: bool
    retry: bool
    problems: tuple[str, ...] = ()
    delay_s: float = 0.0
    """How long to wait before asking again (a backoff after a provider error)."""
