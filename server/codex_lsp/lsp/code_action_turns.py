"""Running a codex-lsp code action (``codex-lsp.runCodeAction``): the ask for its kind, the file,
the range and the diagnostic become a turn of the most recent conversation (or a new one). The
list of actions itself is :mod:`codex_lsp.lsp.code_actions`, on the cold-start path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from codex_lsp.core.code_actions import CodeActionKind, Diagnostic, code_action_prompt
from codex_lsp.lsp.conversations import Conversations
from codex_lsp.protocol import requests as r


class CodeActionTurns:
    """Starts the turn a code action asks for."""

    def __init__(self, server: LanguageServer, conversations: Conversations) -> None:
        self._server = server
        self._conversations = conversations

    async def run(self, raw: Any) -> tuple[str, r.SubmissionResult]:
        """Start the turn for a code action's ``data``; the conversation and the submission."""
        data = raw if isinstance(raw, dict) else None
        try:
            kind = CodeActionKind(str((data or {}).get("kind")))
            uri, (start, _, end, _) = str(data["uri"]), data["range"]  # type: ignore[index]
        except (KeyError, TypeError, ValueError) as exc:
            raise JsonRpcInvalidParams(
                "codex-lsp.runCodeAction needs the data of a codex-lsp code action "
                f"(kind, uri, range): {exc}"
            ) from exc
        document = self._server.workspace.get_text_document(uri)
        try:
            source = document.source
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise JsonRpcInvalidParams(
                f"codex-lsp.runCodeAction: cannot read {document.path} ({reason}); "
                "open the file in the editor first"
            ) from exc
        raw = data.get("diagnostic") if data else None
        diagnostic = Diagnostic(**raw) if isinstance(raw, dict) else None
        prompt = code_action_prompt(
            kind, document.path, source, int(start), int(end), diagnostic=diagnostic
        )
        found_in = data.get("conversationId") if data else None
        started = await self._conversations.start_turn(
            prompt,
            found_in
            if isinstance(found_in, str) and self._conversations.is_live(found_in)
            else None,
        )
        self._server.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Info,
                message=f"codex-lsp: {kind.value} started for {Path(document.path).name}",
            )
        )
        return started
