"""spec-kit's stage runs in the store: ``consensus_runs`` (one row per attempt of a stage of a
SPEC) and ``agent_outputs`` (what each agent of it answered). A run is written in one
transaction on its own connection (the conversation store's writer owns the transactions of
its connection); the latest attempt per (SPEC, stage) is the current one, earlier ones stay."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiosqlite

from codex_lsp.errors import StoreError
from codex_lsp.store.database import open_database
from codex_lsp.store.speckit_auto import AutoRuns

_RUN_COLUMNS = (
    "id, spec_id, stage, attempt, consensus_ok, degraded, status, synthesis_json, agreements, "
    "conflicts, created_at"
)
_OUTPUT_COLUMNS = (
    "id, run_id, agent, model, role, content_json, response_text, error, attempts, usage, cost, "
    "conversation_id, created_at"
)


@dataclass(frozen=True)
class AgentOutput:
    """One agent's part of a run: its answer (None when it failed) or its error."""

    agent: str
    model: str
    role: str = "agent"
    content: dict[str, Any] | None = None
    response_text: str | None = None
    error: str | None = None
    attempts: int = 1
    usage: dict[str, Any] | None = None
    cost: float = 0.0
    conversation_id: str | None = None
    """The agent's own conversation, whose parent is this run (set by the runner)."""
    id: int | None = None
    created_at: float | None = None


@dataclass(frozen=True)
class StageRunRecord:
    """One attempt of one stage of one SPEC, and its agents' outputs."""

    spec_id: str
    stage: str
    status: str
    consensus_ok: bool
    degraded: bool
    synthesis: dict[str, Any] | None
    agreements: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    outputs: tuple[AgentOutput, ...] = field(default=())
    id: int | None = None
    attempt: int | None = None
    created_at: float | None = None


def _run_from_row(row: Sequence[Any], outputs: tuple[AgentOutput, ...]) -> StageRunRecord:
    return StageRunRecord(
        id=row[0],
        spec_id=row[1],
        stage=row[2],
        attempt=row[3],
        consensus_ok=bool(row[4]),
        degraded=bool(row[5]),
        status=row[6],
        synthesis=json.loads(row[7]) if row[7] else None,
        agreements=tuple(json.loads(row[8] or "[]")),
        conflicts=tuple(json.loads(row[9] or "[]")),
        created_at=row[10],
        outputs=outputs,
    )


def _output_from_row(row: Sequence[Any]) -> AgentOutput:
    return AgentOutput(
        id=row[0],
        agent=row[2],
        model=row[3],
        role=row[4],
        content=json.loads(row[5]) if row[5] else None,
        response_text=row[6],
        error=row[7],
        attempts=row[8],
        usage=json.loads(row[9]) if row[9] else None,
        cost=row[10],
        conversation_id=row[11],
        created_at=row[12],
    )


