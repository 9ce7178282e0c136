"""Rewind: drop a turn and every later one from a conversation, in place. The model no longer
sees them (the history is cut where the turn began, stored as a new epoch), a resume no longer
shows them (their events and turn rows are deleted), and, when asked, the files they changed are
restored as undo restores them (a file changed since is left alone and named)."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.core.turn_parts import TurnParts
from codex_lsp.core.undo import restore_plans
from codex_lsp.errors import ProtocolError
from codex_lsp.patch.model import PatchError
from codex_lsp.protocol.events import ConversationRewoundEvent, SkippedFile
from codex_lsp.protocol.ops import RewindConversationOp


async def rewind(
    parts: TurnParts, cwd: Path, turn_ids: set[str], op: RewindConversationOp
) -> ConversationRewoundEvent:
    """Carry out ``op`` on a conversation (its parts, folder and turns; no task runs
    meanwhile); what the client is told."""
    journal, history, files = parts.recorder.journal, parts.history, parts.seams.files
    journal.sync(history, None)
    await journal.durable()
    start, dropped = await journal.store.rewind_point(
        parts.conversation_id, journal.epoch, op.turn_id
    )
    if start is None:
        raise ProtocolError(
            f"turn {op.turn_id!r} cannot be rewound: the model's history no longer holds it "
            "(it came before a compaction, or added nothing the model saw); fork from an "
            "earlier turn instead"
        )
    restored: list[str] = []
    skipped: list[SkippedFile] = []
    note = ""
    if op.restore_files:
        gone = set(dropped)
        snapshots = parts.snapshots.take_turns(gone)
        plans, skipped = restore_plans(snapshots, files.read, cwd)
        try:
            await files.write(plans, f"codex-lsp: rewind {len(dropped)} turn(s)")
            restored = [p.path for p in plans]
        except PatchError as exc:
            note = f"; the files were not restored: {exc.message}"
    parts.snapshots.drop(set(dropped))
    del history[start:]
    journal.rewound(start, dropped)
    turn_ids.difference_update(dropped)
    await journal.durable()
    message = f"rewound {len(dropped)} turn(s)"
    if op.restore_files:
        message += f": restored {len(restored)} file(s)"
    if skipped:
        message += "; left alone: " + "; ".join(f"{s.path} ({s.reason})" for s in skipped)
    return ConversationRewoundEvent(
        rewound_turn_ids=dropped,
        message=message + note,
        restored_files=restored,
        skipped=skipped,
    )
