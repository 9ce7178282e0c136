"""Keeps API keys out of every message that leaves a provider client."""

from __future__ import annotations

import re

_KEY_PATTERNS = re.compile(r"\b(sk-[A-Za-z0-9_\-]{6,}|sk-ant-[A-Za-z0-9_\-]{6,})")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with every known secret and anything shaped like an API key masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return _KEY_PATTERNS.sub("[redacted]", text)
