"""The effective configuration as a user sees it: every value, where it came from, and secrets
redacted. Shared by ``codex-lsp config show`` and the ``codex/getConfig`` request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from codex_lsp.config.layers import leaves
from codex_lsp.config.loader import LoadedConfig

REDACTED = "[redacted]"
_SECRET_NAME = re.compile(
    r"(^|_)(api_?key|key|token|secret|password|authorization)$", re.IGNORECASE
)


@dataclass(frozen=True)
class Entry:
    """One effective value."""

    key: str
    value: Any
    origin: str


def redact(dotted: str, value: Any) -> Any:
    """``value`` unless ``dotted`` names a secret (or an HTTP header, which may carry one)."""
    last = dotted.rsplit(".", 1)[-1]
    if value and (".http_headers." in f".{dotted}." or _SECRET_NAME.search(last)):
        return REDACTED
    return value


def entries(loaded: LoadedConfig) -> list[Entry]:
    """Every effective value, sorted by key, redacted, with its origin."""
    effective = leaves(loaded.config.model_dump(mode="json", exclude={"profiles", "projects"}))
    return [
        Entry(key, redact(key, effective[key]), loaded.origin(key)) for key in sorted(effective)
    ]
