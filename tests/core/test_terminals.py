"""Terminals of ``exec_command`` in a real conversation: a REPL on a PTY, the sandbox and the
approvals as for ``shell``, output bounded, many sessions, processes that resist, the end of
the conversation."""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.core.conversation import Conversation
from codex_lsp.exec import sandbox
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import InterruptOp, ShutdownOp, UndoTurnOp, UserInputOp
from codex_lsp.protocol.policies import AskForApproval, ReviewDecision, SandboxMode
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from codex_lsp.tools import terminal as terminal_module
from codex_lsp.tools import terminals as terminals_module
from tests.exec.test_lifetime import is_alive, processes_with
from tests.helpers import EventLog, ScriptedApprover, write_config

needs_landlock = pytest.mark.skipif(
    sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support"
)


@pytest.fixture
def codex_home(clean_env: Path, model_server: FakeModelServer) -> Path:
    """The fake provider, with the terminals offered (``fake-model`` is no gpt-5)."""
    write_config(clean_env, model_server.base_url, extra="[tools]\nunified_exec = true\n")
    return clean_env


def exec_call(cmd: str, **args: Any) -> ToolCall:
    """The model calls ``exec_command``."""
    return ToolCall("exec_command", {"cmd": cmd, **args})


def stdin_call(session_id: int, chars: str = "", **args: Any) -> ToolCall:
    """The model calls ``write_stdin``."""
    return ToolCall("write_stdin", {"session_id": session_id, "chars": chars, **args})


def outputs(server: FakeModelServer, request: int = -1) -> list[str]:
    """The tool outputs the model got in a request."""
    return [
        i["output"]
        for i in server.requests[request].body["input"]
        if i["type"] == "function_call_output"
    ]


def session_id(output: str) -> int:
    """The session id an answer names (it is still running)."""
    found = re.search(r"Process running with session ID (\d+)", output)
    assert found, output
    return int(found.group(1))


async def start(
    manager: ConversationManager,
    log: EventLog,
    *,
    approval: AskForApproval = AskForApproval.NEVER,
    sandbox_mode: SandboxMode = SandboxMode.DANGER_FULL_ACCESS,
) -> Conversation:
    """A conversation with the policies given."""
    return await manager.new_conversation(
        NewConversationParams(approval_policy=approval, sandbox=sandbox_mode)
    )


async def turn(conv: Conversation, log: EventLog, count: int) -> None:
    """One user turn, to its end (the ``count``-th of the conversation)."""
    conv.submit(UserInputOp(items=[TextInput(text="go")]))
    await log.wait_for("taskComplete", conv.id, count=count, timeout=30)