class SpeckitRuns:
    """Stage runs of every workspace, in the store file."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self.auto = AutoRuns(db)
        """``/speckit.auto``'s runs and gate issues, on the same connection."""

    @classmethod
    async def open(cls, path: Path) -> SpeckitRuns:
        """Open (create, migrate) the store at ``path`` on a connection of its own."""
        return cls(await open_database(path))

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()

    async def record(self, workspace: Path, run: StageRunRecord) -> StageRunRecord:
        """Store ``run`` as the next attempt of its (SPEC, stage); returns it with its id,
        attempt and time."""
        now = time.time()
        db = self._db
        try:
            await db.execute("BEGIN IMMEDIATE")
            try:
                async with db.execute(
                    "SELECT COALESCE(MAX(attempt), 0) + 1 FROM consensus_runs "
                    "WHERE workspace = ? AND spec_id = ? AND stage = ?",
                    (str(workspace), run.spec_id, run.stage),
                ) as cursor:
                    row = await cursor.fetchone()
                attempt = int(row[0]) if row else 1
                cursor = await db.execute(
                    "INSERT INTO consensus_runs (workspace, spec_id, stage, attempt, consensus_ok, "
                    "degraded, status, synthesis_json, agreements, conflicts, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        str(workspace),
                        run.spec_id,
                        run.stage,
                        attempt,
                        int(run.consensus_ok),
                        int(run.degraded),
                        run.status,
                        json.dumps(run.synthesis) if run.synthesis is not None else None,
                        json.dumps(list(run.agreements)),
                        json.dumps(list(run.conflicts)),
                        now,
                    ),
                )
                run_id = cursor.lastrowid
                await db.executemany(
                    f"INSERT INTO agent_outputs ({_OUTPUT_COLUMNS.removeprefix('id, ')}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            run_id,
                            o.agent,
                            o.model,
                            o.role,
                            json.dumps(o.content) if o.content is not None else None,
                            o.response_text,
                            o.error,
                            o.attempts,
                            json.dumps(o.usage) if o.usage is not None else None,
                            o.cost,
                            o.conversation_id,
                            now,
                        )
                        for o in run.outputs
                    ],
                )
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(
                f"recording the spec-kit run failed: {exc}",
                retryable=isinstance(exc, sqlite3.OperationalError),
            ) from exc
        return replace(run, id=run_id, attempt=attempt, created_at=now)

    async def _fetch(self, sql: str, params: Sequence[Any]) -> list[Any]:
        try:
            return list(await self._db.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise StoreError(f"reading spec-kit runs failed: {exc}") from exc

    async def _with_outputs(self, rows: list[Any]) -> list[StageRunRecord]:
        if not rows:
            return []
        ids = [r[0] for r in rows]
        marks = ", ".join("?" for _ in ids)
        outputs: dict[int, list[AgentOutput]] = {i: [] for i in ids}
        for row in await self._fetch(
            f"SELECT {_OUTPUT_COLUMNS} FROM agent_outputs WHERE run_id IN ({marks}) ORDER BY id",
            ids,
        ):
            outputs[row[1]].append(_output_from_row(row))
        return [_run_from_row(r, tuple(outputs[r[0]])) for r in rows]

    async def latest(self, workspace: Path, spec_id: str) -> dict[str, StageRunRecord]:
        """The current (latest) run of each stage of ``spec_id``, with its outputs."""
        rows = await self._fetch(
            f"SELECT {_RUN_COLUMNS} FROM consensus_runs AS r WHERE workspace = ? AND spec_id = ? "
            "AND attempt = (SELECT MAX(attempt) FROM consensus_runs WHERE workspace = r.workspace "
            "AND spec_id = r.spec_id AND stage = r.stage)",
            (str(workspace), spec_id),
        )
        return {run.stage: run for run in await self._with_outputs(rows)}

    async def history(self, workspace: Path, spec_id: str, stage: str) -> list[StageRunRecord]:
        """Every attempt of one stage, oldest first."""
        rows = await self._fetch(
            f"SELECT {_RUN_COLUMNS} FROM consensus_runs WHERE workspace = ? AND spec_id = ? AND "
            "stage = ? ORDER BY attempt",
            (str(workspace), spec_id, stage.removeprefix("spec-")),
        )
        return await self._with_outputs(rows)

    async def parent(self, conversation_id: str) -> StageRunRecord | None:
        """The stage run an agent's conversation belongs to (None: it is no agent's)."""
        rows = await self._fetch(
            f"SELECT {_RUN_COLUMNS} FROM consensus_runs WHERE id = (SELECT run_id FROM "
            "agent_outputs WHERE conversation_id = ? ORDER BY id DESC LIMIT 1)",
            (conversation_id,),
        )
        found = await self._with_outputs(rows)
        return found[0] if found else None

    async def overview(self, workspace: Path) -> dict[str, dict[str, str]]:
        """SPEC → stage → status of its latest run, for every SPEC of ``workspace``."""
        rows = await self._fetch(
            "SELECT spec_id, stage, status FROM consensus_runs AS r WHERE workspace = ? AND "
            "attempt = (SELECT MAX(attempt) FROM consensus_runs WHERE workspace = r.workspace "
            "AND spec_id = r.spec_id AND stage = r.stage)",
            (str(workspace),),
        )
        out: dict[str, dict[str, str]] = {}
        for spec_id, stage, status in rows:
            out.setdefault(spec_id, {})[stage] = status
        return out
