"""Undo without git: restore the files the last turns changed to their content before those
turns, through the conversation's file sink (the editor when one is connected). A file that
changed again after the turn is left alone and reported. The model is told what was undone."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.core.turn import TurnRunner
from codex_lsp.core.turn_diff import Reader, TurnSnapshot
from codex_lsp.patch.files import FilePlan
from codex_lsp.patch.model import PatchError
from codex_lsp.protocol.events import SkippedFile, UndoCompletedEvent
from codex_lsp.protocol.history import InputText, UserMessage


def _shown(path: Path, cwd: Path) -> str:
    return str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)


CHANGED_SINCE = "changed after the turn; your version is kept"
NOT_RECORDED = "its content before the turn was not recorded (not text, or too large)"


def restore_plans(
    snapshots: list[TurnSnapshot], read: Reader, cwd: Path
) -> tuple[list[FilePlan], list[SkippedFile]]:
    """Plans that bring each file back to its content before the oldest of ``snapshots``
    (newest first), and the files skipped, with why: changed since, or never recorded."""
    targets: dict[Path, str | None] = {}
    expected: dict[Path, str | None] = {}
    unrecorded: set[Path] = set()
    for snapshot in snapshots:  # newest first: the first "after" seen is the newest
        for path, after in snapshot.after.items():
            expected.setdefault(path, after)
        targets.update(snapshot.before)  # later (older) snapshots overwrite: the oldest wins
        unrecorded |= snapshot.unrecorded
    plans: list[FilePlan] = []
    skipped = [SkippedFile(path=_shown(p, cwd), reason=NOT_RECORDED) for p in sorted(unrecorded)]
    for path in sorted(targets.keys() - unrecorded):
        current = read(path)
        shown = _shown(path, cwd)
        if current != expected[path]:
            skipped.append(SkippedFile(path=shown, reason=CHANGED_SINCE))
            continue
        target = targets[path]
        if target is None:
            if current is not None:
                plans.append(FilePlan("delete", shown, path, current, None))
        elif current is None:
            plans.append(FilePlan("add", shown, path, None, target))
        else:
            plans.append(FilePlan("update", shown, path, current, target))
    return plans, skipped


async def run_undo(runner: TurnRunner, num_turns: int, since: str | None = None) -> str | None:
    """The undo task: the last ``num_turns`` file-changing turns, or turn ``since`` onwards."""
    parts = runner.parts
    snapshots = parts.snapshots.take(num_turns, since)
    if not snapshots:
        message = (
            f"nothing to undo: turn {since} changed no files, or was undone already"
            if since
            else "nothing to undo: no earlier turn changed files"
        )
        runner.emit(UndoCompletedEvent(turn_id=runner.turn_id, success=False, message=message))
        return None
    plans, skipped = restore_plans(snapshots, parts.seams.files.read, runner.ctx.cwd)
    try:
        notes = await parts.seams.files.write(plans, f"codex-lsp: undo {len(snapshots)} turn(s)")
    except PatchError as exc:
        runner.emit(
            UndoCompletedEvent(
                turn_id=runner.turn_id, success=False, message=f"undo failed: {exc.message}"
            )
        )
        return None
    restored = [p.path for p in plans]
    left = "; ".join(f"{s.path} ({s.reason})" for s in skipped)
    message = f"undid {len(snapshots)} turn(s): restored {len(restored)} file(s)"
    if skipped:
        message += f"; left {len(skipped)} file(s) alone: {left}"
    tell = (
        f"The user undid your last {len(snapshots)} turn(s). These files were restored to their "
        f"content before those turns: {', '.join(restored) or 'none'}."
    )
    if skipped:
        tell += f" These were left as they are: {left}."
    tell += "".join(f" {note}" for note in notes)
    parts.history.append(UserMessage(content=[InputText(text=tell)]))
    runner.emit(
        UndoCompletedEvent(
            turn_id=runner.turn_id,
            success=bool(restored) or not skipped,
            message=message,
            restored_files=restored,
            skipped_files=[s.path for s in skipped],
            skipped=skipped,
            undone_turn_ids=[s.turn_id for s in snapshots],
        )
    )
    return None
