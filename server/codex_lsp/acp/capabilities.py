"""What the agent tells a client in ``initialize``, and what the client told it. Plain data
on purpose: :mod:`codex_lsp.acp.main` answers ``initialize`` with it before the SDK and the core
are imported, so an editor gets its answer as fast as from the language server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codex_lsp import __version__

PROTOCOL_VERSION = 1
"""The one ACP version served (v2 is a draft)."""


def initialize_result() -> dict[str, Any]:
    """The ``initialize`` result: protocol 1 whatever the client asked (it disconnects if it
    cannot speak it), and only the capabilities this agent really has."""
    return {
        "protocolVersion": PROTOCOL_VERSION,
        "agentCapabilities": {
            "loadSession": True,
            "promptCapabilities": {"image": True, "audio": False, "embeddedContext": True},
            "mcpCapabilities": {"http": True, "sse": False},
            "sessionCapabilities": {
                "list": {},
                "resume": {},
                "close": {},
                "delete": {},
                "additionalDirectories": {},
            },
        },
        "authMethods": [],
        "agentInfo": {"name": "codex-lsp", "title": "codex-lsp", "version": __version__},
    }


@dataclass(frozen=True)
class ClientFeatures:
    """The client capabilities the agent acts on (all off unless the client said so)."""

    read_text_file: bool = False
    write_text_file: bool = False
    terminal: bool = False
    terminal_output_meta: bool = False
    """Zed's extension: command output streamed in ``_meta.terminal_output``."""

    @classmethod
    def from_params(cls, params: Any) -> ClientFeatures:
        """From ``initialize`` params as JSON (``clientCapabilities`` camelCase, as sent)."""
        caps = params.get("clientCapabilities") if isinstance(params, dict) else None
        if not isinstance(caps, dict):
            return cls()
        fs = caps.get("fs") or {}
        meta = caps.get("_meta") or {}
        fs = fs if isinstance(fs, dict) else {}
        meta = meta if isinstance(meta, dict) else {}
        return cls(
            read_text_file=fs.get("readTextFile") is True,
            write_text_file=fs.get("writeTextFile") is True,
            terminal=caps.get("terminal") is True,
            terminal_output_meta=meta.get("terminal_output") is True,
        )
