"""Files a user message names (an @-mention, a local image) are read only when they are regular
files, boundedly, off the event loop: a FIFO or a link to /dev/zero planted in the repository
becomes a warning, never a hung or exhausted server."""

from __future__ import annotations

import json
import os
from pathlib import Path

from codex_lsp.core import ConversationManager
from codex_lsp.protocol.items import LocalImageInput, MentionInput, TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text
from tests.helpers import EventLog
from tests.tools.test_read_only_and_images import PNG


async def test_special_files_are_refused_and_the_turn_goes_on(
    manager: ConversationManager, workspace: Path, log: EventLog, model_server: FakeModelServer
) -> None:
    model_server.default_reply = Reply((Text("ok"),))
    os.mkfifo(workspace / "pipe.md")
    os.mkfifo(workspace / "pipe.png")
    (workspace / "zero.md").symlink_to("/dev/zero")
    (workspace / "zero.png").symlink_to("/dev/zero")
    (workspace / "real.png").write_bytes(PNG)
    (workspace / "big.md").write_text("y" * (1 << 20))
    conv = await manager.new_conversation(NewConversationParams())
    conv.submit(
        UserInputOp(
            items=[
                TextInput(text="look"),
                MentionInput(path="pipe.md"),
                MentionInput(path="zero.md"),
                LocalImageInput(path="pipe.png"),
                LocalImageInput(path="zero.png"),
                LocalImageInput(path="real.png"),
                MentionInput(path="big.md"),
            ]
        )
    )
    await log.wait_for("taskComplete", conv.id)
    warnings = [w["message"] for w in log.msgs(conv.id, "warning")]
    for name in ("pipe.md", "zero.md", "pipe.png", "zero.png"):
        assert any(name in w and "not a regular file" in w for w in warnings), (name, warnings)
    sent = json.dumps(model_server.requests[0].body["input"])
    assert "data:image/png;base64," in sent and "truncated at 262144 bytes" in sent
    assert log.msgs(conv.id, "userMessage")[0]["mentions"] == ["big.md"]
