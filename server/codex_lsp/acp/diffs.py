"""A patch's file changes as ACP ``diff`` tool call content: the whole file's old and new text
for normal files (what an editor's review shows best), one diff per hunk above
:data:`WHOLE_FILE_MAX` or when the old text is not known. ACP v1 diffs have no delete or move:
a delete is ``newText: ""``, a move is shown at its new path."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codex_lsp.protocol.items import AddFile, DeleteFile, FileChange, UpdateFile

WHOLE_FILE_MAX = 256 * 1024
"""Characters of old plus new text above which a file is shown hunk by hunk."""
DIFF_CONTENT_MAX = 4 * 1024 * 1024
"""Characters of diff content one tool call carries at most (a client's frame limit is 32 MiB);
past it the rest of the files are named without their text."""
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
Known = Callable[[Path], str | None]
"""The text a file had before the patch, when the session read it."""


def absolute(shown: str, cwd: Path) -> Path:
    """A changed file's path as the core shows it (relative to the workspace, or absolute)."""
    path = Path(shown)
    return path if path.is_absolute() else cwd / path


def diff_content(changes: dict[str, FileChange], cwd: Path, known: Known) -> list[dict[str, Any]]:
    """One or more ``diff`` blocks per changed file, in the patch's order."""
    blocks: list[dict[str, Any]] = []
    size = 0
    left_out: list[str] = []
    for shown, change in changes.items():
        path = absolute(shown, cwd)
        if isinstance(change, AddFile):
            these = [_diff(path, None, change.content)]
        elif isinstance(change, DeleteFile):
            these = [_diff(path, change.content, "")]
        else:
            these = _update(path, change, cwd, known(path))
        more = sum(len(b.get("oldText") or "") + len(b["newText"]) for b in these)
        if size + more > DIFF_CONTENT_MAX:
            left_out.append(shown)
            continue
        size += more
        blocks += these
    if left_out:
        note = f"Too large to show here: {', '.join(left_out)} (see the files once applied)."
        blocks.append({"type": "content", "content": {"type": "text", "text": note}})
    return blocks


def locations(changes: dict[str, FileChange], cwd: Path) -> list[dict[str, Any]]:
    """Every file the patch touches (a move: both paths)."""
    found: list[dict[str, Any]] = []
    for shown, change in changes.items():
        found.append({"path": str(absolute(shown, cwd))})
        if isinstance(change, UpdateFile) and change.move_path:
            found.append({"path": str(absolute(change.move_path, cwd))})
    return found


def kind(changes: dict[str, FileChange]) -> str:
    """``delete`` or ``move`` for a patch that only deletes or only moves files, else ``edit``."""
    values = list(changes.values())
    if values and all(isinstance(c, DeleteFile) for c in values):
        return "delete"
    if values and all(
        isinstance(c, UpdateFile) and c.move_path and not c.unified_diff for c in values
    ):
        return "move"
    return "edit"


def _diff(path: Path, old: str | None, new: str) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "diff", "path": str(path), "newText": new}
    if old is not None:
        block["oldText"] = old
    return block


def _update(path: Path, change: UpdateFile, cwd: Path, old: str | None) -> list[dict[str, Any]]:
    target = absolute(change.move_path, cwd) if change.move_path else path
    if old is not None:
        new = apply_unified(old, change.unified_diff)
        if new is not None and len(old) + len(new) <= WHOLE_FILE_MAX:
            return [_diff(target, old, new)]
    hunks = [_diff(target, before, after) for before, after in split_hunks(change.unified_diff)]
    return hunks or [_diff(target, old or "", old or "")]


def _hunk_lines(diff: str) -> list[tuple[re.Match[str], list[str]]]:
    """Each ``@@`` header with its body lines (file headers skipped)."""
    found: list[tuple[re.Match[str], list[str]]] = []
    for line in diff.splitlines(keepends=True):
        header = _HUNK.match(line)
        if header is not None:
            found.append((header, []))
        elif found and line[:1] in (" ", "-", "+"):
            found[-1][1].append(line)
    return found


def split_hunks(diff: str) -> list[tuple[str, str]]:
    """Each hunk's old and new text (context included)."""
    pairs = []
    for _, body in _hunk_lines(diff):
        old = "".join(line[1:] for line in body if line[0] in " -")
        new = "".join(line[1:] for line in body if line[0] in " +")
        pairs.append((old, new))
    return pairs


def apply_unified(old: str, diff: str) -> str | None:
    """``old`` with a unified diff (made from it) applied; None when the diff does not fit it
    exactly (the caller then shows hunks)."""
    lines = old.splitlines(keepends=True)
    out: list[str] = []
    cursor = 0
    for header, body in _hunk_lines(diff):
        start = int(header.group(1)) - (0 if header.group(2) == "0" else 1)
        if start < cursor or start > len(lines):
            return None
        out += lines[cursor:start]
        cursor = start
        for line in body:
            text = line[1:]
            if line[0] in " -":
                if cursor >= len(lines) or lines[cursor] != text:
                    return None
                cursor += 1
            if line[0] in " +":
                out.append(text)
    return "".join(out + lines[cursor:])
