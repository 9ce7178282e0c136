"""Asks the editor's user the model's questions (``request_user_input``).

A client that declares ``experimental.codex.requestUserInput: true`` gets one
``codex/requestUserInput`` request with every question (the VS Code panel shows a form); any
other client gets one ``window/showMessageRequest`` per question, its options as the buttons, so
a plain LSP client can answer too. Dismissing a question, an error answer or no answer within
:data:`USER_INPUT_TIMEOUT_S` means no answer (the model is told the request was cancelled). An
interrupt withdraws the pending request with ``$/cancelRequest``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lsprotocol import types
from pydantic import ValidationError
from pygls.lsp.server import LanguageServer

from codex_lsp.lsp.approvals import ask_client
from codex_lsp.lsp.wire import CodexProtocol
from codex_lsp.protocol.events import RequestUserInputEvent, UserInputQuestion
from codex_lsp.protocol.method_names import REQUEST_USER_INPUT
from codex_lsp.protocol.requests import (
    RequestUserInputParams,
    RequestUserInputResult,
    UserInputAnswer,
)

log = logging.getLogger(__name__)

USER_INPUT_TIMEOUT_S = 15 * 60


def client_declares_user_input(capabilities: types.ClientCapabilities | None) -> bool:
    """``capabilities.experimental.codex.requestUserInput: true``."""
    experimental: Any = getattr(capabilities, "experimental", None)
    codex = experimental.get("codex") if isinstance(experimental, dict) else None
    return isinstance(codex, dict) and codex.get("requestUserInput") is True


class ClientUserInput:
    """The user-input handler the LSP front end gives the core."""

    def __init__(self, server: LanguageServer) -> None:
        self._server = server
        protocol = server.protocol
        assert isinstance(protocol, CodexProtocol)
        self._protocol = protocol

    async def __call__(
        self, conversation_id: str, request: RequestUserInputEvent
    ) -> RequestUserInputResult | None:
        """Ask (with a timeout); None when the user gave no answer."""
        try:
            async with asyncio.timeout(USER_INPUT_TIMEOUT_S):
                if client_declares_user_input(self._server.client_capabilities):
                    return await self._ask_form(conversation_id, request)
                return await self._ask_messages(request)
        except TimeoutError:
            log.warning("request_user_input got no answer within %ss", USER_INPUT_TIMEOUT_S)
            return None

    async def open_url(self, url: str) -> bool:
        """``window/showDocument`` in the user's browser; False when the client cannot."""
        params = types.ShowDocumentParams(uri=url, external=True)
        answer = await ask_client(self._protocol, types.WINDOW_SHOW_DOCUMENT, params)
        return bool(getattr(answer, "success", False))

    async def _ask_form(
        self, conversation_id: str, request: RequestUserInputEvent
    ) -> RequestUserInputResult | None:
        params = RequestUserInputParams(
            conversation_id=conversation_id, **request.model_dump(exclude={"type"})
        )
        answer = await ask_client(self._protocol, REQUEST_USER_INPUT, params.to_wire())
        if answer is None:
            return None
        try:
            return RequestUserInputResult.model_validate(answer)
        except ValidationError:
            log.warning("client answered %s with %r; no answer", REQUEST_USER_INPUT, answer)
            return None

    async def _ask_messages(self, request: RequestUserInputEvent) -> RequestUserInputResult | None:
        answers: dict[str, UserInputAnswer] = {}
        for question in request.questions:
            chosen = await self._ask_one(question)
            if chosen is None:
                return None
            answers[question.id] = UserInputAnswer(answers=[chosen])
        return RequestUserInputResult(answers=answers)

    async def _ask_one(self, question: UserInputQuestion) -> str | None:
        if not question.options:  # a free answer: a message request has only buttons
            log.warning(
                "question %r needs typing, which window/showMessageRequest cannot", question.id
            )
            return None
        text = f"{question.header}: {question.question}" if question.header else question.question
        details = [f"{o.label}: {o.description}" for o in question.options if o.description]
        if details:
            text += "\n" + "\n".join(details)
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Info,
            message=text,
            actions=[types.MessageActionItem(title=o.label) for o in question.options],
        )
        answer = await ask_client(self._protocol, types.WINDOW_SHOW_MESSAGE_REQUEST, params)
        title = getattr(answer, "title", None)
        labels = {o.label for o in question.options}
        return title if isinstance(title, str) and title in labels else None
