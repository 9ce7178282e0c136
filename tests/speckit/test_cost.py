"""Prices, the per-SPEC ledger and its budget alerts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from codex_lsp.config.speckit import SpeckitConfig
from codex_lsp.errors import BudgetExceededError
from codex_lsp.protocol.items import TokenUsage
from codex_lsp.speckit.cost import CostSummary, Ledger, call_cost, check_budget, price_of
from codex_lsp.speckit.evidence import Evidence
from tests.speckit.conftest import open_workspace

NOW = datetime(2025, 11, 5, tzinfo=UTC)


def test_prices_come_from_speckit_pricing_then_the_table_then_high() -> None:
    config = SpeckitConfig.model_validate(
        {
            "pricing": {
                "gemini-2.5": {"input": 0.1, "output": 0.4},
                "gemini-2.5-pro": {"input": 1.25, "output": 5},
            }
        }
    )
    price, source = price_of("gemini-2.5-pro-preview", config)
    assert (price.input, price.output, price.cached_input, source) == (
        1.25,
        5,
        1.25,
        "speckit.pricing",
    )
    assert price_of("gemini-2.5-flash", config)[0].input == 0.1
    price, source = price_of("gpt-4o-mini", config)
    assert (price.input, price.output, source) == (0.15, 0.6, "built-in")
    price, source = price_of("mystery-model", config)
    assert (price.input, price.output, source) == (10.0, 30.0, "unknown")
    usage = TokenUsage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert call_cost(usage, "mystery-model", config) == pytest.approx(40.0)
    assert call_cost(
        TokenUsage(input_tokens=1000, output_tokens=1000), "gpt-4o", config
    ) == pytest.approx(0.0125)


def test_alerts_at_80_90_and_100_percent_once_each() -> None:
    summary = CostSummary("SPEC-KIT-071", budget=0.10)
    assert summary.add("plan", "m", 0.04, NOW) == []
    warning = summary.add("plan", "m", 0.04, NOW)
    assert [a.level for a in warning] == ["warning"]
    assert warning[0].message == "SPEC-KIT-071 budget warning: $0.08 of $0.10 spent (80%)"
    both = summary.add("tasks", "n", 0.04, NOW)
    assert [a.level for a in both] == ["critical", "exceeded"]
    assert (
        both[1].message == "SPEC-KIT-071 budget EXCEEDED: $0.12 of $0.10 spent ($0.02 over budget)"
    )
    assert summary.add("tasks", "n", 0.04, NOW) == []
    assert CostSummary("S", budget=0).add("plan", "m", 5.0, NOW) == []


def test_hard_stop_refuses_once_the_budget_is_spent() -> None:
    summary = CostSummary("SPEC-KIT-071", budget=0.10, total_spent=0.10)
    check_budget(summary, SpeckitConfig(), "/r")
    with pytest.raises(BudgetExceededError) as caught:
        check_budget(summary, SpeckitConfig(hard_stop=True), "/speckit.plan SPEC-KIT-071")
    assert "no further agent is asked" in caught.value.message
    assert caught.value.message.endswith("resume with: /speckit.plan SPEC-KIT-071")
    check_budget(
        CostSummary("S", budget=0.10, total_spent=0.09), SpeckitConfig(hard_stop=True), "/r"
    )


def test_the_cost_summary_file(fork_repo: Path, tmp_path: Path) -> None:
    ws = open_workspace(fork_repo, tmp_path / "home", "[speckit]\nbudget_usd = 0.5\n")
    ledger = Ledger(Evidence(ws), ws.config.speckit)
    ledger.record("SPEC-KIT-071", "plan", "gpt-5", 0.1, NOW)
    _, alerts = ledger.record("SPEC-KIT-071", "tasks", "claude-haiku-4-5", 0.3, NOW)
    assert [a.level for a in alerts] == ["warning"]
    path = (
        fork_repo
        / "docs/SPEC-OPS-004-integrated-coder-hooks/evidence/costs/SPEC-KIT-071_cost_summary.json"
    )
    data = json.loads(path.read_text())
    assert data == {
        "spec_id": "SPEC-KIT-071",
        "total_spent": 0.4,
        "budget": 0.5,
        "utilization": 0.8,
        "call_count": 2,
        "per_stage": {"plan": 0.1, "tasks": 0.3},
        "per_model": {"gpt-5": 0.1, "claude-haiku-4-5": 0.3},
        "started_at": "2025-11-05T00:00:00Z",
        "last_updated": "2025-11-05T00:00:00Z",
    }
    assert ledger.load("SPEC-KIT-071").total_spent == pytest.approx(0.4)
    path.write_text("garbage")
    assert ledger.load("SPEC-KIT-071").total_spent == 0.0
