"""Model facts: prices for the session cost."""

from __future__ import annotations

import pytest

from codex_lsp.config.model import ModelPrice
from codex_lsp.core.model_info import model_price, usage_cost
from codex_lsp.protocol.items import TokenUsage


def test_the_longest_matching_family_prices_a_model() -> None:
    mini = model_price("gpt-5-mini-2025-08-07", None)
    full = model_price("gpt-5", None)
    assert mini is not None and full is not None and mini.output < full.output
    assert model_price("llama3.1:8b", None) is None


def test_a_configured_price_wins_and_cached_input_is_cheaper() -> None:
    price = ModelPrice(input=2.0, cached_input=0.5, output=8.0)
    assert model_price("gpt-5", price) is price
    usage = TokenUsage(input_tokens=1_000_000, cached_input_tokens=400_000, output_tokens=10_000)
    assert usage_cost(usage, price) == pytest.approx(0.6 * 2.0 + 0.4 * 0.5 + 0.01 * 8.0)
