"""What a turn changed: each file's content is recorded the first time the turn touches it (by
apply_patch, or as a shell command found it: :mod:`codex_lsp.core.workspace_watch`); the unified
diff is taken against the files as they are now, and a finished turn leaves a
:class:`TurnSnapshot` (content before and after) that undo restores from. Files a command
changed are read bounded (:func:`read_bounded`): a planted symlink, FIFO or huge file is named in
the snapshot as not recorded, never read."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

from codex_lsp.core.bounded_read import UNRECORDED, Content, read_bounded
from codex_lsp.store.snapshots import TurnSnapshot

__all__ = ["Reader", "TurnDiffTracker", "TurnSnapshot"]

Reader = Callable[[Path], str | None]


class TurnDiffTracker:
    """Pre-images of the files a turn touched, read through the conversation's file sink (so
    open editor buffers count)."""

    def __init__(self, cwd: Path, read: Reader) -> None:
        self._cwd = cwd
        self._read = read
        self._before: dict[Path, str | None] = {}
        self._captured: set[Path] = set()
        """Files a command changed: read bounded, never through the editor."""
        self._unrecorded: set[Path] = set()

    def _current(self, path: Path) -> Content:
        if path in self._captured:
            return read_bounded(path)
        try:
            return self._read(path)
        except Exception:
            return None

    def _known(self, path: Path) -> bool:
        return path in self._before or path in self._unrecorded

    def record(self, paths: list[Path]) -> None:
        """Remember the current content of ``paths`` unless already recorded this turn."""
        for path in paths:
            resolved = path.resolve()
            if not self._known(resolved):
                current = self._current(resolved)
                self._before[resolved] = None if current is UNRECORDED else current

    def record_captured(self, befores: dict[Path, Content]) -> None:
        """Files a command changed, with what they held before it (unless the turn recorded
        them already: the first content seen is the one undo restores)."""
        for path, before in befores.items():
            if self._known(path):
                continue
            self._captured.add(path)
            if before is UNRECORDED:
                self._unrecorded.add(path)
            else:
                self._before[path] = before

    def _changes(self) -> tuple[dict[Path, tuple[str | None, str | None]], set[Path]]:
        """Each recorded file that changed (before, after), and those not recorded."""
        unrecorded = set(self._unrecorded)
        changed: dict[Path, tuple[str | None, str | None]] = {}
        for path, before in self._before.items():
            after = self._current(path)
            if after is UNRECORDED:
                unrecorded.add(path)
            elif after != before:
                changed[path] = (before, after)
        return changed, unrecorded

    def snapshot(self, turn_id: str) -> TurnSnapshot | None:
        """Before and after of every file that changed, or ``None`` when nothing did."""
        changed, unrecorded = self._changes()
        if not changed and not unrecorded:
            return None
        return TurnSnapshot(
            turn_id,
            {p: b for p, (b, _) in changed.items()},
            {p: a for p, (_, a) in changed.items()},
            frozenset(unrecorded),
        )

    def unified_diff(self) -> str:
        """``git diff``-style text of every recorded file that changed."""
        parts = []
        changed, _ = self._changes()
        for path, (before, after) in sorted(changed.items()):
            name = path.relative_to(self._cwd) if path.is_relative_to(self._cwd) else path
            parts.append(
                "".join(
                    difflib.unified_diff(
                        (before or "").splitlines(keepends=True),
                        (after or "").splitlines(keepends=True),
                        fromfile=f"a/{name}" if before is not None else "/dev/null",
                        tofile=f"b/{name}" if after is not None else "/dev/null",
                    )
                )
            )
        return "".join(parts)
