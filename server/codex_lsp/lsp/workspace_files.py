"""The files feature: fuzzy file search (the composer's @-mentions) and opening the files a turn
changed in the editor (``window/showDocument``)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from codex_lsp.core import ConversationManager
from codex_lsp.lsp.rpc import Handler
from codex_lsp.protocol import method_names as names
from codex_lsp.protocol import requests as r
from codex_lsp.tools import file_search


class WorkspaceFiles:
    """``codex/fuzzyFileSearch`` (with an index kept between searches) and the changed files."""

    def __init__(self, server: LanguageServer, manager: ConversationManager) -> None:
        self._server = server
        self._manager = manager
        self._index = file_search.FileIndex()

    def methods(self) -> dict[str, Handler]:
        """Method → handler."""
        return {names.FUZZY_FILE_SEARCH: self._fuzzy_file_search}

    async def open_changed(self, conversation_id: str) -> list[str]:
        """Show the files the conversation's last file-changing turn changed (for clients that
        support ``window/showDocument``); the paths opened."""
        conversation = self._manager.get(conversation_id)
        last = conversation.snapshots.last()
        paths = sorted(last.after) if last is not None else []
        window = getattr(self._server.client_capabilities, "window", None)
        if not getattr(window, "show_document", None):
            raise JsonRpcInvalidParams(
                "this client does not support window/showDocument; the files are: "
                + ", ".join(str(p) for p in paths)
            )
        opened: list[str] = []
        for path in paths:
            if path.exists():
                params = types.ShowDocumentParams(uri=path.as_uri(), take_focus=not opened)
                await self._server.window_show_document_async(params)
                opened.append(str(path))
        return opened

    async def _fuzzy_file_search(self, params: r.FuzzyFileSearchParams) -> r.FuzzyFileSearchResult:
        """Search on a worker thread; a cancelled request stops it between phases."""
        roots = [p.resolve() for p in params.roots] or [self._manager.default_cwd or Path.cwd()]
        missing = [str(p) for p in roots if not p.is_dir()]
        if missing:
            raise JsonRpcInvalidParams(
                f"roots must be existing folders; not found: {', '.join(missing)}"
            )
        cancelled = threading.Event()
        try:
            found = await asyncio.to_thread(
                file_search.search, params.query, roots, params.limit, self._index, cancelled
            )
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return r.FuzzyFileSearchResult(
            files=[
                r.FuzzyFileMatch(path=m.path, root=m.root, score=m.score, indices=m.indices)
                for m in found
            ]
        )
