"""Which agents each stage will use, from ``[[agents]]`` and ``[speckit.stages]``: what
``codex-lsp doctor`` and ``/speckit.status`` show, and what the stage runner asks.

With no ``[[agents]]`` at all, every stage that has agents runs on the user's own model and
provider, as its one agent and its arbiter (spec-kit works with one API key or a local model).
A stage the user did not set uses the fork's tier, keeping the names that are defined and
enabled, or every enabled agent when none of them is. Names the user did set are checked when
the configuration loads (:func:`codex_lsp.config.speckit.check_speckit`)."""

from __future__ import annotations

from dataclasses import dataclass

from codex_lsp.config.model import Config
from codex_lsp.config.speckit import NATIVE_CAPABLE, AgentConfig, StagesConfig
from codex_lsp.protocol.policies import ReasoningEffort

DEFAULT_AGENT = "default"


@dataclass(frozen=True)
class AgentSpec:
    """One agent as a stage runs it. ``model`` / ``provider`` None: the user's own."""

    name: str
    model: str | None
    provider: str | None
    reasoning_effort: ReasoningEffort | None = None

    def label(self) -> str:
        """``claude (anthropic/claude-haiku-4-5, low)``."""
        where = f"{self.provider or 'default provider'}/{self.model or 'default model'}"
        effort = f", {self.reasoning_effort.value}" if self.reasoning_effort else ""
        return f"{self.name} ({where}{effort})"


@dataclass(frozen=True)
class StageAgents:
    """The agents of one stage, its arbiter, how many answers it needs, and why."""

    stage: str
    agents: tuple[AgentSpec, ...]
    arbiter: AgentSpec | None
    required: int
    source: str
    notes: tuple[str, ...] = ()
    native: bool = False
    """The stage runs without a model (its agent list is empty)."""

    def describe(self) -> str:
        """One line for doctor and status."""
        if self.native:
            return f"{self.stage}: native (no model)"
        if not self.agents:
            return f"{self.stage}: no enabled agent; enable one in [[agents]]"
        names = ", ".join(a.label() for a in self.agents)
        arbiter = self.arbiter.name if self.arbiter else "none"
        extra = f"; {'; '.join(self.notes)}" if self.notes else ""
        return (
            f"{self.stage}: {names}; arbiter {arbiter}; needs {self.required} of "
            f"{len(self.agents)} [{self.source}]{extra}"
        )


def _spec(agent: AgentConfig) -> AgentSpec:
    return AgentSpec(agent.name, agent.model, agent.provider, agent.reasoning_effort)


def _own(config: Config) -> AgentSpec:
    return AgentSpec(
        DEFAULT_AGENT, config.model, config.model_provider, config.model_reasoning_effort
    )


def stage_agents(config: Config) -> dict[str, StageAgents]:
    """Every stage's agents, in pipeline order."""
    out: dict[str, StageAgents] = {}
    settings = config.speckit
    enabled = {a.name: a for a in config.agents if a.enabled}
    disabled = {a.name for a in config.agents if not a.enabled}
    explicit = settings.stages.explicit()
    for stage in StagesConfig.stage_names():
        names = settings.stages.named(stage)
        notes: list[str] = []
        if not names and stage in NATIVE_CAPABLE:
            out[stage] = StageAgents(stage, (), None, 0, "native", native=True)
            continue
        if not config.agents:
            own = _own(config)
            out[stage] = StageAgents(stage, (own,), own, 1, "your model: no [[agents]]")
            continue
        if stage in explicit:
            chosen, source = [enabled[n] for n in names], "speckit.stages"
        else:
            chosen = [enabled[n] for n in names if n in enabled]
            left_out = [n for n in names if n not in enabled]
            if left_out:
                why = ", ".join(
                    f"{n} ({'disabled' if n in disabled else 'not defined'})" for n in left_out
                )
                notes.append(f"left out of the default tier: {why}")
            source = "default tier"
            if not chosen:
                chosen, source = list(enabled.values()), "every enabled agent"
        if not chosen:
            out[stage] = StageAgents(stage, (), None, 0, "no enabled agent", tuple(notes))
            continue
        arbiter = enabled.get(settings.arbiter) or chosen[-1]
        specs = tuple(_spec(a) for a in chosen)
        required = min(settings.min_agents, len(specs))
        out[stage] = StageAgents(stage, specs, _spec(arbiter), required, source, tuple(notes))
    return out