async def test_a_python_repl_on_a_pty_takes_input_across_turns(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    first = 1000  # the first terminal of a conversation
    model_server.enqueue(
        Reply((exec_call("python3 -q -i", tty=True, yield_time_ms=1500),)),
        Reply((stdin_call(first, "x = 6 * 7\n", yield_time_ms=300),)),
        Reply((Text("started"),)),
        Reply((stdin_call(first, "print(x)\n", yield_time_ms=1000),)),
        Reply((stdin_call(first, "exit()\n", yield_time_ms=3000),)),
        Reply((Text("done"),)),
    )
    conv = await start(manager, log)
    await turn(conv, log, 1)
    opened, typed = outputs(model_server)
    assert session_id(opened) == first and ">>>" in opened
    assert "Process running with session ID 1000" in typed
    await turn(conv, log, 2)  # the REPL lived through the end of the turn
    printed, ended = outputs(model_server)[-2:]
    assert "42" in printed.split("Output:", 1)[1]
    assert "Process exited with code 0" in ended
    end = await log.wait_for("execCommandEnd", conv.id)
    assert end["terminalId"] == first and end["exitCode"] == 0 and "42" in end["aggregatedOutput"]
    deltas = "".join(m["chunk"] for m in log.msgs(conv.id, "execCommandOutputDelta"))
    assert "42" in deltas
    assert conv.terminals.running() == []


async def test_a_finished_command_returns_its_exit_code_and_no_session(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((exec_call("echo out; echo err >&2; exit 3"),)), Reply((Text("ok"),))
    )
    conv = await start(manager, log)
    await turn(conv, log, 1)
    (answer,) = outputs(model_server)
    assert "Process exited with code 3" in answer and "session ID" not in answer
    assert answer.split("Output:\n", 1)[1] == "out\nerr\n"
    assert float(re.search(r"Wall time: ([\d.]+) seconds", answer).group(1)) < 5  # type: ignore[union-attr]
    types = log.types(conv.id)
    assert (
        types.index("execCommandBegin")
        < types.index("execCommandEnd")
        < types.index("taskComplete")
    )


async def test_writing_to_a_terminal_without_a_tty_is_refused_with_what_to_do(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((exec_call("sleep 30", yield_time_ms=250),)),
        Reply((stdin_call(1000, "hello\n"), stdin_call(4242))),
        Reply((Text("ok"),)),
    )
    conv = await start(manager, log)
    await turn(conv, log, 1)
    no_tty, unknown = outputs(model_server)[1:]
    assert "has no stdin" in no_tty and "tty=true" in no_tty
    assert "no terminal with session_id 4242" in unknown and "1000" in unknown
    assert len(conv.terminals.running()) == 1


@needs_landlock
async def test_a_terminal_under_workspace_write_cannot_write_outside(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
    tmp_path: Path,
    codex_home: Path,
) -> None:
    no_tmp = "[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n"
    write_config(codex_home, model_server.base_url, extra=f"[tools]\nunified_exec = true\n{no_tmp}")
    outside = tmp_path / "outside"
    outside.mkdir()
    script = f"touch {workspace}/inside.txt; touch {outside}/escaped.txt; sleep 30"
    model_server.enqueue(
        Reply((exec_call(script, tty=True, yield_time_ms=1500),)), Reply((Text("ok"),))
    )
    conv = await start(manager, log, sandbox_mode=SandboxMode.WORKSPACE_WRITE)
    await turn(conv, log, 1)
    (answer,) = outputs(model_server)
    assert "Process running" in answer  # still running: the sandbox holds a live terminal too
    assert (workspace / "inside.txt").exists()
    assert not (outside / "escaped.txt").exists()
    assert "Permission denied" in answer or "Read-only" in answer


async def test_approval_is_asked_as_for_shell_and_a_denial_starts_nothing(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
) -> None:
    model_server.enqueue(
        Reply((exec_call("ls"), exec_call("touch denied.txt"), exec_call("touch approved.txt"))),
        Reply((Text("ok"),)),
    )
    approver.answers = [ReviewDecision.DENIED, ReviewDecision.APPROVED]
    conv = await start(manager, log, approval=AskForApproval.UNTRUSTED)
    await turn(conv, log, 1)
    asked = [r.command for r in approver.asked]
    assert asked == [["bash", "-lc", "touch denied.txt"], ["bash", "-lc", "touch approved.txt"]]
    listed, denied, approved = outputs(model_server)
    assert "Process exited with code 0" in listed
    assert "denied" in denied and not (workspace / "denied.txt").exists()
    assert "Process exited with code 0" in approved and (workspace / "approved.txt").exists()
    assert len(log.msgs(conv.id, "execCommandBegin")) == 2  # nothing began for the denial


async def test_huge_output_reaches_the_model_cut_in_the_middle(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    script = "echo FIRST; head -c 20000000 /dev/zero | tr '\\0' x; echo; echo LAST"
    model_server.enqueue(
        Reply((exec_call(script, max_output_tokens=500, yield_time_ms=20000),)),
        Reply((Text("ok"),)),
    )
    conv = await start(manager, log)
    await turn(conv, log, 1)
    (answer,) = outputs(model_server)
    body = answer.split("Output:\n", 1)[1]
    assert body.startswith("FIRST") and body.rstrip().endswith("LAST")
    assert len(body.encode()) < 2500 and "omitted" in body
    assert "Original token count: " in answer
    end = await log.wait_for("execCommandEnd", conv.id)
    assert len(end["aggregatedOutput"]) <= terminal_module.TRANSCRIPT_CAP + 100


async def test_many_sessions_end_the_least_recently_used_beyond_the_cap(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(terminals_module, "MAX_TERMINALS", 10)
    monkeypatch.setattr(terminals_module, "PROTECTED_RECENT", 3)
    calls = [exec_call(f"sleep 60 # {i}", yield_time_ms=250) for i in range(11)]
    model_server.enqueue(Reply(tuple(calls)), Reply((stdin_call(1000),)), Reply((Text("ok"),)))
    conv = await start(manager, log)
    await turn(conv, log, 1)
    answers = outputs(model_server)
    assert "session 1000 was ended to make room" in answers[10]
    assert "no terminal with session_id 1000" in answers[11]
    assert len(conv.terminals) == 10
    end = await log.wait_for("execCommandEnd", conv.id, lambda m: m["terminalId"] == 1000)
    assert end["exitCode"] != 0


@pytest.mark.slow
async def test_a_process_that_ignores_sigterm_is_gone_when_the_conversation_ends(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    token = f"{os.getpid() % 1000 + 3}.71"
    script = f"trap '' TERM; (trap '' TERM; sleep {token}) & sleep {token}; sleep {token}"
    model_server.enqueue(Reply((exec_call(script, yield_time_ms=1000),)), Reply((Text("started"),)))
    conv = await start(manager, log)
    await turn(conv, log, 1)
    pids = processes_with(f"sleep {token}")
    assert len(pids) >= 2
    conv.submit(ShutdownOp())
    await conv.wait_closed(15)
    await asyncio.sleep(0.2)
    assert [p for p in pids if is_alive(p)] == []
    end = log.msgs(conv.id, "execCommandEnd")
    assert len(end) == 1 and end[0]["terminalId"] == 1000


async def test_terminals_are_not_offered_unless_configured(
    clean_env: Path, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    write_config(clean_env, model_server.base_url)
    manager = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=clean_env, default_cwd=workspace)
    )
    try:
        model_server.enqueue(Reply((Text("ok"),)))
        conv = await manager.new_conversation(NewConversationParams())
        await turn(conv, log, 1)
        names = [t.get("name") for t in model_server.requests[-1].body["tools"]]
        assert "shell" in names and "exec_command" not in names and "write_stdin" not in names
    finally:
        await manager.shutdown_all()
    assert json.dumps(names)


async def test_a_command_that_prints_without_end_neither_floods_the_client_nor_stalls_the_loop(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((exec_call("yes", yield_time_ms=2000),)), Reply((Text("ok"),)))
    conv = await start(manager, log)
    lags: list[float] = []

    async def measure() -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - before - 0.01)

    probe = asyncio.create_task(measure())
    try:
        await turn(conv, log, 1)
    finally:
        probe.cancel()
    (answer,) = outputs(model_server)
    assert "Process running" in answer and "y\ny\n" in answer and "omitted" in answer
    streamed = sum(len(m["chunk"]) for m in log.msgs(conv.id, "execCommandOutputDelta"))
    assert streamed < 3 * terminal_module.STREAM_RATE  # about 2 s worth, not gigabytes
    assert max(lags) < 0.25


async def test_watchers_see_each_command_before_it_runs_and_after_everything_it_started_ended(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    marker = workspace / "made.txt"
    seen: list[tuple[str, int, bool]] = []

    class Recorder:
        def command_starting(self, terminal_id: int, command: list[str], cwd: Path) -> None:
            seen.append(("starting", terminal_id, marker.exists()))

        def command_ended(self, terminal_id: int, exit_code: int) -> None:
            seen.append(("ended", exit_code, marker.exists()))

    model_server.enqueue(
        Reply((exec_call(f"touch {marker}; sleep 0.3; exit 4", yield_time_ms=5000),)),
        Reply((Text("ok"),)),
    )
    conv = await start(manager, log)
    conv.terminals.watchers.append(Recorder())
    await turn(conv, log, 1)
    assert seen == [("starting", 1000, False), ("ended", 4, True)]


@needs_landlock
async def test_on_failure_offers_to_run_a_terminal_the_sandbox_stopped_outside_it(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    tmp_path: Path,
    codex_home: Path,
) -> None:
    no_tmp = "[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n"
    write_config(codex_home, model_server.base_url, extra=f"[tools]\nunified_exec = true\n{no_tmp}")
    target = tmp_path / "outside.txt"
    model_server.enqueue(Reply((exec_call(f"touch {target}"),)), Reply((Text("ok"),)))
    approver.answers = [ReviewDecision.APPROVED]
    conv = await start(
        manager, log, approval=AskForApproval.ON_FAILURE, sandbox_mode=SandboxMode.WORKSPACE_WRITE
    )
    await turn(conv, log, 1)
    (asked,) = approver.asked
    assert asked.command == ["bash", "-lc", f"touch {target}"] and "sandbox" in (asked.reason or "")
    (answer,) = outputs(model_server)
    assert "Process exited with code 0" in answer and target.exists()
    ends = log.msgs(conv.id, "execCommandEnd")
    assert [e["exitCode"] != 0 for e in ends] == [True, False]  # in the sandbox, then outside


async def test_a_patch_sent_through_exec_command_goes_to_apply_patch(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "app.py").write_text("x = 1\n")
    patch = "*** Begin Patch\n*** Update File: app.py\n@@\n-x = 1\n+x = 2\n*** End Patch\n"
    model_server.enqueue(
        Reply((exec_call(f"apply_patch <<'EOF'\n{patch}EOF\n"),)), Reply((Text("ok"),))
    )
    conv = await start(manager, log)
    await turn(conv, log, 1)
    assert (workspace / "app.py").read_text() == "x = 2\n"
    assert log.msgs(conv.id, "patchApplyEnd") and not log.msgs(conv.id, "execCommandBegin")
    assert conv.terminals.running() == []


async def test_an_interrupt_during_the_yield_stops_the_turn_not_the_terminal(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(
        Reply((exec_call("echo up; sleep 30", yield_time_ms=20000),)), Reply((Text("ok"),))
    )
    conv = await start(manager, log)
    conv.submit(UserInputOp(items=[TextInput(text="go")]))
    await log.wait_for("execCommandOutputDelta", conv.id, lambda m: "up" in m["chunk"])
    conv.submit(InterruptOp())
    await log.wait_for("turnAborted", conv.id)
    (terminal,) = conv.terminals.running()
    late = len(log.msgs(conv.id, "execCommandEnd"))
    conv.submit(ShutdownOp())
    await conv.wait_closed(15)
    assert late == 0 and not terminal.process.running
    (end,) = log.msgs(conv.id, "execCommandEnd")
    assert end["terminalId"] == 1000 and end["exitCode"] != 0


async def test_undo_takes_back_what_a_terminal_wrote_while_the_model_waited_on_it(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "kept.txt").write_text("before\n")
    script = "echo one > made.txt; echo after > kept.txt; sleep 1.5; echo two > later.txt; sleep 30"
    model_server.enqueue(
        Reply((exec_call(script, yield_time_ms=500),)),
        Reply((stdin_call(terminals_module.FIRST_TERMINAL_ID, yield_time_ms=3000),)),
        Reply((Text("done"),)),
    )
    conv = await start(manager, log)
    await turn(conv, log, 1)
    assert (workspace / "made.txt").exists() and (workspace / "later.txt").exists()
    assert log.msgs(conv.id, "taskComplete")[0].get("undoable") is True
    conv.submit(UndoTurnOp())
    undone = await log.wait_for("undoCompleted", conv.id, timeout=30)
    assert sorted(undone["restoredFiles"]) == ["kept.txt", "later.txt", "made.txt"]
    assert (workspace / "kept.txt").read_text() == "before\n"
    assert not (workspace / "made.txt").exists() and not (workspace / "later.txt").exists()
