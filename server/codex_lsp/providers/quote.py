"""How an error message quotes what a provider sent: short, on one line, printable, secrets
masked (before cutting, so no secret is left half-shown)."""

from __future__ import annotations

import json
from typing import Any

from codex_lsp.config.secrets import redact

QUOTE_CHARS = 200
"""How much of what the provider sent an error message quotes."""


def _printable(char: str) -> str:
    if char.isprintable():
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def quote(value: Any) -> str:
    """``value`` as the provider sent it (JSON), cut to :data:`QUOTE_CHARS`. Control characters
    are escaped, so a terminal showing the message cannot be driven by them."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = redact(" ".join(text.split()))
    text = "".join(_printable(c) for c in text[: QUOTE_CHARS + 1])
    return text[:QUOTE_CHARS] + "…" if len(text) > QUOTE_CHARS else text
