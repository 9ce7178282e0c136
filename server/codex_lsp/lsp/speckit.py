"""The spec-kit feature of the LSP front end: ``workspace/executeCommand``
``codex-lsp.speckit.<name>`` (arguments: the command's arguments as one string, an optional
conversationId) types ``/speckit.<name> …`` into the conversation, exactly as a user would (the
most recent one, else a new one), and the code actions on a SPEC's files offer the commands
its state calls for, each running one of those commands. Opening the workspace offers to resume
its unfinished ``/speckit.auto`` runs (``window/showMessage`` and a code action)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
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
from codex_lsp.speckit.resume import Resumable, resumable
from codex_lsp.speckit.workspace import Workspace, find_root
from codex_lsp.store.speckit_runs import SpeckitRuns

log = logging.getLogger(__name__)


class SpeckitFeature:
    """spec-kit's commands and code actions, over the conversations."""

    def __init__(
        self,
        manager: ConversationManager,
        conversations: Conversations,
        notify: Callable[[str], None] = lambda _: None,
    ) -> None:
        self._manager = manager
        self._conversations = conversations
        self._notify = notify

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
            workspace, found = await asyncio.to_thread(self._offers, path)
            spec_id = found[0].spec_id
            resume = [r.offer for r in await self._resumable(workspace) if r.spec_id == spec_id]
        except CodexError:
            return []
        if resume:
            found = [resume[0], *(o for o in found if not o.preferred)]
        actions = [_action(offer) for offer in found]
        return actions if lazy else [resolve(a) for a in actions]

    def _workspace(self, start: Path) -> Workspace:
        config = self._manager.load_config(NewConversationParams(cwd=start)).config
        return Workspace.open(find_root(start), config, self._manager.home)

    def _offers(self, path: Path) -> tuple[Workspace, list[Offer]]:
        workspace = self._workspace(path.parent)
        return workspace, offers(workspace.layout.resolve(str(path)))

    async def _resumable(self, workspace: Workspace) -> list[Resumable]:
        runs = await SpeckitRuns.open(workspace.state_db)
        try:
            return await resumable(runs, workspace)
        finally:
            await runs.close()

    async def offer_resumes(self, root: Path | None) -> None:
        """After ``initialized``: one notification per unfinished ``/speckit.auto`` run of the
        workspace at ``root`` (none when it has no spec-kit layout or store)."""
        if root is None:
            return
        try:
            workspace = await asyncio.to_thread(self._workspace, root)
            found = await self._resumable(workspace)
        except CodexError as exc:
            log.debug("no /speckit.auto run to offer: %s", exc.message)
            return
        for run in found:
            self._notify(run.message)


def _action(offer: Offer) -> types.CodeAction:
    data = {"kind": SPECKIT_KIND, "command": PREFIX + offer.command, "arguments": [offer.spec_id]}
    return types.CodeAction(
        title=offer.title,
        kind=types.CodeActionKind.Empty,
        is_preferred=offer.preferred or None,
        data=data,
    )
