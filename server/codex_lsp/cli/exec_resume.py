"""Which stored conversation ``codex-lsp exec resume`` continues: ``--last`` (the most recent
of this folder, or of any with ``--all``), an id, or a title, as ``codex exec resume`` takes
them."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from codex_lsp.core import ConversationManager
from codex_lsp.errors import ConfigError, UnknownConversationError
from codex_lsp.protocol.conversations import ConversationSummary, ListConversationsParams

SEARCH_PAGES = 20
"""At most this many pages (of 500) are searched for a title."""


def check_resume_args(args: argparse.Namespace) -> None:
    """``exec resume``'s arguments make sense: with ``--last`` the first word is the prompt
    (as in Codex), without it a conversation must be named."""
    if args.ephemeral:
        raise ConfigError(
            "--ephemeral cannot resume: an ephemeral conversation is not stored; drop --ephemeral"
        )
    if args.last and args.session_id and args.prompt is None:
        args.prompt, args.session_id = args.session_id, None
    if not (args.last or args.session_id):
        raise ConfigError(
            "resume: name the conversation (its id or title) or pass --last for the most recent one"
        )


async def find_conversation(
    manager: ConversationManager, args: argparse.Namespace, cwd: Path
) -> str:
    """The id of the conversation to resume; :class:`ConfigError` says what to pass when there
    is none."""
    if args.last:
        page = await manager.list_conversations(
            ListConversationsParams(cwd=cwd, all_workspaces=args.all_workspaces, page_size=1)
        )
        if not page.items:
            where = "anywhere" if args.all_workspaces else f"in {cwd}"
            raise ConfigError(
                f"resume --last: no stored conversation {where}; start one with "
                '`codex-lsp exec "…"`' + ("" if args.all_workspaces else ", or add --all")
            )
        return page.items[0].conversation_id
    with contextlib.suppress(UnknownConversationError):  # ids take precedence, as in Codex
        return (await (await manager.store()).get(args.session_id)).id
    found = await _by_title(manager, args.session_id)
    if found is None:
        raise ConfigError(
            f"resume: no stored conversation has the id or title {args.session_id!r}; "
            "resume --last continues the most recent one"
        )
    return found.conversation_id


async def _by_title(manager: ConversationManager, title: str) -> ConversationSummary | None:
    """The most recent conversation titled ``title``."""
    cursor: str | None = None
    for _ in range(SEARCH_PAGES):
        page = await manager.list_conversations(
            ListConversationsParams(all_workspaces=True, page_size=500, cursor=cursor)
        )
        for item in page.items:
            if item.title == title:
                return item
        cursor = page.next_cursor
        if cursor is None:
            break
    return None
