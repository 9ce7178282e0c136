"""What spec-kit's agent calls cost: prices from ``[speckit.pricing]`` (by model name or
prefix), then the server's price table, else 10/30 USD per million tokens (an unknown model is
priced high on purpose, so a budget errs on the safe side); a per-SPEC ledger
(``costs/<ID>_cost_summary.json``) with warnings at 80, 90 and 100 % of the budget, and the
``hard_stop`` check made before every agent call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from codex_lsp.config.model import ModelPrice
from codex_lsp.config.speckit import SpeckitConfig
from codex_lsp.core.model_info import model_price, usage_cost
from codex_lsp.errors import BudgetExceededError
from codex_lsp.protocol.items import TokenUsage
from codex_lsp.speckit.evidence import Evidence
from codex_lsp.speckit.files import exclusive_lock

UNKNOWN_PRICE = ModelPrice(input=10.0, cached_input=10.0, output=30.0)
AlertLevel = Literal["warning", "critical", "exceeded"]
THRESHOLDS: tuple[tuple[float, AlertLevel], ...] = (
    (0.8, "warning"),
    (0.9, "critical"),
    (1.0, "exceeded"),
)


def price_of(model: str, config: SpeckitConfig) -> tuple[ModelPrice, str]:
    """The price of ``model`` and where it came from (``speckit.pricing``, ``built-in`` or
    ``unknown``); the longest matching ``[speckit.pricing]`` key wins."""
    matches = [k for k in config.pricing if model == k or model.startswith(k)]
    if matches:
        entry = config.pricing[max(matches, key=len)]
        cached = entry.input if entry.cached_input is None else entry.cached_input
        return ModelPrice(input=entry.input, cached_input=cached, output=entry.output), (
            "speckit.pricing"
        )
    known = model_price(model, None)
    if known is not None:
        return known, "built-in"
    return UNKNOWN_PRICE, "unknown"


def call_cost(usage: TokenUsage, model: str, config: SpeckitConfig) -> float:
    """The cost in USD of one agent call's ``usage`` on ``model``."""
    return usage_cost(usage, price_of(model, config)[0])


@dataclass(frozen=True)
class BudgetAlert:
    """A budget threshold crossed by a call: ``warning`` (80 %), ``critical`` (90 %),
    ``exceeded`` (100 %)."""

    level: AlertLevel
    threshold: float
    spent: float
    budget: float
    message: str


@dataclass
class CostSummary:
    """The ledger of one SPEC, as stored in its cost summary file."""

    spec_id: str
    budget: float
    total_spent: float = 0.0
    call_count: int = 0
    per_stage: dict[str, float] = field(default_factory=dict)
    per_model: dict[str, float] = field(default_factory=dict)
    started_at: str | None = None
    last_updated: str | None = None

    @property
    def utilization(self) -> float:
        """Spent / budget (0 without a budget)."""
        return self.total_spent / self.budget if self.budget > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """The file's content."""
        return {
            "spec_id": self.spec_id,
            "total_spent": round(self.total_spent, 6),
            "budget": self.budget,
            "utilization": round(self.utilization, 4),
            "call_count": self.call_count,
            "per_stage": {k: round(v, 6) for k, v in self.per_stage.items()},
            "per_model": {k: round(v, 6) for k, v in self.per_model.items()},
            "started_at": self.started_at,
            "last_updated": self.last_updated,
        }

    @classmethod
    def from_json(cls, spec_id: str, budget: float, data: dict[str, Any] | None) -> CostSummary:
        """A summary read back (the configured budget wins over the stored one)."""
        if not data:
            return cls(spec_id, budget)

        def amounts(key: str) -> dict[str, float]:
            value = data.get(key)
            if not isinstance(value, dict):
                return {}
            return {str(k): float(v) for k, v in value.items() if isinstance(v, int | float)}

        return cls(
            spec_id,
            budget,
            float(data.get("total_spent") or 0.0),
            int(data.get("call_count") or 0),
            amounts("per_stage"),
            amounts("per_model"),
            data.get("started_at"),
            data.get("last_updated"),
        )

    def add(self, stage: str, model: str, cost: float, now: datetime) -> list[BudgetAlert]:
        """Book one call; the thresholds it crossed."""
        before = round(self.utilization, 9)  # 0.04 + 0.04 of 0.10 is 80 %, not 79.99…
        self.total_spent += cost
        self.call_count += 1
        self.per_stage[stage] = self.per_stage.get(stage, 0.0) + cost
        self.per_model[model] = self.per_model.get(model, 0.0) + cost
        stamp = now.astimezone(UTC).isoformat().replace("+00:00", "Z")
        self.started_at = self.started_at or stamp
        self.last_updated = stamp
        after = round(self.utilization, 9)
        return [
            self._alert(level, t)
            for t, level in THRESHOLDS
            if self.budget > 0 and before < t <= after
        ]

    def _alert(self, level: AlertLevel, threshold: float) -> BudgetAlert:
        spent, budget = self.total_spent, self.budget
        percent = f"{self.utilization:.0%}"
        if level == "exceeded":
            text = (
                f"{self.spec_id} budget EXCEEDED: ${spent:.2f} of ${budget:.2f} spent "
                f"(${spent - budget:.2f} over budget)"
            )
        else:
            text = f"{self.spec_id} budget {level}: ${spent:.2f} of ${budget:.2f} spent ({percent})"
        return BudgetAlert(level, threshold, spent, budget, text)


def check_budget(summary: CostSummary, config: SpeckitConfig, resume: str) -> None:
    """Before an agent call: raise :class:`BudgetExceededError` when the budget is spent and
    ``speckit.hard_stop`` is on."""
    if config.hard_stop and summary.budget > 0 and summary.total_spent >= summary.budget:
        raise BudgetExceededError(
            f"{summary.spec_id} has spent ${summary.total_spent:.2f} of its "
            f"${summary.budget:.2f} budget, and speckit.hard_stop is on: no further agent is "
            f"asked. Raise speckit.budget_usd (or turn hard_stop off) and resume with: {resume}"
        )


class Ledger:
    """The cost summary files of one workspace's evidence, updated under a per-SPEC lock (two
    servers may run stages of one SPEC). Blocking: call it from a worker thread."""

    def __init__(self, evidence: Evidence, config: SpeckitConfig) -> None:
        self.evidence = evidence
        self.config = config

    def load(self, spec_id: str) -> CostSummary:
        """The SPEC's summary as stored (an empty one when there is none)."""
        data = self.evidence.read_json(self.evidence.cost_summary(spec_id))
        return CostSummary.from_json(spec_id, self.config.budget_usd, data)

    def record(
        self, spec_id: str, stage: str, model: str, cost: float, now: datetime
    ) -> tuple[CostSummary, list[BudgetAlert]]:
        """Book one call and save; the updated summary and the thresholds crossed."""
        with exclusive_lock(self.evidence.lock_file(spec_id)):
            summary = self.load(spec_id)
            alerts = summary.add(stage, model, cost, now)
            self.evidence.write_json(self.evidence.cost_summary(spec_id), summary.to_json())
        return summary, alerts
