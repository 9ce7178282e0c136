"""The one list of secrets: what a config names, every spelling a secret takes in a message, and
the log formatter that applies it to whole records."""

from __future__ import annotations

import io
import json
import logging
from urllib.parse import quote

from codex_lsp.config.model import Config
from codex_lsp.config.secrets import (
    REDACTED,
    RedactingFormatter,
    SecretRegistry,
    config_secrets,
    credential_variables,
    names_secret,
)

CONFIG = Config.model_validate(
    {
        "model_providers": {
            "corp": {
                "base_url": "https://llm.corp/v1",
                "env_key": "CORP_LLM_CRED",
                "http_headers": {"X-Static": "static-value"},
                "env_http_headers": {"X-Gateway": "CORP_GATEWAY"},
                "query_params": {"api-key": "a+b/c=d", "v": "1"},
            }
        },
        "mcp_servers": {
            "s": {"command": "s", "env": {"DB_PASS": "db-pass-value"}},
            "r": {
                "url": "https://mcp.corp/mcp",
                "bearer_token_env_var": "MCP_BEARER",
                "http_headers": {"X-Mcp": "mcp-header-value"},
            },
        },
    }
)
ENV = {"CORP_LLM_CRED": "llm-cred-value", "CORP_GATEWAY": "gateway-value", "MCP_BEARER": "bearer-v"}


def test_a_config_names_its_credentials_and_their_values() -> None:
    assert credential_variables(CONFIG) >= {
        "CORP_LLM_CRED",
        "CORP_GATEWAY",
        "MCP_BEARER",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
    }
    assert config_secrets(CONFIG, ENV) == {
        "llm-cred-value",
        "gateway-value",
        "bearer-v",
        "static-value",
        "a+b/c=d",
        "db-pass-value",
        "mcp-header-value",
    }  # "1" is too short to be a secret worth masking


def test_every_spelling_of_a_secret_is_masked() -> None:
    registry = SecretRegistry()
    registry.register(CONFIG, ENV)
    secret = "a+b/c=d"
    for text in (
        secret,
        quote(secret, safe=""),
        quote(secret).replace("/", "%2F"),
        json.dumps({"k": secret}),
        repr(secret.encode()),
        "sk-proj-abcdefghijkl",
    ):
        cleaned = registry.redact(f"before {text} after")
        assert REDACTED in cleaned and cleaned.startswith("before") and "a+b" not in cleaned, text
    assert registry.redact("version 1 of 1") == "version 1 of 1"


def test_overlapping_secrets_are_masked_whole() -> None:
    registry = SecretRegistry()
    registry.add_secrets(["token-abc", "token-abc-longer"])
    assert registry.redact("x token-abc-longer y") == f"x {REDACTED} y"


def test_secret_key_names() -> None:
    for key in (
        "model_providers.x.http_headers.Anything",
        "model_providers.x.query_params.sig",
        "mcp_servers.s.env.DB_PASS",
        "mcp_servers.s.http_headers.X",
        "some.api-key",
        "some.password",
    ):
        assert names_secret(key), key
    for key in ("model_providers.x.env_key", "model", "mcp_servers.s.env_note", "tools.view_image"):
        assert not names_secret(key), key


def test_log_records_and_their_tracebacks_are_masked() -> None:
    from codex_lsp.config import secrets

    secrets.SECRETS.add_secrets(["logged-secret-value"])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter())
    logger = logging.getLogger("codex_lsp.test_secrets_registry")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError("refused logged-secret-value")
        except RuntimeError:
            logger.exception("failed with %s", "logged-secret-value")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "Traceback" in text and "logged-secret-value" not in text and text.count(REDACTED) >= 2
