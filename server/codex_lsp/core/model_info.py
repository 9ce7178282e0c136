"""What codex-lsp knows about model families: their context windows and prices."""

from __future__ import annotations

from codex_lsp.config.model import ModelPrice
from codex_lsp.protocol.items import TokenUsage

_CONTEXT_WINDOWS: tuple[tuple[str, int], ...] = (
    ("gpt-5", 272_000),
    ("gpt-4.1", 1_047_576),
    ("gpt-4o", 128_000),
    ("o3", 200_000),
    ("o4-mini", 200_000),
    ("gpt-oss", 131_072),
    ("claude", 200_000),
)

# USD per million tokens (input, cached input, output), from the providers' public price lists;
# the longest matching prefix wins.
_PRICES: dict[str, tuple[float, float, float]] = {
    "gpt-5": (1.25, 0.125, 10.0),
    "gpt-5-codex": (1.25, 0.125, 10.0),
    "gpt-5-mini": (0.25, 0.025, 2.0),
    "gpt-5-nano": (0.05, 0.005, 0.4),
    "gpt-4.1": (2.0, 0.5, 8.0),
    "gpt-4.1-mini": (0.4, 0.1, 1.6),
    "gpt-4.1-nano": (0.1, 0.025, 0.4),
    "gpt-4o": (2.5, 1.25, 10.0),
    "gpt-4o-mini": (0.15, 0.075, 0.6),
    "o3": (2.0, 0.5, 8.0),
    "o4-mini": (1.1, 0.275, 4.4),
    "claude-opus-4": (15.0, 1.5, 75.0),
    "claude-sonnet-4": (3.0, 0.3, 15.0),
    "claude-haiku-4": (1.0, 0.1, 5.0),
    "claude-3-5-haiku": (0.8, 0.08, 4.0),
}


def context_window(model: str, configured: int | None) -> int | None:
    """The configured window, else the known one for the model's family, else ``None``."""
    if configured:
        return configured
    for prefix, window in _CONTEXT_WINDOWS:
        if model.startswith(prefix):
            return window
    return None


def model_price(model: str, configured: ModelPrice | None) -> ModelPrice | None:
    """The configured price, else the published one of the model's family, else ``None``
    (local models, unknown names: no cost is shown)."""
    if configured is not None:
        return configured
    known = [prefix for prefix in _PRICES if model.startswith(prefix)]
    if not known:
        return None
    inp, cached, out = _PRICES[max(known, key=len)]
    return ModelPrice(input=inp, cached_input=cached, output=out)


def usage_cost(usage: TokenUsage, price: ModelPrice) -> float:
    """What ``usage`` costs in USD at ``price``."""
    uncached = max(0, usage.input_tokens - usage.cached_input_tokens)
    micro = (
        uncached * price.input
        + usage.cached_input_tokens * price.cached_input
        + usage.output_tokens * price.output
    )
    return micro / 1_000_000
