"""A session's file sink: the agent's edits go through the client's ``fs/write_text_file`` when
it offers it (so unsaved buffers and the editor's review are respected, as workspace edits are
over LSP), and reads through ``fs/read_text_file`` likewise; otherwise both use the disk.

A file is always checked on disk first (regular files only, capped: a FIFO or a device in the
repository is never handed to the client to read). ACP has no delete or rename, so those go to
disk. What the session last read or wrote is kept, so the turn's diff and undo see the files as
the editor does, and a patch's tool call can show whole-file old and new text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from acp import RequestError
from acp.agent.connection import AgentSideConnection
from pydantic import ValidationError

from codex_lsp.acp.capabilities import ClientFeatures
from codex_lsp.patch.files import FilePlan, read_disk
from codex_lsp.patch.model import PatchError
from codex_lsp.tools.files import DiskSink

log = logging.getLogger(__name__)

CLIENT_FS_TIMEOUT_S = 60.0


class SessionFiles:
    """The :class:`~codex_lsp.tools.files.FileSink` of one session."""

    def __init__(
        self,
        session_id: str,
        conn: Callable[[], AgentSideConnection | None],
        features: Callable[[], ClientFeatures],
    ) -> None:
        self._session_id = session_id
        self._conn = conn
        self._features = features
        self._disk = DiskSink()
        self._known: dict[Path, str | None] = {}

    def known(self, path: Path) -> str | None:
        """The text ``path`` had when the session last read or wrote it."""
        return self._known.get(path.resolve())

    def read(self, path: Path) -> str | None:
        """What the session last saw of ``path``, else the disk's text."""
        resolved = path.resolve()
        if resolved in self._known:
            return self._known[resolved]
        return read_disk(path)

    async def load(self, path: Path) -> str | None:
        """The file's text as the editor has it (unsaved changes included), for a file that
        exists on disk as a regular file."""
        resolved, text = await asyncio.to_thread(lambda: (path.resolve(), read_disk(path)))
        conn = self._conn()
        if text is not None and conn is not None and self._features().read_text_file:
            try:
                response = await asyncio.wait_for(
                    conn.read_text_file(session_id=self._session_id, path=str(resolved)),
                    CLIENT_FS_TIMEOUT_S,
                )
                text = response.content
            except (RequestError, ConnectionError, ValidationError, TimeoutError) as exc:
                log.warning("fs/read_text_file %s failed (%s); using the disk's copy", path, exc)
        self._known[resolved] = text
        return text

    async def write(self, plans: list[FilePlan], label: str) -> list[str]:
        """Write each planned file (through the client when it can write)."""
        conn = self._conn()
        if conn is None or not self._features().write_text_file:
            notes = await self._disk.write(plans, label)
        else:
            notes = []
            for plan in plans:
                await self._through_client(conn, plan)
        for plan in plans:
            target = plan.move_target or plan.target
            if plan.move_target is not None:
                self._known[plan.target.resolve()] = None
            self._known[target.resolve()] = None if plan.kind == "delete" else plan.new or ""
        return notes

    async def _through_client(self, conn: AgentSideConnection, plan: FilePlan) -> None:
        if plan.kind == "delete":
            await asyncio.to_thread(_unlink, plan.target)
            return
        target = plan.move_target or plan.target
        try:
            await asyncio.wait_for(
                conn.write_text_file(
                    session_id=self._session_id, path=str(target.resolve()), content=plan.new or ""
                ),
                CLIENT_FS_TIMEOUT_S,
            )
        except (RequestError, ConnectionError, ValidationError, TimeoutError) as exc:
            reason = str(exc) or "no answer in time"
            raise PatchError(f"the editor did not write {plan.path}: {reason}") from exc
        if plan.move_target is not None and plan.move_target.resolve() != plan.target.resolve():
            await asyncio.to_thread(_unlink, plan.target)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
