"""Every secret the configuration names, and the one place text is cleaned of them.

Secrets are the values of: each provider's ``env_key`` variable, its ``http_headers``, the variables
its ``env_http_headers`` name, its ``query_params``; each MCP server's ``env``, its
``http_headers`` and its ``bearer_token_env_var`` variable. Anything shaped like an OpenAI or
Anthropic key is masked as well. The variables that hold credentials (``env_key``, the
``env_http_headers`` variables, ``bearer_token_env_var``) are never passed to commands.

Each configuration that is loaded registers its secrets, for the life of the process (a secret
stays masked after a reload stops naming it), so error events, the store, ``exec``'s output,
``config show``, the editor's log and ``doctor`` all clean text with the same list.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

from codex_lsp.config.model import Config

REDACTED = "[redacted]"
MIN_SECRET_CHARS = 6
"""Shorter values are not masked: they are no secret worth the name, and masking ``"v1"`` would
garble every message."""

_KEY_SHAPES = re.compile(r"\b(sk-ant-[A-Za-z0-9_\-]{6,}|sk-[A-Za-z0-9_\-]{6,})")
_SECRET_NAME = re.compile(
    r"(^|[_-])(api[_-]?key|key|token|secret|password|passwd|authorization)$", re.IGNORECASE
)
_SECRET_TABLES = ("http_headers", "query_params")


def names_secret(dotted: str) -> bool:
    """True when the config key ``dotted`` holds a secret: a provider's or MCP server's
    ``http_headers`` and ``query_params`` values, an MCP server's ``env`` values, and any key
    named like a secret (``api_key``, ``token``, ``password``…) but ``env_key``, which names a
    variable."""
    parts = dotted.split(".")
    if parts[-1] == "env_key":
        return False
    if len(parts) >= 2 and parts[-2] in _SECRET_TABLES:
        return True
    if len(parts) >= 4 and parts[0] == "mcp_servers" and parts[-2] == "env":
        return True
    return bool(_SECRET_NAME.search(parts[-1]))


def credential_variables(config: Config) -> set[str]:
    """The environment variables ``config`` names as holding credentials."""
    names: set[str] = set()
    for info in config.providers().values():
        if info.env_key:
            names.add(info.env_key)
        names.update(info.env_http_headers.values())
    for server in config.mcp_servers.values():
        if server.bearer_token_env_var:
            names.add(server.bearer_token_env_var)
    return names


def config_secrets(config: Config, environ: Mapping[str, str] | None = None) -> set[str]:
    """Every secret value ``config`` names (see the module docstring)."""
    environ = os.environ if environ is None else environ
    values = {environ.get(name, "") for name in credential_variables(config)}
    for info in config.providers().values():
        values.update(info.http_headers.values())
        values.update(info.query_params.values())
    for server in config.mcp_servers.values():
        values.update(server.env.values())
        values.update(server.http_headers.values())
    return {v.strip() for v in values if len(v.strip()) >= MIN_SECRET_CHARS}


def _spellings(secret: str) -> set[str]:
    """The ways a secret shows up in text: as it is, in a URL, inside a JSON string, in a
    Python repr of text or bytes (as exception messages quote values)."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        repr(secret.encode())[2:-1],
    }


class SecretRegistry:
    """The secrets of every configuration loaded in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None

    def register(self, config: Config, environ: Mapping[str, str] | None = None) -> None:
        """Remember what ``config`` names (its secrets as the environment holds them now)."""
        self.add_secrets(config_secrets(config, environ))

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Remember more secret values (e.g. a key read from the environment later)."""
        spelled = {
            s for secret in secrets if len(secret) >= MIN_SECRET_CHARS for s in _spellings(secret)
        }
        with self._lock:
            if spelled <= self._secrets:
                return
            self._secrets |= spelled
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def redact(self, text: str) -> str:
        """``text`` with every known secret and anything shaped like an API key masked."""
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(REDACTED, text)
        return _KEY_SHAPES.sub(REDACTED, text)


SECRETS = SecretRegistry()
"""The process's registry: :func:`codex_lsp.config.loader.load_layered` registers every config."""


def redact(text: str) -> str:
    """``text`` cleaned of every secret known to this process."""
    return SECRETS.redact(text)


class RedactingFormatter(logging.Formatter):
    """Formats log records (traceback included) with every known secret masked."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as the base formatter writes it, cleaned."""
        return redact(super().format(record))
