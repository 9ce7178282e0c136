"""Every Op a client can send has exactly one handler in the conversation's table."""

from __future__ import annotations

from typing import get_args

from codex_lsp.core.conversation import Conversation
from codex_lsp.protocol.ops import Op


def test_every_op_has_one_handler() -> None:
    union = get_args(Op)[0]
    assert set(Conversation.OP_HANDLERS) == set(get_args(union))
    assert all(callable(h) for h in Conversation.OP_HANDLERS.values())
