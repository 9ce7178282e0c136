"""``[[agents]]`` and ``[speckit]``: the models spec-kit stages run on and how its runs are
bounded (layout, consensus, budget, evidence, timeouts, retries, prices). The defaults of
``[speckit.stages]`` are the fork's tiers; :func:`check_speckit` rejects a stage or arbiter that
names an agent which is not defined or is disabled."""

from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from codex_lsp.errors import ConfigError
from codex_lsp.protocol.policies import ReasoningEffort


class _Table(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class AgentConfig(_Table):
    """One ``[[agents]]`` entry: a named model spec-kit stages can use."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="The name stages use (e.g. gemini, claude, gpt_pro, gpt_codex, code).",
    )
    model: str | None = Field(
        default=None, description="Model name; the provider's default model when unset."
    )
    provider: str | None = Field(
        default=None,
        description="A key of [model_providers] (or a built-in provider); model_provider when "
        "unset.",
    )
    reasoning_effort: ReasoningEffort | None = Field(
        default=None, description="Reasoning effort of this agent's requests."
    )
    enabled: bool = Field(
        default=True, description="A disabled agent is left out of the stages that default to it."
    )


class LayoutSetting(StrEnum):
    """Where SPEC folders live."""

    AUTO = "auto"
    FORK = "fork"
    GITHUB = "github"


NATIVE_CAPABLE = frozenset({"clarify", "analyze", "checklist", "constitution"})
"""Stages with a native (no model) implementation, used when their agent list is empty."""


class StagesConfig(_Table):
    """``[speckit.stages]``: the agents of each stage, by ``[[agents]]`` name. The defaults are the
    fork's tiers; an empty list makes clarify, analyze, checklist and constitution native."""

    specify: list[str] = Field(
        default_factory=lambda: ["gpt_pro"], description="/speckit.specify (one agent)."
    )
    clarify: list[str] = Field(
        default=[], description="/speckit.clarify; empty = native heuristics."
    )
    analyze: list[str] = Field(
        default=[], description="/speckit.analyze; empty = native heuristics."
    )
    checklist: list[str] = Field(
        default=[], description="/speckit.checklist; empty = native scoring."
    )
    plan: list[str] = Field(
        default_factory=lambda: ["gemini", "claude", "gpt_pro"],
        description="/speckit.plan (sequential).",
    )
    tasks: list[str] = Field(
        default_factory=lambda: ["gemini", "claude", "gpt_pro"],
        description="/speckit.tasks (sequential).",
    )
    implement: list[str] = Field(
        default_factory=lambda: ["gemini", "claude", "gpt_codex", "gpt_pro"],
        description="/speckit.implement (sequential).",
    )
    validate_: list[str] = Field(
        default_factory=lambda: ["gemini", "claude", "gpt_pro"],
        alias="validate",
        description="/speckit.validate (parallel).",
    )
    audit: list[str] = Field(
        default_factory=lambda: ["gemini", "claude", "gpt_pro"],
        description="/speckit.audit (parallel).",
    )
    unlock: list[str] = Field(
        default_factory=lambda: ["gemini", "claude", "gpt_pro"],
        description="/speckit.unlock (parallel).",
    )
    constitution: list[str] = Field(
        default_factory=lambda: ["gpt_pro"],
        description="/speckit.constitution; empty = native (create it from the template).",
    )

    def named(self, stage: str) -> list[str]:
        """The agent names configured (or defaulted) for ``stage``."""
        field = "validate_" if stage == "validate" else stage
        value: list[str] = getattr(self, field)
        return value

    def explicit(self) -> set[str]:
        """The stages the user set (the others use the defaults)."""
        return {"validate" if f == "validate_" else f for f in self.model_fields_set}

    @classmethod
    def stage_names(cls) -> list[str]:
        """Every stage with an agent list, in pipeline order."""
        return ["validate" if f == "validate_" else f for f in cls.model_fields]


class GateKind(StrEnum):
    """The stage a quality-gate checkpoint runs."""

    CLARIFY = "clarify"
    CHECKLIST = "checklist"
    ANALYZE = "analyze"


class QualityGatesConfig(_Table):
    """``[speckit.quality_gates]``: the checks /speckit.auto runs between stages."""

    enabled: bool = Field(default=True, description="Run the quality gates in /speckit.auto.")
    before_plan: GateKind | None = Field(
        default=GateKind.CLARIFY, description="Gate before plan (clarify, checklist or analyze)."
    )
    before_tasks: GateKind | None = Field(
        default=GateKind.CHECKLIST, description="Gate before tasks."
    )
    before_implement: GateKind | None = Field(
        default=GateKind.ANALYZE, description="Gate before implement."
    )
    auto_apply_min_confidence: float = Field(
        default=0.67, ge=0, le=1, description="Least agreement for an automatic fix."
    )


class TimeoutsConfig(_Table):
    """``[speckit.timeouts]``, in seconds."""

    agent: float = Field(default=1200, gt=0, description="One agent's answer (one attempt).")
    total: float = Field(default=1800, gt=0, description="A whole stage, every agent included.")


class RetryConfig(_Table):
    """``[speckit.retry]``: how often an agent is asked again."""

    max_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Attempts per agent, for a provider error or an answer that is not valid.",
    )
    base_delay_ms: int = Field(default=1000, ge=0, description="First backoff delay.")
    max_delay_ms: int = Field(default=30_000, ge=0, description="Longest backoff delay.")


