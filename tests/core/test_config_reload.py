"""Hot reload of config.toml: applied from the next turn, invalid edits kept out, bursts merged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import OverrideTurnContextOp, UserInputOp
from codex_lsp.protocol.policies import AskForApproval
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text
from tests.helpers import EventLog

WATCH_SETTLE_S = 0.3


@pytest.fixture
async def watching(
    codex_home: Path, log: EventLog, workspace: Path
) -> AsyncIterator[ConversationManager]:
    """A manager that watches config files, as the language server does."""

    sources = ConfigSources(home=codex_home, default_cwd=workspace, watch=True)
    manager = ConversationManager(FrontEnd(log.sink), sources)
    yield manager
    await manager.shutdown_all()


async def _turn(manager: ConversationManager, conv_id: str, log: EventLog, count: int) -> None:
    manager.get(conv_id).submit(UserInputOp(items=[TextInput(text=f"turn {count}")]))
    await log.wait_for("taskComplete", conv_id, count=count)


async def test_a_valid_change_applies_from_the_next_turn(
    watching: ConversationManager, model_server: FakeModelServer, log: EventLog, codex_home: Path
) -> None:
    model_server.default_reply = Reply((Text("ok"),))
    conv = await watching.new_conversation(NewConversationParams())
    await _turn(watching, conv.id, log, 1)
    await asyncio.sleep(WATCH_SETTLE_S)
    config = codex_home / "config.toml"
    config.write_text(config.read_text().replace('model = "fake-model"', 'model = "other-model"'))
    reloaded = await log.wait_for("configReloaded", conv.id, timeout=5)
    assert reloaded["changedKeys"] == ["model"]
    await _turn(watching, conv.id, log, 2)
    assert [r.body["model"] for r in model_server.requests] == ["fake-model", "other-model"]


async def test_an_invalid_change_keeps_the_old_configuration(
    watching: ConversationManager, model_server: FakeModelServer, log: EventLog, codex_home: Path
) -> None:
    model_server.default_reply = Reply((Text("ok"),))
    conv = await watching.new_conversation(NewConversationParams())
    await asyncio.sleep(WATCH_SETTLE_S)
    config = codex_home / "config.toml"
    config.write_text(
        config.read_text().replace(
            'model = "fake-model"', 'model = "other"\napproval_policy = "sometimes"'
        )
    )
    error = await log.wait_for("error", conv.id, timeout=5)
    assert "not reloaded" in error["message"] and "approval_policy" in error["message"]
    await _turn(watching, conv.id, log, 1)
    assert model_server.requests[-1].body["model"] == "fake-model"


async def test_a_burst_of_writes_reloads_once(
    watching: ConversationManager, model_server: FakeModelServer, log: EventLog, codex_home: Path
) -> None:
    conv = await watching.new_conversation(NewConversationParams())
    await asyncio.sleep(WATCH_SETTLE_S)
    config = codex_home / "config.toml"
    base = config.read_text()
    for effort in ("low", "medium", "high", "low", "high"):
        config.write_text(f'model_reasoning_effort = "{effort}"\n' + base)
    await log.wait_for("configReloaded", conv.id, timeout=5)
    await asyncio.sleep(0.5)
    assert len(log.msgs(conv.id, "configReloaded")) == 1


async def test_turn_settings_the_user_changed_are_kept(
    watching: ConversationManager, model_server: FakeModelServer, log: EventLog, codex_home: Path
) -> None:
    model_server.default_reply = Reply((Text("ok"),))
    conv = await watching.new_conversation(NewConversationParams())
    conv.submit(OverrideTurnContextOp(approval_policy=AskForApproval.NEVER))
    await asyncio.sleep(WATCH_SETTLE_S)
    config = codex_home / "config.toml"
    config.write_text('approval_policy = "untrusted"\n' + config.read_text())
    await log.wait_for("configReloaded", conv.id, timeout=5)
    assert conv.ctx.approval_policy is AskForApproval.NEVER
    assert conv.config.approval_policy is AskForApproval.UNTRUSTED


async def test_what_a_front_end_gives_at_construction_is_in_effect_from_the_start(
    codex_home: Path, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    model_server.default_reply = Reply((Text("ok"),))
    refused: list[str] = []
    manager = ConversationManager(
        FrontEnd(log.sink, on_config_error=refused.append),
        ConfigSources(
            home=codex_home,
            default_cwd=workspace,
            editor_settings={"model": "editor-model"},
            watch=True,
        ),
    )
    try:
        conv = await manager.new_conversation(NewConversationParams())
        assert conv.ctx.model == "editor-model" and conv.ctx.cwd == workspace.resolve()
        await asyncio.sleep(WATCH_SETTLE_S)
        config = codex_home / "config.toml"
        config.write_text('approval_policy = "sometimes"\n' + config.read_text())
        error = await log.wait_for("error", conv.id, timeout=5)
        assert refused == [error["message"]] and "approval_policy" in refused[0]
    finally:
        await manager.shutdown_all()
