"""The unified diff of everything a turn changed: each file's content is recorded the first time
the turn touches it, and the diff is taken against the disk whenever it is asked for."""

from __future__ import annotations

import difflib
from pathlib import Path


def _read(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


class TurnDiffTracker:
    """Pre-images of the files a turn touched."""

    def __init__(self, cwd: Path) -> None:
        self._cwd = cwd
        self._before: dict[Path, str | None] = {}

    def record(self, paths: list[Path]) -> None:
        """Remember the current content of ``paths`` unless already recorded this turn."""
        for path in paths:
            resolved = path.resolve()
            if resolved not in self._before:
                self._before[resolved] = _read(resolved)

    def unified_diff(self) -> str:
        """``git diff``-style text of every recorded file that changed."""
        parts = []
        for path, before in sorted(self._before.items()):
            after = _read(path)
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
