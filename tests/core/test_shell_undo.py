"""Undo takes back what shell commands changed: real commands, a real git repository (its ignore
rules), undo after a restart, and what an untrusted repository plants (a symlink out of the
workspace, a FIFO, a huge or binary file) named as not recorded, never read."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd, workspace_watch
from codex_lsp.core.bounded_read import MAX_FILE_BYTES
from codex_lsp.core.undo import CHANGED_SINCE, NOT_RECORDED
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UndoTurnOp, UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import EventLog


def _git(workspace: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=workspace,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(workspace: Path) -> Path:
    """A git repository: tracked files, an untracked one, an ignored folder."""
    (workspace / ".gitignore").write_text("build/\n*.log\n")
    (workspace / "src").mkdir()
    (workspace / "src" / "app.py").write_text("v = 0\n")
    (workspace / "README.md").write_text("readme\n")
    _git(workspace, "init", "-q")
    _git(workspace, "add", "-A")
    _git(workspace, "commit", "-qm", "init")
    (workspace / "notes.txt").write_text("untracked notes\n")
    return workspace


@pytest.fixture
async def second_manager(
    codex_home: Path, log: EventLog, workspace: Path
) -> AsyncIterator[ConversationManager]:
    """Another manager on the same home: a restarted server."""
    mgr = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=codex_home, default_cwd=workspace)
    )
    yield mgr
    await mgr.shutdown_all()


def _shell(script: str) -> Reply:
    return Reply((ToolCall("shell", {"command": ["bash", "-c", script]}),))


async def _turn(manager: ConversationManager, log: EventLog, conv_id: str, n: int) -> None:
    manager.get(conv_id).submit(UserInputOp(items=[TextInput(text=f"turn {n}")]))
    await log.wait_for("taskComplete", conv_id, count=n)


async def test_undo_after_a_restart_restores_what_a_command_changed(
    manager: ConversationManager,
    second_manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    repo: Path,
) -> None:
    model_server.enqueue(
        _shell(
            "echo 'v = 1' > src/app.py; rm README.md; echo more >> notes.txt; "
            "mkdir -p pkg/deep && echo new > pkg/deep/made.py; "
            "mkdir -p build && echo artefact > build/out.txt; echo noise > run.log"
        ),
        Reply((Text("changed"),)),
    )
    conv = await manager.new_conversation(NewConversationParams(approval_policy="never"))
    await _turn(manager, log, conv.id, 1)
    done = log.msgs(conv.id, "taskComplete")[0]
    assert done.get("undoable") is True
    assert (repo / "pkg" / "deep" / "made.py").exists() and not (repo / "README.md").exists()
    await manager.shutdown_all()

    resumed = await second_manager.resume(conv.id)
    assert resumed.undoable_turn_ids == [done["turnId"]]
    second_manager.get(conv.id).submit(UndoTurnOp())
    undone = await log.wait_for("undoCompleted", conv.id)
    assert sorted(undone["restoredFiles"]) == [
        "README.md",
        "notes.txt",
        "pkg/deep/made.py",
        "src/app.py",
    ]
    assert undone["skipped"] == []
    assert (repo / "src" / "app.py").read_text() == "v = 0\n"
    assert (repo / "README.md").read_text() == "readme\n"  # from git's index
    assert (repo / "notes.txt").read_text() == "untracked notes\n"  # as the watch read it
    assert not (repo / "pkg" / "deep" / "made.py").exists()
    # git-ignored files are not the workspace's: left as the command made them
    assert (repo / "build" / "out.txt").read_text() == "artefact\n"
    assert (repo / "run.log").read_text() == "noise\n"


async def test_a_planted_symlink_fifo_and_huge_or_binary_file_are_named_not_read(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    repo: Path,
    codex_home: Path,
    tmp_path: Path,
) -> None:
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("TOP-SECRET-CONTENT\n")
    model_server.enqueue(
        _shell(
            f"ln -s {secret} link.txt; mkfifo pipe; "
            f"head -c {MAX_FILE_BYTES + 10} /dev/zero | tr '\\0' x > huge.txt; "
            "printf '\\377\\376binary' > blob.bin; echo 'v = 1' > src/app.py"
        ),
        Reply((Text("planted"),)),
    )
    conv = await manager.new_conversation(NewConversationParams(approval_policy="never"))
    await _turn(manager, log, conv.id, 1)
    conv.submit(UndoTurnOp())
    undone = await log.wait_for("undoCompleted", conv.id)
    assert undone["restoredFiles"] == ["src/app.py"]
    assert {s["path"]: s["reason"] for s in undone["skipped"]} == {
        "blob.bin": NOT_RECORDED,
        "huge.txt": NOT_RECORDED,
        "link.txt": NOT_RECORDED,
        "pipe": NOT_RECORDED,
    }
    assert (repo / "src" / "app.py").read_text() == "v = 0\n"
    assert secret.read_text() == "TOP-SECRET-CONTENT\n" and (repo / "link.txt").is_symlink()
    db = sqlite3.connect(codex_home / "state.db")
    try:
        stored = " ".join(str(r) for r in db.execute("SELECT * FROM snapshot_files"))
    finally:
        db.close()
    assert "TOP-SECRET-CONTENT" not in stored and "xxxxxxxx" not in stored


async def test_a_file_the_user_changed_after_the_command_is_kept_and_named(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, repo: Path
) -> None:
    model_server.enqueue(
        _shell("echo 'v = 1' > src/app.py; echo cmd > notes.txt"), Reply((Text("ok"),))
    )
    conv = await manager.new_conversation(NewConversationParams(approval_policy="never"))
    await _turn(manager, log, conv.id, 1)
    (repo / "notes.txt").write_text("the user's own words\n")
    conv.submit(UndoTurnOp())
    undone = await log.wait_for("undoCompleted", conv.id)
    assert undone["restoredFiles"] == ["src/app.py"]
    assert undone["skipped"] == [{"path": "notes.txt", "reason": CHANGED_SINCE}]
    assert (repo / "notes.txt").read_text() == "the user's own words\n"


async def test_a_read_only_command_costs_no_capture(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, repo: Path
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["cat", "src/app.py"]}),)), Reply((Text("v=0"),))
    )
    conv = await manager.new_conversation(
        NewConversationParams(approval_policy="never", sandbox="read-only")
    )
    await _turn(manager, log, conv.id, 1)
    assert log.msgs(conv.id, "execCommandEnd")[0]["exitCode"] == 0
    assert repo.resolve() not in workspace_watch._SHARED  # no watch, no scan, no git call
    assert "undoable" not in log.msgs(conv.id, "taskComplete")[0]


async def test_without_inotify_a_full_scan_still_captures(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_inotify() -> None:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(workspace_watch, "Inotify", no_inotify)
    model_server.enqueue(_shell("echo 'v = 9' > src/app.py; echo n > new.txt"), Reply((Text("k"),)))
    conv = await manager.new_conversation(NewConversationParams(approval_policy="never"))
    await _turn(manager, log, conv.id, 1)
    conv.submit(UndoTurnOp())
    undone = await log.wait_for("undoCompleted", conv.id)
    assert sorted(undone["restoredFiles"]) == ["new.txt", "src/app.py"]
    assert (repo / "src" / "app.py").read_text() == "v = 0\n"
    assert not (repo / "new.txt").exists()


async def test_a_workspace_outside_git_is_captured_too(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "plain.txt").write_text("plain\n")
    os.mkfifo(workspace / "old-pipe")  # there before: never opened by the baseline either
    model_server.enqueue(_shell("echo changed > plain.txt"), Reply((Text("k"),)))
    conv = await manager.new_conversation(NewConversationParams(approval_policy="never"))
    await _turn(manager, log, conv.id, 1)
    conv.submit(UndoTurnOp())
    undone = await log.wait_for("undoCompleted", conv.id)
    assert undone["restoredFiles"] == ["plain.txt"]
    assert (workspace / "plain.txt").read_text() == "plain\n"


async def test_a_workspace_whose_git_hangs_does_not_hold_the_command(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The baseline (git's lists) of a huge repository or a hung file system is not ready: the
    command starts anyway after ``READY_TIMEOUT_S``, uncaptured, and says so in the log."""
    released = tmp_path / "release-git"
    fake = tmp_path / "bin" / "git"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\nwhile [ ! -e {released} ]; do sleep 0.05; done\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    model_server.enqueue(
        _shell(f"test -e {released} && echo late || echo early"), Reply((Text("k"),))
    )
    conv = await manager.new_conversation(NewConversationParams(approval_policy="never"))
    try:
        conv.submit(UserInputOp(items=[TextInput(text="run it")]))
        end = await log.wait_for("execCommandEnd", conv.id)
    finally:
        released.touch()
    assert end["aggregatedOutput"].strip() == "early"  # it ran while git still hung
    await log.wait_for("taskComplete", conv.id)
    assert "not recorded for undo" in caplog.text
