"""``/speckit.auto``'s runs in the store: the pipeline's state (written after every transition)
and the quality-gate issues of each run.

A run is driven by one process at a time, whoever the server: :meth:`AutoRuns.claim` takes the
SPEC's unfinished run (or starts one) inside one ``BEGIN IMMEDIATE`` transaction, and refuses
while another live process (or this one) owns it. The owner is ``<pid>:<start ticks>``, so a pid
reused after a crash is not taken for the dead server; a killed server's run has an owner that
is no longer alive, and is free to resume."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from codex_lsp.errors import StoreError
from codex_lsp.store.run_owner import owner_alive, owner_token

_RUN_COLUMNS = (
    "id, workspace, spec_id, status, state_json, owner, conversation_id, cancel_requested, "
    "created_at, updated_at"
)
_ISSUE_COLUMNS = (
    "run_id, checkpoint, issue_id, status, magnitude, file, line, issue_json, answer, backup, "
    "answered_at"
)
UNFINISHED = ("running", "waiting", "stopped", "interrupted")
"""Statuses of a run that can go on (``/speckit.auto <SPEC>`` resumes it)."""


@dataclass(frozen=True)
class AutoRunRow:
    """One stored run."""

    id: str
    workspace: str
    spec_id: str
    status: str
    state: dict[str, Any]
    owner: str | None
    conversation_id: str | None
    cancel_requested: bool
    created_at: float
    updated_at: float

    @property
    def live(self) -> bool:
        """A process that still runs drives it."""
        return owner_alive(self.owner)

    @property
    def mine(self) -> bool:
        """This process drives it."""
        return self.owner == owner_token()


@dataclass(frozen=True)
class Claim:
    """What :meth:`AutoRuns.claim` got: the run now owned (``resumed``: an unfinished one), or
    ``busy``, the run a live process already drives (nothing was changed)."""

    run: AutoRunRow
    resumed: bool = False
    busy: bool = False
    saved_at: float = 0.0
    """When a resumed run's state was last written (before this claim)."""


@dataclass(frozen=True)
class IssueRow:
    """One quality-gate issue of a run: where it is, how much it matters, its state, and the
    issue itself (question, the agents' answers, the options, the arbiter's view)."""

    run_id: str
    checkpoint: str
    issue_id: str
    status: str
    magnitude: str
    file: str | None
    line: int | None
    data: dict[str, Any]
    answer: str | None = None
    backup: str | None = None
    answered_at: float | None = None


def _run(row: Sequence[Any]) -> AutoRunRow:
    return AutoRunRow(
        id=row[0],
        workspace=row[1],
        spec_id=row[2],
        status=row[3],
        state=json.loads(row[4]),
        owner=row[5],
        conversation_id=row[6],
        cancel_requested=bool(row[7]),
        created_at=row[8],
        updated_at=row[9],
    )


def _issue(row: Sequence[Any]) -> IssueRow:
    return IssueRow(
        run_id=row[0],
        checkpoint=row[1],
        issue_id=row[2],
        status=row[3],
        magnitude=row[4],
        file=row[5],
        line=row[6],
        data=json.loads(row[7]),
        answer=row[8],
        backup=row[9],
        answered_at=row[10],
    )


