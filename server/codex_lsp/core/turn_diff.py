"""What a turn changed: each file's content is recorded the first time the turn touches it; the
unified diff is taken against the files as they are now, and a finished turn leaves a
:class:`TurnSnapshot` (content before and after) that undo restores from."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

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

    def _current(self, path: Path) -> str | None:
        try:
            return self._read(path)
        except Exception:
            return None

    def record(self, paths: list[Path]) -> None:
        """Remember the current content of ``paths`` unless already recorded this turn."""
        for path in paths:
            resolved = path.resolve()
            if resolved not in self._before:
                self._before[resolved] = self._current(resolved)

    def snapshot(self, turn_id: str) -> TurnSnapshot | None:
        """Before and after of every file that changed, or ``None`` when nothing did."""
        after = {path: self._current(path) for path in self._before}
        changed = {p: b for p, b in self._before.items() if after[p] != b}
        if not changed:
            return None
        return TurnSnapshot(turn_id, changed, {p: after[p] for p in changed})

    def unified_diff(self) -> str:
        """``git diff``-style text of every recorded file that changed."""
        parts = []
        for path, before in sorted(self._before.items()):
            after = self._current(path)
            if before == after:
                continue
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