class AgentPrice(_Table):
    """One ``[speckit.pricing."<model>"]`` entry, in USD per million tokens."""

    input: float = Field(ge=0, description="USD per million input tokens.")
    output: float = Field(ge=0, description="USD per million output tokens.")
    cached_input: float | None = Field(
        default=None, ge=0, description="USD per million cached input tokens; input when unset."
    )


class SpeckitConfig(_Table):
    """``[speckit]``: spec-kit's layout, consensus, budget and evidence settings."""

    layout: LayoutSetting = Field(
        default=LayoutSetting.AUTO,
        description="auto (GitHub's when .specify/ or specs/NNN-* exists, else the fork's), "
        "fork or github.",
    )
    create_branch: bool = Field(
        default=False, description="/speckit.new also creates and checks out a git branch."
    )
    arbiter: str = Field(
        default="gpt_pro",
        description="The agent whose consensus block decides; when it is not defined, the last "
        "agent of each stage.",
    )
    min_agents: int = Field(
        default=2, ge=1, description="Answers a stage needs (all of them when it has fewer)."
    )
    budget_usd: float = Field(
        default=2.0, ge=0, description="Budget per SPEC in USD (0: none); warnings at 80/90/100%."
    )
    hard_stop: bool = Field(
        default=False, description="Refuse further agent calls once the budget is spent."
    )
    evidence_dir: Path | None = Field(
        default=None,
        description="Evidence folder, relative to the project; the fork's "
        "docs/SPEC-OPS-004-integrated-coder-hooks/evidence or .specify/evidence when unset.",
    )
    evidence_soft_limit_mb: float = Field(
        default=25, gt=0, description="Evidence per SPEC above which status warns."
    )
    evidence_hard_limit_mb: float = Field(
        default=50, gt=0, description="Evidence per SPEC above which a new run is refused."
    )
    stale_hours: float = Field(
        default=24, gt=0, description="A stage not updated for this long is shown as stale."
    )
    context_file_max_chars: int = Field(
        default=20_000, ge=1000, description="Most characters of each file in an agent's context."
    )
    stages: StagesConfig = Field(default_factory=StagesConfig)
    quality_gates: QualityGatesConfig = Field(default_factory=QualityGatesConfig)
    timeouts: TimeoutsConfig = Field(default_factory=TimeoutsConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    pricing: dict[str, AgentPrice] = Field(
        default_factory=dict,
        description="Prices by model name (or prefix) over the built-in table; unknown models "
        "are priced 10/30 on purpose.",
    )


MODEL_ONLY = frozenset(StagesConfig.stage_names()) - NATIVE_CAPABLE


def check_speckit(
    agents: list[AgentConfig], speckit: SpeckitConfig, providers: Iterable[str]
) -> None:
    """Raise :class:`ConfigError` for an agent list spec-kit cannot run: a duplicate or unknown
    provider in ``[[agents]]``, a stage or arbiter naming an agent that is not defined or is
    disabled, an empty stage that has no native implementation, limits that contradict."""
    known_providers = set(providers)
    by_name: dict[str, AgentConfig] = {}
    for agent in agents:
        if agent.name in by_name:
            raise ConfigError(
                f"invalid configuration: [[agents]] defines {agent.name!r} twice; give each "
                "agent its own name"
            )
        by_name[agent.name] = agent
        if agent.provider is not None and agent.provider not in known_providers:
            raise ConfigError(
                f"invalid configuration: [[agents]] {agent.name!r} uses provider "
                f"{agent.provider!r}, which is not defined (known: "
                f"{', '.join(sorted(known_providers))}); add [model_providers.{agent.provider}]"
            )
    for stage in sorted(speckit.stages.explicit()):
        names = speckit.stages.named(stage)
        if not names and stage in MODEL_ONLY:
            raise ConfigError(
                f"invalid configuration: speckit.stages.{stage} is empty, but {stage} has no "
                "native implementation; name at least one [[agents]] entry"
            )
        for name in names:
            _check_name(f"speckit.stages.{stage}", name, by_name)
    if "arbiter" in speckit.model_fields_set:
        _check_name("speckit.arbiter", speckit.arbiter, by_name)
    if speckit.evidence_hard_limit_mb < speckit.evidence_soft_limit_mb:
        raise ConfigError(
            "invalid configuration: speckit.evidence_hard_limit_mb "
            f"({speckit.evidence_hard_limit_mb:g}) is below speckit.evidence_soft_limit_mb "
            f"({speckit.evidence_soft_limit_mb:g}); the hard limit must be the larger"
        )


def _check_name(key: str, name: str, by_name: dict[str, AgentConfig]) -> None:
    agent = by_name.get(name)
    if agent is None:
        known = ", ".join(sorted(by_name)) or "none are defined"
        raise ConfigError(
            f"invalid configuration: {key} names agent {name!r}, which is not in [[agents]] "
            f"(known: {known}); add an [[agents]] entry with name = {name!r} or remove it "
            "from the list"
        )
    if not agent.enabled:
        raise ConfigError(
            f"invalid configuration: {key} names agent {name!r}, which is disabled "
            "(enabled = false); enable it or remove it from the list"
        )
