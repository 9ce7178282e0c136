"""Helpers of the ``/speckit.auto`` tests: every agent's answer to every stage, which stage a
request asked about, and how many requests each agent's server has had."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from codex_lsp.testing import FakeModelServer, RecordedRequest
from tests.speckit.agents import answering
from tests.speckit.answers import (
    audit_answer,
    implement_answer,
    plan_answer,
    tasks_answer,
    unlock_answer,
    validate_answer,
)


class HasServers(Protocol):
    """Anything with one scripted model server per agent."""

    @property
    def servers(self) -> Mapping[str, FakeModelServer]:
        """The servers by agent."""
        ...


AGENTS = ("gemini", "claude", "gpt_codex", "gpt_pro")
THREE = ("gemini", "claude", "gpt_pro")
STAGES = ("plan", "tasks", "implement", "validate", "audit", "unlock")


def _tasks(agent: str) -> dict[str, Any]:
    answer = tasks_answer(agent)
    for task in answer["tasks"]:
        task["validation"] = "echo validated-ok"
    return answer


def _patch(n: int) -> str:
    return f"*** Begin Patch\n*** Add File: src/auth{n}.py\n+CLIENT = {n}\n*** End Patch"


def answers_for(stage: str, agent: str, decision: str = "pass", n: int = 1) -> dict[str, Any]:
    """A valid answer of ``agent`` to ``stage``."""
    if stage == "implement":
        return implement_answer(agent, _patch(n))
    if stage == "validate":
        return validate_answer(agent, decision)
    builders = {"plan": plan_answer, "tasks": _tasks, "audit": audit_answer}
    return builders.get(stage, unlock_answer)(agent)


def enqueue(agents: HasServers, stage: str, decision: str = "pass", n: int = 1) -> None:
    """Every agent of ``stage`` answers it once."""
    for name in AGENTS if stage == "implement" else THREE:
        agents.servers[name].enqueue(answering(answers_for(stage, name, decision, n)))


def stage_of(request: RecordedRequest) -> str | None:
    """The stage an agent's request asks about (from the answer schema it sends)."""
    schema = request.output_schema or {}
    enum = schema.get("properties", {}).get("stage", {}).get("enum")
    return str(enum[0]) if enum else None


def asked(agents: HasServers, since: dict[str, int] | None = None) -> list[str | None]:
    """The stage of every agent request (after the counts ``since`` of :func:`marks`)."""
    start = since or {}
    return [
        stage_of(r)
        for name, server in agents.servers.items()
        for r in list(server.requests)[start.get(name, 0) :]
    ]


def marks(agents: HasServers) -> dict[str, int]:
    """How many requests each agent's server has had."""
    return {name: len(server.requests) for name, server in agents.servers.items()}


async def wait_until(predicate: Callable[[], bool], timeout: float = 30) -> None:
    """Poll ``predicate`` until it holds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


def recorded(db: Path, stage: str) -> bool:
    """The store at ``db`` holds a run of ``stage`` (the stage finished: file, then row)."""
    if not db.exists():
        return False
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
        try:
            rows = connection.execute(
                "SELECT 1 FROM consensus_runs WHERE stage = ?", (stage,)
            ).fetchall()
        except sqlite3.OperationalError:  # not migrated yet
            return False
    return bool(rows)
