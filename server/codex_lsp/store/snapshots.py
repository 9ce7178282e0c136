"""Turn snapshots in the store (``turn_snapshots``, ``snapshot_files``): the files each turn
changed, before and after, so undo works after a restart, a crash or a resume. Written through
the conversation's write queue (after the turn's items, before its end is announced); read with
the conversation when it is resumed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from codex_lsp.store.writer import WriteQueue


class TurnSnapshot(NamedTuple):
    """Files one turn changed: their content before the turn and after it (``None``: absent).
    ``unrecorded`` are files it changed whose content was not kept (not text, or too large):
    undo names them instead of restoring them."""

    turn_id: str
    before: dict[Path, str | None]
    after: dict[Path, str | None]
    unrecorded: frozenset[Path] = frozenset()


SELECT_SNAPSHOT_FILES = (
    "SELECT s.turn_id, f.path, f.recorded, f.before, f.after FROM turn_snapshots s "
    "JOIN snapshot_files f ON f.conversation_id = s.conversation_id AND f.turn_id = s.turn_id "
    "WHERE s.conversation_id = ? AND s.undone = 0 ORDER BY s.rowid, f.path"
)
"""The snapshots undo can still restore, oldest turn first."""


def save_snapshot(writes: WriteQueue, conversation_id: str, snapshot: TurnSnapshot) -> None:
    """Store (or replace: a turn saves what it changed so far at each step) one snapshot."""
    key = (conversation_id, snapshot.turn_id)
    writes.enqueue(
        "INSERT INTO turn_snapshots (conversation_id, turn_id) VALUES (?, ?) "
        "ON CONFLICT DO NOTHING",
        key,
    )
    writes.enqueue("DELETE FROM snapshot_files WHERE conversation_id = ? AND turn_id = ?", key)
    insert = (
        "INSERT INTO snapshot_files (conversation_id, turn_id, path, recorded, before, after) "
        "VALUES (?, ?, ?, ?, ?, ?)"
    )
    for path, before in snapshot.before.items():
        writes.enqueue(insert, (*key, str(path), 1, before, snapshot.after.get(path)))
    for path in sorted(snapshot.unrecorded):
        writes.enqueue(insert, (*key, str(path), 0, None, None))


def mark_undone(writes: WriteQueue, conversation_id: str, turn_ids: Sequence[str]) -> None:
    """These turns' changes were taken back: undo no longer offers them."""
    for turn_id in turn_ids:
        writes.enqueue(
            "UPDATE turn_snapshots SET undone = 1 WHERE conversation_id = ? AND turn_id = ?",
            (conversation_id, turn_id),
        )


def drop_snapshots(writes: WriteQueue, conversation_id: str, turn_ids: Sequence[str]) -> None:
    """These turns are gone from the conversation (rewound): so are their snapshots."""
    for turn_id in turn_ids:
        writes.enqueue(
            "DELETE FROM turn_snapshots WHERE conversation_id = ? AND turn_id = ?",
            (conversation_id, turn_id),
        )


def snapshots_from_rows(rows: Sequence[Sequence[Any]]) -> list[TurnSnapshot]:
    """Rows of :data:`SELECT_SNAPSHOT_FILES` as snapshots, oldest first."""
    order: list[str] = []
    parts: dict[str, tuple[dict[Path, str | None], dict[Path, str | None], set[Path]]] = {}
    for turn_id, path_text, recorded, before, after in rows:
        if turn_id not in parts:
            order.append(turn_id)
            parts[turn_id] = ({}, {}, set())
        path = Path(path_text)
        befores, afters, unrecorded = parts[turn_id]
        if recorded:
            befores[path], afters[path] = before, after
        else:
            unrecorded.add(path)
    return [TurnSnapshot(t, parts[t][0], parts[t][1], frozenset(parts[t][2])) for t in order]