class AutoRuns:
    """The runs and gate issues, on a connection the caller owns."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def _fetch(self, sql: str, params: Sequence[Any]) -> list[Any]:
        try:
            return list(await self._db.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise StoreError(f"reading the /speckit.auto runs failed: {exc}") from exc

    async def _execute(self, sql: str, params: Sequence[Any]) -> int:
        try:
            cursor = await self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(
                f"writing the /speckit.auto run failed: {exc}",
                retryable=isinstance(exc, sqlite3.OperationalError),
            ) from exc
        return cursor.rowcount

    # ------------------------------------------------------------ runs
    async def claim(
        self,
        workspace: Path,
        spec_id: str,
        *,
        fresh: bool,
        new_id: str,
        new_state: dict[str, Any],
        conversation_id: str | None,
    ) -> Claim:
        """Own the SPEC's unfinished run (``fresh``: start ``new_id`` instead, the unfinished
        ones superseded), or a new one when there is none; ``busy`` when a live process drives
        one (nothing changes then)."""
        marks = ", ".join("?" for _ in UNFINISHED)
        now = time.time()
        db = self._db
        try:
            await db.execute("BEGIN IMMEDIATE")
            try:
                rows = [
                    _run(r)
                    for r in await db.execute_fetchall(
                        f"SELECT {_RUN_COLUMNS} FROM speckit_auto_runs WHERE workspace = ? AND "
                        f"spec_id = ? AND status IN ({marks}) ORDER BY updated_at DESC, rowid DESC",
                        (str(workspace), spec_id, *UNFINISHED),
                    )
                ]
                live = next((r for r in rows if r.live), None)
                if live is not None:
                    await db.execute("ROLLBACK")
                    return Claim(live, busy=True)
                keep = rows[0] if rows and not fresh else None
                for row in rows:
                    if row is not keep:
                        await db.execute(
                            "UPDATE speckit_auto_runs SET status = 'superseded', owner = NULL, "
                            "updated_at = ? WHERE id = ?",
                            (now, row.id),
                        )
                if keep is not None:
                    await db.execute(
                        "UPDATE speckit_auto_runs SET owner = ?, conversation_id = ?, "
                        "cancel_requested = 0, updated_at = ? WHERE id = ?",
                        (owner_token(), conversation_id, now, keep.id),
                    )
                else:
                    await db.execute(
                        f"INSERT INTO speckit_auto_runs ({_RUN_COLUMNS}) "
                        "VALUES (?, ?, ?, 'running', ?, ?, ?, 0, ?, ?)",
                        (
                            new_id,
                            str(workspace),
                            spec_id,
                            json.dumps(new_state),
                            owner_token(),
                            conversation_id,
                            now,
                            now,
                        ),
                    )
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(
                f"starting /speckit.auto for {spec_id} failed: {exc}",
                retryable=isinstance(exc, sqlite3.OperationalError),
            ) from exc
        run = await self.get(keep.id if keep is not None else new_id)
        assert run is not None
        if keep is None:
            return Claim(run)
        return Claim(run, resumed=True, saved_at=keep.updated_at)

    async def save(self, run_id: str, status: str, state: dict[str, Any]) -> None:
        """Write the run's state after a transition (this process must own it)."""
        changed = await self._execute(
            "UPDATE speckit_auto_runs SET status = ?, state_json = ?, updated_at = ? "
            "WHERE id = ? AND owner = ?",
            (status, json.dumps(state), time.time(), run_id, owner_token()),
        )
        if changed == 0:
            raise StoreError(
                f"the /speckit.auto run {run_id} is no longer this server's (another codex-lsp "
                "took it over); it stops here"
            )

    async def release(self, run_id: str) -> None:
        """No process drives the run any more (it ended, stopped or waits to be resumed)."""
        await self._execute(
            "UPDATE speckit_auto_runs SET owner = NULL, cancel_requested = 0 WHERE id = ? AND "
            "owner = ?",
            (run_id, owner_token()),
        )

    async def get(self, run_id: str) -> AutoRunRow | None:
        """One run."""
        rows = await self._fetch(
            f"SELECT {_RUN_COLUMNS} FROM speckit_auto_runs WHERE id = ?", (run_id,)
        )
        return _run(rows[0]) if rows else None

    async def latest(self, workspace: Path, spec_id: str) -> AutoRunRow | None:
        """The SPEC's most recent run that was not superseded."""
        rows = await self._fetch(
            f"SELECT {_RUN_COLUMNS} FROM speckit_auto_runs WHERE workspace = ? AND spec_id = ? "
            "AND status != 'superseded' ORDER BY updated_at DESC, rowid DESC LIMIT 1",
            (str(workspace), spec_id),
        )
        return _run(rows[0]) if rows else None

    async def unfinished(self, workspace: Path) -> list[AutoRunRow]:
        """Every unfinished run of ``workspace``, the most recent first."""
        marks = ", ".join("?" for _ in UNFINISHED)
        rows = await self._fetch(
            f"SELECT {_RUN_COLUMNS} FROM speckit_auto_runs WHERE workspace = ? AND status IN "
            f"({marks}) ORDER BY updated_at DESC, rowid DESC",
            (str(workspace), *UNFINISHED),
        )
        return [_run(r) for r in rows]

    async def request_cancel(self, run_id: str) -> None:
        """Ask the process that drives the run to stop it (it looks every second)."""
        await self._execute(
            "UPDATE speckit_auto_runs SET cancel_requested = 1 WHERE id = ?", (run_id,)
        )

    async def cancel_requested(self, run_id: str) -> bool:
        """Whether a stop was asked for."""
        rows = await self._fetch(
            "SELECT cancel_requested FROM speckit_auto_runs WHERE id = ?", (run_id,)
        )
        return bool(rows and rows[0][0])

    # ------------------------------------------------------------ gate issues
    async def put_issues(self, issues: Sequence[IssueRow]) -> None:
        """Store a checkpoint's issues (replacing earlier rows of the same ids)."""
        try:
            await self._db.executemany(
                f"INSERT OR REPLACE INTO speckit_gate_issues ({_ISSUE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        i.run_id,
                        i.checkpoint,
                        i.issue_id,
                        i.status,
                        i.magnitude,
                        i.file,
                        i.line,
                        json.dumps(i.data),
                        i.answer,
                        i.backup,
                        i.answered_at,
                    )
                    for i in issues
                ],
            )
        except sqlite3.Error as exc:
            raise StoreError(f"recording the quality-gate issues failed: {exc}") from exc

    async def issues(self, run_id: str, checkpoint: str | None = None) -> list[IssueRow]:
        """The issues of a run (of one checkpoint), in the order they were found."""
        if checkpoint is None:
            rows = await self._fetch(
                f"SELECT {_ISSUE_COLUMNS} FROM speckit_gate_issues WHERE run_id = ? ORDER BY rowid",
                (run_id,),
            )
        else:
            rows = await self._fetch(
                f"SELECT {_ISSUE_COLUMNS} FROM speckit_gate_issues WHERE run_id = ? AND "
                "checkpoint = ? ORDER BY rowid",
                (run_id, checkpoint),
            )
        return [_issue(r) for r in rows]

    async def open_issues(self, workspace: Path) -> list[IssueRow]:
        """The open issues of every unfinished run of ``workspace``."""
        marks = ", ".join("?" for _ in UNFINISHED)
        rows = await self._fetch(
            f"SELECT {', '.join('i.' + c.strip() for c in _ISSUE_COLUMNS.split(','))} FROM "
            "speckit_gate_issues AS i JOIN speckit_auto_runs AS r ON r.id = i.run_id WHERE "
            f"r.workspace = ? AND r.status IN ({marks}) AND i.status = 'open' ORDER BY i.rowid",
            (str(workspace), *UNFINISHED),
        )
        return [_issue(r) for r in rows]

    async def close_issue(
        self,
        run_id: str,
        checkpoint: str,
        issue_id: str,
        *,
        status: str,
        answer: str | None,
        backup: str | None = None,
    ) -> bool:
        """Mark an open issue answered (or auto-fixed, dismissed); False when it was not open
        (answered meanwhile, or unknown)."""
        changed = await self._execute(
            "UPDATE speckit_gate_issues SET status = ?, answer = ?, backup = ?, answered_at = ? "
            "WHERE run_id = ? AND checkpoint = ? AND issue_id = ? AND status = 'open'",
            (status, answer, backup, time.time(), run_id, checkpoint, issue_id),
        )
        return changed > 0
