"""Lifecycle hooks (hooks.json) in a real conversation: real hook processes, the events they
get, a PreToolUse hook that denies ``rm``, and hooks that fail, hang, print garbage or come from
a repository the user does not trust."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import InterruptOp, UserInputOp
from codex_lsp.protocol.policies import AskForApproval
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import KEY_ENV, EventLog, tool_outputs

DENY_RM = """import json, sys
event = json.load(sys.stdin)
command = event["tool_input"].get("command")
words = command if isinstance(command, list) else str(command).split()
if "rm" in words:
    print("no rm here: use trash", file=sys.stderr)
    sys.exit(2)
"""

DENY_JSON = """import json, sys
json.load(sys.stdin)
print(json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse",
      "permissionDecision": "deny", "permissionDecisionReason": "patches are frozen"}}))
"""

RECORD = """import json, os, sys
event = json.loads(sys.stdin.read())
event["env_names"] = sorted(os.environ)
with open(os.environ["HOOK_LOG"], "a") as log:
    log.write(json.dumps(event) + "\\n")
"""


def _script(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return f"{sys.executable} {path}"


def _hooks_file(folder: Path, events: dict[str, list[dict[str, Any]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hooks.json"
    path.write_text(json.dumps({"hooks": events}), encoding="utf-8")
    return path


def _group(
    command: str, matcher: str | None = None, timeout: float | None = None
) -> dict[str, Any]:
    handler: dict[str, Any] = {"type": "command", "command": command}
    if timeout is not None:
        handler["timeout"] = timeout
    group: dict[str, Any] = {"hooks": [handler]}
    if matcher is not None:
        group["matcher"] = matcher
    return group


async def _turn(manager: ConversationManager, log: EventLog, text: str = "go") -> str:
    conv = await manager.new_conversation(
        NewConversationParams(approval_policy=AskForApproval.NEVER)
    )
    conv.submit(UserInputOp(items=[TextInput(text=text)]))
    await log.wait_for("taskComplete", conv.id, timeout=30)
    return conv.id


def _warnings(log: EventLog, conv_id: str) -> list[str]:
    return [m["message"] for m in log.msgs(conv_id, "warning")]


async def test_a_pre_tool_use_hook_denies_rm_and_the_model_sees_why(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
    codex_home: Path,
    tmp_path: Path,
) -> None:
    hook = _script(tmp_path, "deny_rm.py", DENY_RM)
    _hooks_file(codex_home, {"PreToolUse": [_group(hook, matcher="Bash")]})  # Claude's name
    (workspace / "keep.txt").write_text("x")
    model_server.enqueue(
        Reply(
            (
                ToolCall("shell", {"command": ["rm", "keep.txt"]}),
                ToolCall("shell", {"command": ["touch", "made.txt"]}),
            )
        ),
        Reply((Text("ok"),)),
    )
    await _turn(manager, log)
    denied, ran = tool_outputs(model_server)
    assert denied == (
        "a PreToolUse hook denied this shell call: no rm here: use trash. Do not retry it as is."
    )
    assert json.loads(ran)["metadata"]["exit_code"] == 0
    assert (workspace / "keep.txt").exists() and (workspace / "made.txt").exists()


async def test_a_json_deny_and_a_matcher_that_picks_the_tool(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
    codex_home: Path,
    tmp_path: Path,
) -> None:
    hook = _script(tmp_path, "deny_json.py", DENY_JSON)
    _hooks_file(codex_home, {"PreToolUse": [_group(hook, matcher="apply_patch")]})
    patch = "*** Begin Patch\n*** Add File: new.txt\n+hi\n*** End Patch\n"
    model_server.enqueue(
        Reply(
            (
                ToolCall("apply_patch", {"input": patch}),
                ToolCall("shell", {"command": ["touch", "made.txt"]}),
            )
        ),
        Reply((Text("ok"),)),
    )
    await _turn(manager, log)
    denied, _ran = tool_outputs(model_server)
    assert "a PreToolUse hook denied this apply_patch call: patches are frozen" in denied
    assert not (workspace / "new.txt").exists() and (workspace / "made.txt").exists()


async def test_every_event_reaches_the_hook_with_codex_field_names(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
    codex_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = tmp_path / "events.jsonl"
    monkeypatch.setenv("HOOK_LOG", str(record))
    hook = _script(tmp_path, "record.py", RECORD)
    events = ("SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop")
    _hooks_file(codex_home, {event: [_group(hook)] for event in events})
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["echo", "hi"]}, call_id="c1"),)),
        Reply((Text("all done"),)),
    )
    conv_id = await _turn(manager, log, "say hi")
    seen = [json.loads(line) for line in record.read_text().splitlines() if line]
    by_event = {e["hook_event_name"]: e for e in seen}
    assert sorted(by_event) == sorted(events)
    assert [e["hook_event_name"] for e in seen][-4:] == list(events[1:])
    assert all(e["session_id"] == conv_id and e["cwd"] == str(workspace) for e in seen)
    assert by_event["SessionStart"]["source"] == "startup"
    assert by_event["UserPromptSubmit"]["prompt"] == "say hi"
    pre, post = by_event["PreToolUse"], by_event["PostToolUse"]
    assert (pre["tool_name"], pre["tool_input"], pre["tool_use_id"]) == (
        "shell",
        {"command": ["echo", "hi"]},
        "c1",
    )
    assert "hi" in post["tool_response"]
    assert by_event["Stop"]["last_assistant_message"] == "all done"
    assert by_event["Stop"]["permission_mode"] == "never"
    assert _warnings(log, conv_id) == []
    assert all(KEY_ENV not in e["env_names"] for e in seen)  # hooks never get the API key


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("sleep 30", "timed out after 1s and was stopped"),
        ("printf '{not json \\377\\376'", "printed invalid JSON on stdout"),
        ("echo broken >&2; exit 3", "exited with code 3: broken"),
        ("exit 2", "exited with code 2 but wrote no reason on stderr"),
        ("/nonexistent/hook", "exited with code 127"),
        ("head -c 5000000 /dev/zero", None),  # floods stdout: capped, not an error
    ],
)
async def test_a_failing_hanging_or_garbage_hook_is_reported_never_fatal(
    command: str,
    says: str | None,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
    codex_home: Path,
) -> None:
    _hooks_file(codex_home, {"PreToolUse": [_group(command, timeout=1)]})
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "made.txt"]}),)), Reply((Text("ok"),))
    )
    started = time.monotonic()
    conv_id = await _turn(manager, log)
    assert time.monotonic() - started < 15
    assert (workspace / "made.txt").exists()  # a broken hook never blocks
    warnings = [w for w in _warnings(log, conv_id) if w.startswith("hook failed: PreToolUse")]
    if says is None:
        assert warnings == []
    else:
        (warning,) = warnings
        assert says in warning and "codex-home/hooks.json" in warning


async def test_a_user_prompt_submit_hook_can_hold_the_prompt_back(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    codex_home: Path,
) -> None:
    _hooks_file(
        codex_home,
        {"UserPromptSubmit": [_group("""echo '{"decision": "block", "reason": "no secrets"}'""")]},
    )
    conv_id = await _turn(manager, log, "my password is hunter2")
    assert model_server.requests == []
    assert "the prompt was not sent: a UserPromptSubmit hook said no secrets" in _warnings(
        log, conv_id
    )


async def test_an_untrusted_repository_cannot_run_hooks(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
    codex_home: Path,
    tmp_path: Path,
) -> None:
    marker = tmp_path / "pwned"
    planted = _hooks_file(workspace / ".codex", {"SessionStart": [_group(f"touch {marker}")]})
    model_server.enqueue(Reply((Text("ok"),)))
    conv_id = await _turn(manager, log)
    await asyncio.sleep(0.3)
    assert not marker.exists()
    (warning,) = [w for w in _warnings(log, conv_id) if "were not run" in w]
    assert str(planted) in warning and 'trust_level = "trusted"' in warning


async def test_a_trusted_repository_runs_its_hooks(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
    codex_home: Path,
    tmp_path: Path,
) -> None:
    with (codex_home / "config.toml").open("a") as config:
        config.write(f'\n[projects."{workspace}"]\ntrust_level = "trusted"\n')
    marker = tmp_path / "ran"
    _hooks_file(workspace / ".codex", {"Stop": [_group(f"touch {marker}")]})
    model_server.enqueue(Reply((Text("ok"),)))
    await _turn(manager, log)
    assert marker.exists()


async def test_a_broken_hooks_file_is_a_warning(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    codex_home: Path,
) -> None:
    (codex_home / "hooks.json").write_text('{"hooks": {"PreToolUse": [{"hooks": 3}]}}')
    model_server.enqueue(Reply((Text("ok"),)))
    conv_id = await _turn(manager, log)
    (warning,) = _warnings(log, conv_id)
    assert warning.startswith(f"{codex_home / 'hooks.json'} is not a valid hooks file (")
    assert warning.endswith("its hooks are not run")


async def test_an_interrupt_while_a_hook_hangs_stops_the_turn_and_the_hook(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    codex_home: Path,
    tmp_path: Path,
) -> None:
    pid_file = tmp_path / "hook.pid"
    _hooks_file(codex_home, {"PreToolUse": [_group(f"echo $$ > {pid_file}; exec sleep 60")]})
    model_server.enqueue(Reply((ToolCall("shell", {"command": ["true"]}),)), Reply((Text("x"),)))
    conv = await manager.new_conversation(
        NewConversationParams(approval_policy=AskForApproval.NEVER)
    )
    conv.submit(UserInputOp(items=[TextInput(text="go")]))
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        await asyncio.sleep(0.05)
    pid = int(pid_file.read_text())
    conv.submit(InterruptOp())
    await log.wait_for("turnAborted", conv.id, timeout=10)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the hook process outlived the interrupted turn")


async def test_shutdown_stops_a_session_start_hook_still_running(
    manager: ConversationManager,
    model_server: FakeModelServer,
    codex_home: Path,
    tmp_path: Path,
) -> None:
    pid_file = tmp_path / "hook.pid"
    _hooks_file(codex_home, {"SessionStart": [_group(f"echo $$ > {pid_file}; exec sleep 60")]})
    await manager.new_conversation(NewConversationParams())
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        await asyncio.sleep(0.05)
    pid = int(pid_file.read_text())
    await manager.shutdown_all()
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the SessionStart hook outlived the conversation")
