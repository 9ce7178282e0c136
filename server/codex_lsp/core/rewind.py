"""Rewind: drop a turn and every later one from a conversation, in place. The model no longer
sees them (the history is cut where the turn began, stored as a new epoch), a resume no longer
shows them (their events and turn rows are deleted), and, when asked, the files they changed are
restored as undo restores them (a file changed since is left alone and named)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codex_lsp.core.undo import restore_plans
from codex_lsp.errors import ProtocolError
from codex_lsp.patch.model import PatchError
from codex_lsp.protocol.events import ConversationRewoundEvent, SkippedFile
from codex_lsp.protocol.ops import RewindConversationOp

if TYPE_CHECKING:
    from codex_lsp.core.conversation import Conversation


async def rewind(conv: Conversation, op: RewindConversationOp) -> ConversationRewoundEvent:
    """Carry out ``op`` on ``conv`` (no task runs meanwhile); what the client is told."""
    journal = conv.journal
    journal.sync(conv.history, None)
    await journal.durable()
    start, dropped = await journal.store.rewind_point(conv.id, journal.epoch, op.turn_id)
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
        snapshots = conv.snapshots.take_turns(gone)
        plans, skipped = restore_plans(snapshots, conv.files.read, conv.ctx.cwd)
        try:
            await conv.files.write(plans, f"codex-lsp: rewind {len(dropped)} turn(s)")
            restored = [p.path for p in plans]
        except PatchError as exc:
            note = f"; the files were not restored: {exc.message}"
    conv.snapshots.drop(set(dropped))
    del conv.history[start:]
    journal.rewound(start, dropped)
    conv.turn_ids.difference_update(dropped)
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
