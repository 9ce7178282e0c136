"""What codex-lsp knows about model families: their context windows, prices and reasoning
efforts, and the built-in list a model picker falls back to when the provider lists none."""

from __future__ import annotations

from typing import TypeVar

from codex_lsp.config.model import ModelPrice
from codex_lsp.protocol.items import TokenUsage
from codex_lsp.protocol.policies import ReasoningEffort

_T = TypeVar("_T")
_E = ReasoningEffort
_GPT5_EFFORTS = (_E.MINIMAL, _E.LOW, _E.MEDIUM, _E.HIGH)
_THREE_EFFORTS = (_E.LOW, _E.MEDIUM, _E.HIGH)

# Reasoning efforts a family accepts (empty: not a reasoning model); the longest prefix wins.
_EFFORTS: dict[str, tuple[ReasoningEffort, ...]] = {
    "gpt-5": _GPT5_EFFORTS,
    "gpt-5-codex": _THREE_EFFORTS,
    "gpt-5.1-codex": _THREE_EFFORTS,
    "gpt-4.1": (),
    "gpt-4o": (),
    "o3": _THREE_EFFORTS,
    "o4-mini": _THREE_EFFORTS,
    "gpt-oss": _THREE_EFFORTS,
    "claude-opus-4": _GPT5_EFFORTS,
    "claude-sonnet-4": _GPT5_EFFORTS,
    "claude-haiku-4": _GPT5_EFFORTS,
    "claude-3-5": (),
}

BUILT_IN_MODELS: dict[str, tuple[str, ...]] = {
    "openai": ("gpt-5-codex", "gpt-5", "gpt-5-mini", "gpt-5-nano", "o3", "o4-mini", "gpt-4.1"),
    "anthropic": ("claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"),
    "ollama": ("gpt-oss:20b", "gpt-oss:120b"),
}
"""The models a picker offers per family when the provider's own list cannot be had."""

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
    known = _longest_prefix(model, _PRICES)
    if known is None:
        return None
    inp, cached, out = known
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


def _longest_prefix(model: str, table: dict[str, _T]) -> _T | None:
    known = [prefix for prefix in table if model.startswith(prefix)]
    return table[max(known, key=len)] if known else None


def reasoning_efforts(model: str) -> list[ReasoningEffort] | None:
    """The efforts the model's family accepts (``[]``: it does not reason), ``None`` when the
    family is unknown."""
    efforts = _longest_prefix(model, _EFFORTS)
    return None if efforts is None else list(efforts)
