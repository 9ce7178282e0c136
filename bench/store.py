"""The conversation store: append throughput while a stream runs, the latency of one durable
write and of one list page, resume of a 10,000-item conversation, and a list over 10,000
conversations. Baselines measured in the same run: plain ``sqlite3`` doing the same statement
synchronously. ``python -m bench.store [--items 10000] [--conversations 10000]``"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import make_home, summary
from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.core.journal import Journal, NewConversationRow
from codex_lsp.protocol.events import AgentMessageEvent, ExecCommandEndEvent
from codex_lsp.protocol.history import (
    AssistantMessage,
    FunctionCall,
    FunctionCallOutput,
    HistoryItem,
    InputText,
    UserMessage,
)
from codex_lsp.protocol.items import ItemStatus
from codex_lsp.store import ConversationStore
from codex_lsp.store.records import LIST_COLUMNS

TICK_S = 0.001


def _item(n: int) -> HistoryItem:
    kind = n % 4
    if kind == 0:
        return UserMessage(content=[InputText(text=f"question {n}: " + "why " * 30)])
    if kind == 1:
        return FunctionCall(call_id=f"c{n}", name="shell", arguments='{"command":["ls","-la"]}')
    if kind == 2:
        return FunctionCallOutput(call_id=f"c{n - 1}", output="file\n" * 60)
    return AssistantMessage(text=f"answer {n}: " + "because " * 40)


async def _lag_while(work: asyncio.Task[Any]) -> list[float]:
    """Event-loop lag (ms) sampled every millisecond while ``work`` runs: what a stream of
    deltas on the same loop would wait."""
    lags: list[float] = []
    while not work.done():
        before = time.perf_counter()
        await asyncio.sleep(TICK_S)
        lags.append((time.perf_counter() - before - TICK_S) * 1000)
    return lags


async def append_throughput(store: ConversationStore, items: int) -> dict[str, Any]:
    """Journal ``items`` history items plus one event each, then make them durable."""
    journal = Journal(store, "append")
    journal.create(NewConversationRow("/w", "m", "p", None, None))
    history: list[HistoryItem] = []
    started = time.perf_counter()
    enqueue_s: list[float] = []

    async def write() -> None:
        for n in range(items):
            t = time.perf_counter()
            history.append(_item(n))
            journal.sync(history, "turn")
            journal.event(
                AgentMessageEvent(turn_id="turn", item_id=f"i{n}", message="x" * 200), "t"
            )
            enqueue_s.append(time.perf_counter() - t)
            if n % 100 == 0:
                await asyncio.sleep(0)
        await journal.durable(120)

    task = asyncio.create_task(write())
    lags = await _lag_while(task)
    await task
    elapsed = time.perf_counter() - started
    return {
        "items": items,
        "rows_written": 2 * items,
        "items_per_s": round(items / elapsed),
        "enqueue_us": {k: v * 1e6 for k, v in summary(enqueue_s).items() if k != "n"},
        "loop_lag_ms": summary(lags) if lags else None,
    }


async def durable_write_latency(store: ConversationStore, runs: int) -> dict[str, Any]:
    """One event journaled and made durable (what a turn end waits), vs sqlite3 inserting and
    committing the same row synchronously."""
    journal = Journal(store, "latency")
    journal.create(NewConversationRow("/w", "m", "p", None, None))
    await journal.durable()
    event = ExecCommandEndEvent(
        turn_id="t",
        item_id="i",
        call_id="c",
        command=["pytest", "-q"],
        cwd="/w",
        stdout="ok\n",
        stderr="",
        aggregated_output="ok\n",
        exit_code=0,
        duration_ms=3,
        formatted_output="ok\n",
        status=ItemStatus.COMPLETED,
    )
    ours: list[float] = []
    for _ in range(runs):
        t = time.perf_counter()
        journal.event(event, "t")
        await journal.durable()
        ours.append(time.perf_counter() - t)
    db = sqlite3.connect(store.path, isolation_level=None)
    db.execute("PRAGMA synchronous = NORMAL")
    body = event.to_wire_json()
    base: list[float] = []
    for n in range(runs):
        t = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "INSERT INTO events (conversation_id, seq, body) VALUES ('latency', ?, ?)",
            (1_000_000 + n, body),
        )
        db.execute("COMMIT")
        base.append(time.perf_counter() - t)
    db.close()
    return _versus(ours, base)


def _versus(ours: list[float], base: list[float]) -> dict[str, Any]:
    return {
        "codex_lsp_ms": {k: v * 1000 for k, v in summary(ours).items() if k != "n"},
        "sqlite3_ms": {k: v * 1000 for k, v in summary(base).items() if k != "n"},
        "ratio_median": statistics.median(ours) / statistics.median(base),
    }


async def resume_time(store: ConversationStore, items: int, runs: int) -> dict[str, Any]:
    """Load a conversation of ``items`` history items and as many events (what resume reads)."""
    journal = Journal(store, "big")
    journal.create(NewConversationRow("/w", "m", "p", None, None))
    history = [_item(n) for n in range(items)]
    journal.sync(history, "t")
    for n in range(items):
        journal.event(AgentMessageEvent(turn_id="t", item_id=f"i{n}", message="y" * 200), "t")
    await journal.durable(120)
    times: list[float] = []
    for _ in range(runs):
        t = time.perf_counter()
        stored = await store.load("big")
        times.append(time.perf_counter() - t)
        assert len(stored.history) == items
    return {"items": items, "events": items, "load_s": summary(times)}


async def full_resume(items: int, runs: int) -> dict[str, Any]:
    """``ConversationManager.resume`` of a stored conversation of ``items`` history items and
    as many events, as after a restart: rebuild the model history, replay the events (JSON),
    start the conversation. The store is opened before the clock starts."""
    home = make_home("http://127.0.0.1:9/v1")
    os.environ.update(home.env)
    store = await ConversationStore.open(home.path / "state.db")
    journal = Journal(store, "big")
    journal.create(NewConversationRow(str(home.workspace), "fake-model", "fake", None, None))
    journal.sync([_item(n) for n in range(items)], "t")
    for n in range(items):
        journal.event(AgentMessageEvent(turn_id="t", item_id=f"i{n}", message="y" * 200), "t")
    journal.release()
    await journal.durable(120)
    await store.close()
    times: list[float] = []
    for _ in range(runs):
        manager = ConversationManager(FrontEnd(lambda _e: None), ConfigSources(home=home.path))
        await manager.store()
        t = time.perf_counter()
        resumed = await manager.resume("big")
        times.append(time.perf_counter() - t)
        assert len(resumed.initial_messages) == items
        await manager.shutdown_all()
    return {"items": items, "resume_s": summary(times)}


async def list_latency(store: ConversationStore, conversations: int, runs: int) -> dict[str, Any]:
    """First page (50) of ``conversations`` stored conversations, in one workspace of many,
    vs sqlite3 running the same query synchronously."""
    for n in range(conversations):
        store.writes.enqueue(
            "INSERT INTO conversations (id, created_at, updated_at, cwd, model, provider, "
            "preview) VALUES (?, ?, ?, ?, 'm', 'p', 'a preview of the first message')",
            (f"conv-{n:06d}", n, n, f"/work/project-{n % 20}"),
        )
    await store.writes.flush(120)
    cwd = Path("/work/project-7")
    ours: list[float] = []
    everything: list[float] = []
    for _ in range(runs):
        t = time.perf_counter()
        page = await store.list_page(cwd=cwd, archived=False, cursor=None, page_size=50)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        await store.list_page(cwd=None, archived=False, cursor=None, page_size=50)
        everything.append(time.perf_counter() - t)
        assert len(page.rows) == 50
    db = sqlite3.connect(store.path)
    base: list[float] = []
    for _ in range(runs):
        t = time.perf_counter()
        db.execute(
            f"SELECT {LIST_COLUMNS} FROM conversations WHERE archived = 0 AND "
            "(cwd = ? OR (cwd > ? AND cwd < ?)) ORDER BY updated_at DESC, id DESC LIMIT 51",
            (str(cwd), f"{cwd}/", f"{cwd}0"),
        ).fetchall()
        base.append(time.perf_counter() - t)
    db.close()
    gets: list[float] = []
    for n in range(runs):
        t = time.perf_counter()
        await store.get(f"conv-{n * 97 % conversations:06d}")
        gets.append(time.perf_counter() - t)
    result = _versus(ours, base)
    result["get_one_ms"] = {k: v * 1000 for k, v in summary(gets).items() if k != "n"}
    result["all_workspaces_ms"] = {k: v * 1000 for k, v in summary(everything).items() if k != "n"}
    result["conversations"] = conversations
    return result


async def measure(items: int, conversations: int, runs: int) -> dict[str, Any]:
    """Every store figure, each on a fresh file."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="codex-lsp-store-bench-") as folder:
        for name, job in (
            ("append", lambda s: append_throughput(s, items)),
            ("durable_write", lambda s: durable_write_latency(s, runs * 5)),
            ("resume", lambda s: resume_time(s, items, runs)),
            ("list", lambda s: list_latency(s, conversations, runs * 5)),
        ):
            store = await ConversationStore.open(Path(folder) / f"{name}.db")
            try:
                results[name] = await job(store)
            finally:
                await store.close()
    results["full_resume"] = await full_resume(items, runs)
    return results


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.items, args.conversations, args.runs)), indent=1))


if __name__ == "__main__":
    main()
