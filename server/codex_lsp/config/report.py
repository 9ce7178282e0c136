"""The effective configuration as a user sees it: every value, where it came from, and secrets
redacted. Shared by ``codex-lsp config show`` and the ``codex/getConfig`` request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codex_lsp.config.layers import leaves
from codex_lsp.config.loader import LoadedConfig
from codex_lsp.config.secrets import REDACTED, names_secret, redact


@dataclass(frozen=True)
class Entry:
    """One effective value."""

    key: str
    value: Any
    origin: str


def redact_value(dotted: str, value: Any) -> Any:
    """``value`` with what is secret masked: all of it when ``dotted`` names a secret, else
    every known secret inside its strings (a token in an MCP server's ``args``, say)."""
    if value and names_secret(dotted):
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_value("", v) for v in value]
    if isinstance(value, dict):
        return {k: redact_value(k, v) for k, v in value.items()}
    return value


def entries(loaded: LoadedConfig) -> list[Entry]:
    """Every effective value, sorted by key, redacted, with its origin."""
    effective = leaves(loaded.config.model_dump(mode="json", exclude={"profiles", "projects"}))
    return [
        Entry(key, redact_value(key, effective[key]), loaded.origin(key))
        for key in sorted(effective)
    ]
