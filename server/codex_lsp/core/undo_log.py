"""The turn snapshots undo can still restore, in memory and in the store: each is written with
the turn (at every step, so a crash keeps what the turn changed so far) and marked undone in
the store when undo takes it, so ``codex/undoTurn`` works after a restart, a crash or a resume."""

from __future__ import annotations

from codex_lsp.core.journal import Journal
from codex_lsp.core.turn_diff import TurnSnapshot


class UndoLog:
    """One conversation's restorable snapshots, oldest first."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self._snapshots: list[TurnSnapshot] = []

    def seed(self, snapshots: list[TurnSnapshot]) -> None:
        """The stored snapshots of a resumed conversation (already on disk)."""
        self._snapshots[:] = snapshots

    def save(self, snapshot: TurnSnapshot | None, turn_id: str) -> None:
        """What turn ``turn_id`` changed so far (``None``: nothing, or nothing any more)."""
        index = next((i for i, s in enumerate(self._snapshots) if s.turn_id == turn_id), None)
        if snapshot is None:
            if index is not None:
                del self._snapshots[index]
                self._journal.snapshots_dropped([turn_id])
            return
        if index is None:
            self._snapshots.append(snapshot)
        else:
            self._snapshots[index] = snapshot
        self._journal.snapshot(snapshot)

    def take(self, count: int, since: str | None = None) -> list[TurnSnapshot]:
        """Remove and return the snapshots of the last ``count`` file-changing turns (or of turn
        ``since`` and every later one), newest first, marking them undone in the store; none
        when ``since`` changed no files or was undone already."""
        if since is not None:
            ids = [s.turn_id for s in self._snapshots]
            count = len(ids) - ids.index(since) if since in ids else 0
        taken = self._snapshots[len(self._snapshots) - count :][::-1] if count else []
        del self._snapshots[len(self._snapshots) - len(taken) :]
        self._journal.snapshots_undone([s.turn_id for s in taken])
        return taken

    def take_turns(self, turn_ids: set[str]) -> list[TurnSnapshot]:
        """Remove and return the snapshots of ``turn_ids`` (to restore their files), newest
        first; :meth:`drop` then forgets them in the store."""
        taken = [s for s in self._snapshots if s.turn_id in turn_ids][::-1]
        self._snapshots[:] = [s for s in self._snapshots if s.turn_id not in turn_ids]
        return taken

    def drop(self, turn_ids: set[str]) -> None:
        """Forget the snapshots of turns that are gone (rewound), here and in the store."""
        self._snapshots[:] = [s for s in self._snapshots if s.turn_id not in turn_ids]
        self._journal.snapshots_dropped(sorted(turn_ids))

    def turn_ids(self) -> list[str]:
        """The turns whose changes undo can take back, oldest first."""
        return [s.turn_id for s in self._snapshots if s.before]

    def last(self) -> TurnSnapshot | None:
        """The newest snapshot undo can take back."""
        return self._snapshots[-1] if self._snapshots else None
