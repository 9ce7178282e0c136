"""A conversation's token usage and cost so far, and how full its context is: the numbers
every ``tokenCount`` event carries and auto-compaction watches."""

from __future__ import annotations

from codex_lsp.config.model import ModelPrice
from codex_lsp.core.model_info import usage_cost
from codex_lsp.protocol.items import TokenUsage, TokenUsageInfo

AUTO_COMPACT_SHARE = 0.9


def auto_compact_limit(configured: int | None, context_window: int | None) -> int | None:
    """The context size that triggers compaction: the configured limit, else 90% of the
    model's context window, else none (unknown window)."""
    if configured:
        return configured
    return int(context_window * AUTO_COMPACT_SHARE) if context_window else None


class UsageMeter:
    """Token totals, cost and context size of one conversation."""

    def __init__(self) -> None:
        self.total = TokenUsage()
        self.cost_usd: float | None = 0.0
        """What the conversation cost; None once one response's price was unknown."""
        self.context_tokens = 0
        """What the last response left in the context (0 after a compaction)."""

    def add(self, usage: TokenUsage, price: ModelPrice | None) -> None:
        """Count one response (or, on resume, the stored total) at ``price``; once a
        response's price is unknown, so is the total cost."""
        self.total = self.total + usage
        if price is None or self.cost_usd is None:
            self.cost_usd = None
        else:
            self.cost_usd += usage_cost(usage, price)

    def record(
        self,
        usage: TokenUsage,
        price: ModelPrice | None,
        window: int | None,
        limit: int | None,
    ) -> TokenUsageInfo:
        """Count one response; the ``tokenCount`` figures after it."""
        self.add(usage, price)
        info = TokenUsageInfo.after(self.total, usage, window, self.cost_usd, limit)
        self.context_tokens = info.context_tokens
        return info

    def context_full(self, limit: int | None) -> bool:
        """True when the context has reached the auto-compaction ``limit``."""
        return limit is not None and self.context_tokens >= limit

    def compacted(self) -> None:
        """The history was summarised: the context starts over."""
        self.context_tokens = 0
