"""The spec-kit feature of the LSP front end: ``workspace/executeCommand``
``codex-lsp.speckit.<name>`` (arguments: the command's arguments as one string, an optional
conversationId) types ``/speckit.<name> …`` into the conversation, exactly as a user would (the
most recent one, else a new one), and the code actions on a SPEC's files offer the commands
its state calls for, each running one of those commands."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from codex_lsp.core import ConversationManager
from codex_lsp.errors import CodexError
from codex_lsp.lsp.code_actions import SPECKIT_KIND, resolve, wanted
from codex_lsp.lsp.conversations import Conversations
from codex_lsp.lsp.rpc import CommandHandler, conversation_arg, wire
from codex_lsp.lsp.speckit_actions import PREFIX, SPECKIT_COMMANDS
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.speckit.offers import Offer, offers
from codex_lsp.speckit.workspace import Workspace, find_root


class SpeckitFeature:
    """spec-kit's commands and code actions, over the conversations."""

    def __init__(self, manager: ConversationManager, conversations: Conversations) -> None:
        self._manager = manager
        self._conversations = conversations

    def commands(self) -> dict[str, CommandHandler]:
        """``codex-lsp.speckit.<name>`` → its handler, for every spec-kit command."""
        return {name: self._typed(name) for name in SPECKIT_COMMANDS}

    def _typed(self, command: str) -> CommandHandler:
        slash = "/" + command.removeprefix(PREFIX)

        async def run(args: list[Any]) -> dict[str, Any]:
            given = args[0] if args else ""
            if not isinstance(given, str):
                raise JsonRpcInvalidParams(
                    f"{command}: argument 1 must be the command's arguments as one string "
                    f'(e.g. "SPEC-KIT-071"), not {type(given).__name__}'
                )
            conversation_id = conversation_arg(command, args, 1)
            text = f"{slash} {given}".strip()
            started, submitted = await self._conversations.start_turn(text, conversation_id)
            return {"conversationId": started, **wire(submitted)}

        return run

    async def code_actions(
        self, params: types.CodeActionParams, lazy: bool
    ) -> list[types.CodeAction]:
        """The spec-kit commands for the SPEC the document belongs to (none for other files);
        with ``lazy`` their command comes from ``codeAction/resolve``."""
        only = [str(k) for k in params.context.only] if params.context.only else None
        if not wanted(types.CodeActionKind.Empty, only):
            return []
        path = Path(unquote(urlparse(params.text_document.uri).path))
        try:
            found = await asyncio.to_thread(self._offers, path)
        except CodexError:
            return []
        actions = [_action(offer) for offer in found]
        return actions if lazy else [resolve(a) for a in actions]

    def _offers(self, path: Path) -> list[Offer]:
        config = self._manager.load_config(NewConversationParams(cwd=path.parent)).config
        workspace = Workspace.open(find_root(path.parent), config, self._manager.home)
        return offers(workspace.layout.resolve(str(path)))


def _action(offer: Offer) -> types.CodeAction:
    data = {"kind": SPECKIT_KIND, "command": PREFIX + offer.command, "arguments": [offer.spec_id]}
    return types.CodeAction(
        title=offer.title,
        kind=types.CodeActionKind.Empty,
        is_preferred=offer.preferred or None,
        data=data,
    )
