"""Codex CLI rollouts: a hand-written one in the documented format, a real one written by the
Codex CLI (when it is installed), and our exports read back by us and resumed by Codex."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.errors import StoreError
from codex_lsp.protocol.history import (
    AssistantMessage,
    CustomToolCall,
    FunctionCall,
    Reasoning,
    UserMessage,
)
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.requests import ListConversationsParams, NewConversationParams
from codex_lsp.store.rollout import read_rollout, write_rollout
from codex_lsp.testing import FakeModelServer, Reply, Text
from tests.helpers import EventLog, subprocess_env

FIXTURE = next((Path(__file__).parent / "fixtures").glob("rollout-*.jsonl"))
CODEX_BIN = os.environ.get("CODEX_BIN") or shutil.which("codex")
ALL = ListConversationsParams(all_workspaces=True)
needs_codex = pytest.mark.skipif(
    CODEX_BIN is None, reason="the Codex CLI is not installed (set CODEX_BIN to its binary)"
)


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_lsp", *args],
        env=subprocess_env(home, {"CODEX_HOME": str(home.parent / ".codex")}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_documented_rollout_reads_into_history_and_events() -> None:
    rollout = read_rollout(FIXTURE)
    assert rollout.id == "5973b6c0-94b8-487b-a530-2aeb6098ae0e"
    assert rollout.cwd == Path("/home/me/project") and rollout.model == "gpt-5-codex"
    kinds = [type(i) for i in rollout.history]
    assert kinds == [
        UserMessage,
        UserMessage,
        Reasoning,
        FunctionCall,
        type(rollout.history[4]),
        CustomToolCall,
        type(rollout.history[6]),
        AssistantMessage,
    ]
    reasoning = rollout.history[2]
    assert isinstance(reasoning, Reasoning) and reasoning.encrypted_content == "gAAAA-opaque"
    assert [e["type"] for e in rollout.events] == ["userMessage", "agentMessage"]


def test_a_broken_line_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "rollout-bad.jsonl"
    bad.write_text(FIXTURE.read_text().splitlines()[0] + "\n{not json\n")
    with pytest.raises(StoreError, match=r"rollout-bad.jsonl:2: not JSON"):
        read_rollout(bad)


async def test_import_then_continue_in_codex_lsp(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    sessions = codex_home.parent / ".codex" / "sessions" / "2025" / "09" / "01"
    sessions.mkdir(parents=True)
    text = FIXTURE.read_text().replace("/home/me/project", str(workspace))
    (sessions / FIXTURE.name).write_text(text)
    first = cli(codex_home, "import-codex")
    assert first.returncode == 0, first.stderr
    assert "1 imported" in first.stdout
    again = cli(codex_home, "import-codex")
    assert "0 imported, 1 already there" in again.stdout

    log = EventLog()
    manager = ConversationManager(FrontEnd(log.sink), ConfigSources(home=codex_home))
    try:
        listed = await manager.list_conversations(ALL)
        assert listed.items[0].title == "why does test_api fail?"
        resumed = await manager.resume("5973b6c0-94b8-487b-a530-2aeb6098ae0e")
        assert resumed.cwd == workspace
        assert [m["type"] for m in resumed.initial_messages] == ["userMessage", "agentMessage"]
        model_server.enqueue(Reply((Text("continuing"),)))
        conv = manager.get(resumed.conversation_id)
        conv.submit(UserInputOp(items=[TextInput(text="and now?")]))
        await log.wait_for("taskComplete", conv.id)
    finally:
        await manager.shutdown_all()
    sent = model_server.requests[-1].body["input"]
    text_sent = json.dumps(sent)
    assert "why does test_api fail?" in text_sent and "Fixed: x was off by one." in text_sent
    assert "gAAAA-opaque" in text_sent  # encrypted reasoning goes back to the provider


def test_export_reads_back_identically(tmp_path: Path) -> None:
    rollout = read_rollout(FIXTURE)
    out = tmp_path / "out.jsonl"
    write_rollout(rollout, out)
    again = read_rollout(out)
    assert again.history == rollout.history and again.id == rollout.id
    assert [e["type"] for e in again.events] == ["userMessage", "agentMessage"]


def _codex_config(codex_dir: Path, base_url: str) -> dict[str, str]:
    codex_dir.mkdir(parents=True, exist_ok=True)
    (codex_dir / "config.toml").write_text(
        'model = "fake-model"\nmodel_provider = "fake"\napproval_policy = "never"\n'
        'sandbox_mode = "read-only"\n[model_providers.fake]\nname = "fake"\n'
        f'base_url = "{base_url}"\nwire_api = "responses"\nenv_key = "FAKE_KEY"\n'
    )
    return {**os.environ, "CODEX_HOME": str(codex_dir), "FAKE_KEY": "x"}


@needs_codex
async def test_a_real_codex_session_imports_and_continues(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    assert CODEX_BIN is not None
    env = _codex_config(codex_home.parent / ".codex", model_server.base_url)
    model_server.enqueue(Reply((Text("The answer is 42."),)))
    ran = subprocess.run(
        [CODEX_BIN, "exec", "--skip-git-repo-check", "what is the answer?"],
        env=env,
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    imported = cli(codex_home, "import-codex")
    assert "1 imported" in imported.stdout, imported.stderr
    log = EventLog()
    manager = ConversationManager(FrontEnd(log.sink), ConfigSources(home=codex_home))
    try:
        listed = await manager.list_conversations(ALL)
        resumed = await manager.resume(listed.items[0].conversation_id)
        assert [m.get("message") for m in resumed.initial_messages if "message" in m] == [
            "what is the answer?",
            "The answer is 42.",
        ]
        model_server.enqueue(Reply((Text("still 42"),)))
        conv = manager.get(resumed.conversation_id)
        conv.submit(UserInputOp(items=[TextInput(text="are you sure?")]))
        await log.wait_for("taskComplete", conv.id)
    finally:
        await manager.shutdown_all()
    sent = json.dumps(model_server.requests[-1].body["input"])
    assert "what is the answer?" in sent and "The answer is 42." in sent


@needs_codex
async def test_codex_resumes_a_conversation_exported_from_codex_lsp(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    assert CODEX_BIN is not None
    log = EventLog()
    model_server.enqueue(Reply((Text("the secret word is pineapple"),)))
    manager = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=codex_home, default_cwd=workspace)
    )
    try:
        conv = await manager.new_conversation(NewConversationParams())
        conv.submit(UserInputOp(items=[TextInput(text="remember a secret word")]))
        await log.wait_for("taskComplete", conv.id)
    finally:
        await manager.shutdown_all()
    exported = cli(codex_home, "export", conv.id)
    assert exported.returncode == 0, exported.stderr
    assert Path(exported.stdout.strip()).is_file()
    env = _codex_config(codex_home.parent / ".codex", model_server.base_url)
    model_server.enqueue(Reply((Text("pineapple"),)))
    ran = subprocess.run(
        [CODEX_BIN, "exec", "--skip-git-repo-check", "resume", conv.id, "what was the word?"],
        env=env,
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    sent = json.dumps(model_server.requests[-1].body["input"])
    assert "remember a secret word" in sent and "the secret word is pineapple" in sent
