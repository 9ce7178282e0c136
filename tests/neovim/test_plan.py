"""Plan steps in a real, headless Neovim with the plugin: a step in progress is shown as one
(``[~]``), live and when a conversation an older codex-lsp stored (``in_progress``) is redrawn."""

from __future__ import annotations

import json
from pathlib import Path

from codex_lsp.store import ConversationStore
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.neovim.test_neovim import pytestmark, run_nvim

__all__ = ["pytestmark"]

PLAN = [
    {"step": "Reproduce", "status": "completed"},
    {"step": "Fix", "status": "in_progress"},
    {"step": "Test", "status": "pending"},
]


async def store_an_old_conversation(home: Path, workspace: Path) -> None:
    """A conversation as codex-lsp stored it before plan steps were camelCase."""
    store = await ConversationStore.open(home / "state.db")
    try:
        store.writes.enqueue(
            "INSERT INTO conversations (id, created_at, updated_at, cwd, model, provider, title, "
            "preview, turn_count) VALUES ('old', 1, 1, ?, 'fake-model', 'fake', 'old', 'old', 1)",
            (str(workspace),),
        )
        plan = [
            {"step": "Stored step", "status": "in_progress"},
            {"step": "Next", "status": "pending"},
        ]
        events = [
            {"type": "planUpdate", "turnId": "t0", "itemId": "i0", "plan": plan},
            {
                "type": "itemCompleted",
                "turnId": "t0",
                "item": {"type": "plan", "id": "i0", "plan": plan},
            },
        ]
        for seq, event in enumerate(events):
            body = json.dumps(event, separators=(",", ":"))
            store.writes.enqueue(
                "INSERT INTO events (conversation_id, seq, turn_id, body) "
                "VALUES ('old', ?, 't0', ?)",
                (seq, body),
            )
        await store.writes.flush()
    finally:
        await store.close()


async def test_a_step_in_progress_is_shown_in_progress(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    await store_an_old_conversation(codex_home, workspace)
    model_server.enqueue(
        Reply((ToolCall("update_plan", {"explanation": "three steps", "plan": PLAN}),)),
        Reply((Text("Planned."),)),
    )
    report = run_nvim("plan_flow.lua", codex_home, workspace)
    assert report["resumed"], report
    assert "- [~] Stored step\n- [ ] Next" in report["replayed"]
    assert report["finished"], report
    assert "- [x] Reproduce\n- [~] Fix\n- [ ] Test" in report["chat"]
    assert "Planned." in report["chat"]
