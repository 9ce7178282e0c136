"""What codex-lsp knows about model families: their context windows."""

from __future__ import annotations

_CONTEXT_WINDOWS: tuple[tuple[str, int], ...] = (
    ("gpt-5", 272_000),
    ("gpt-4.1", 1_047_576),
    ("gpt-4o", 128_000),
    ("o3", 200_000),
    ("o4-mini", 200_000),
    ("gpt-oss", 131_072),
    ("claude", 200_000),
)


def context_window(model: str, configured: int | None) -> int | None:
    """The configured window, else the known one for the model's family, else ``None``."""
    if configured:
        return configured
    for prefix, window in _CONTEXT_WINDOWS:
        if model.startswith(prefix):
            return window
    return None
