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
from pygls.lsp.server import LanguageServer

from codex_lsp.background import create_task
from codex_lsp.core import ConversationManager
from codex_lsp.errors import CodexError
from codex_lsp.lsp.code_actions import SPECKIT_KIND, resolve, wanted
from codex_lsp.lsp.conversations import Conversations
from codex_lsp.lsp.rpc import CommandHandler, Handler, conversation_arg, wire
from codex_lsp.lsp.speckit_actions import ANSWER_COMMAND, PREFIX, SPECKIT_COMMANDS
from codex_lsp.lsp.speckit_gates import GateDiagnostics
from codex_lsp.protocol import method_names as names
from codex_lsp.protocol.events import EventEnvelope
from codex_lsp.protocol.requests import (
    ListSpecsParams,
    ListSpecsResult,
    NewConversationParams,
    SpecEntry,
)
from codex_lsp.protocol.speckit_events import SpeckitGateEvent
from codex_lsp.speckit.offers import Offer, offers
from codex_lsp.speckit.resume import Resumable, resumable
from codex_lsp.speckit.status import speckit_overview
from codex_lsp.speckit.tasks_md import TaskLine, parse_tasks
from codex_lsp.speckit.workspace import Workspace, find_root
from codex_lsp.store.speckit_runs import SpeckitRuns
from codex_lsp.tools.files import FileSink

log = logging.getLogger(__name__)


class SpeckitFeature:
    """spec-kit's commands and code actions, over the conversations."""

    def __init__(
        self,
        manager: ConversationManager,
        conversations: Conversations,
        server: LanguageServer,
        sink: FileSink,
        root: Callable[[], Path | None],
    ) -> None:
        self._manager = manager
        self._conversations = conversations
        self._server = server
        self._sink = sink
        self._root = root
        self._stores: dict[Path, SpeckitRuns] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.gates = GateDiagnostics(server, sink, self.workspace, self.store, self._resume, root)
        """The quality-gate questions as diagnostics and their code actions."""

    def commands(self) -> dict[str, CommandHandler]:
        """``codex-lsp.speckit.<name>`` → its handler, for every spec-kit command, and the
        answer to a quality-gate question."""
        return {
            **{name: self._typed(name) for name in SPECKIT_COMMANDS},
            ANSWER_COMMAND: self.gates.answer,
        }

    def methods(self) -> dict[str, Handler]:
        """``codex/listSpecs`` → its handler."""
        return {names.LIST_SPECS: self._list_specs}

    async def _list_specs(self, _params: ListSpecsParams) -> ListSpecsResult:
        start = self._root() or self._manager.default_cwd or Path.cwd()
        overview = await speckit_overview(await self.workspace(start), None)
        return ListSpecsResult(
            specs=[
                SpecEntry(spec_id=s.spec_id, directory=s.directory, title=s.title, status=s.status)
                for s in overview.specs
            ]
        )

    async def workspace(self, start: Path) -> Workspace:
        """The spec-kit workspace ``start`` is in."""
        return await asyncio.to_thread(self._workspace, start)

    async def store(self, workspace: Workspace) -> SpeckitRuns:
        """The workspace's store, opened once."""
        path = workspace.state_db
        if path not in self._stores:
            self._stores[path] = await SpeckitRuns.open(path)
        return self._stores[path]

    async def aclose(self) -> None:
        """Close the stores."""
        stores, self._stores = list(self._stores.values()), {}
        for runs in stores:
            await runs.close()

    async def _resume(self, spec_id: str) -> None:
        await self._conversations.start_turn(f"/speckit.auto {spec_id}", None)

    def on_event(self, event: EventEnvelope) -> None:
        """After a quality gate: its questions become diagnostics."""
        if isinstance(event.msg, SpeckitGateEvent):
            root = self._root()
            if root is not None:
                create_task(self.gates.publish(root), name="speckit-gates", owner=self._tasks)

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
        """The answers to the quality-gate questions on the requested lines, then the spec-kit
        commands for the SPEC the document belongs to (none for other files); with ``lazy``
        the commands' command comes from ``codeAction/resolve``."""
        answers = await self.gates.code_actions(params)
        only = [str(k) for k in params.context.only] if params.context.only else None
        if not wanted(types.CodeActionKind.Empty, only):
            return answers
        answers += await self._task_actions(params)
        path = Path(unquote(urlparse(params.text_document.uri).path))
        try:
            workspace, found = await asyncio.to_thread(self._offers, path)
            spec_id = found[0].spec_id
            resume = [r.offer for r in await self._resumable(workspace) if r.spec_id == spec_id]
        except CodexError:
            return answers
        if resume:
            found = [resume[0], *(o for o in found if not o.preferred)]
        actions = [_action(offer) for offer in found]
        return [*answers, *(actions if lazy else [resolve(a) for a in actions])]

    async def code_lenses(self, uri: str) -> list[types.CodeLens]:
        """ "Implement T003" on every unticked task of a SPEC's tasks.md (none elsewhere)."""
        path = Path(unquote(urlparse(uri).path))
        if path.name != "tasks.md":
            return []
        try:
            found = await self._task_lines(path)
        except CodexError:
            return []
        return [
            types.CodeLens(
                range=types.Range(types.Position(t.line, 0), types.Position(t.line, 0)),
                command=types.Command(
                    f"Implement {t.id}", PREFIX + "speckit.implement", arguments=[f"{spec} {t.id}"]
                ),
            )
            for spec, t in found
            if not t.done
        ]

    async def _task_lines(self, path: Path) -> list[tuple[str, TaskLine]]:
        """The SPEC id and every task of the tasks.md at ``path`` (its open buffer's text)."""
        _, found = await asyncio.to_thread(self._offers, path)
        text = await self._sink.load(path) or ""
        return [(found[0].spec_id, task) for task in parse_tasks(text)]

    async def _task_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        """ "Implement T003" on the task lines of the requested range of tasks.md."""
        lenses = await self.code_lenses(params.text_document.uri)
        first, last = params.range.start.line, params.range.end.line
        return [
            types.CodeAction(
                title=lens.command.title, kind=types.CodeActionKind.Empty, command=lens.command
            )
            for lens in lenses
            if lens.command is not None and first <= lens.range.start.line <= last
        ]

    def _workspace(self, start: Path) -> Workspace:
        config = self._manager.load_config(NewConversationParams(cwd=start)).config
        return Workspace.open(find_root(start), config, self._manager.home)

    def _offers(self, path: Path) -> tuple[Workspace, list[Offer]]:
        workspace = self._workspace(path.parent)
        return workspace, offers(workspace.layout.resolve(str(path)))

    async def _resumable(self, workspace: Workspace) -> list[Resumable]:
        return await resumable(await self.store(workspace), workspace)

    async def on_open(self) -> None:
        """After ``initialized``: one notification per unfinished ``/speckit.auto`` run of the
        workspace (none when it has no spec-kit layout or store), and its open quality-gate
        questions as diagnostics."""
        root = self._root()
        if root is None:
            return
        try:
            workspace = await self.workspace(root)
            found = await self._resumable(workspace)
        except CodexError as exc:
            log.debug("no /speckit.auto run to offer: %s", exc.message)
            return
        for run in found:
            self._server.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Info, message=run.message)
            )
        await self.gates.publish(root)


def _action(offer: Offer) -> types.CodeAction:
    data = {"kind": SPECKIT_KIND, "command": PREFIX + offer.command, "arguments": [offer.spec_id]}
    return types.CodeAction(
        title=offer.title,
        kind=types.CodeActionKind.Empty,
        is_preferred=offer.preferred or None,
        data=data,
    )
