"""Files a patch must not read (FIFOs, devices, folders, huge files) and paths no file can have:
each is a failed tool call the model sees, the turn goes on, nothing is written, and the event
loop keeps serving everyone else meanwhile."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.patch.files import MAX_FILE_BYTES
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import AskForApproval
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import EventLog, ScriptedApprover
from tests.tools.test_patch_boundary import run_call

UPDATE = "*** Begin Patch\n*** Update File: {path}\n@@\n-x = 1\n+x = 2\n*** End Patch\n"
WRITER_DELAY_S = 4.0
"""How long the FIFO stays without a writer: code that reads it would block this long."""


@pytest.fixture
def fifo(workspace: Path) -> Iterator[Path]:
    """``workspace/pipe``, a FIFO (as a sandboxed ``mkfifo`` leaves one). After
    :data:`WRITER_DELAY_S` a thread writes ``x = 1`` into it if anyone is reading, so code that
    blocks on it is released and the test fails instead of hanging."""
    path = workspace / "pipe"
    os.mkfifo(path)
    done = threading.Event()

    def write_later() -> None:
        if done.wait(WRITER_DELAY_S):
            return
        while not done.is_set():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # no reader yet
                time.sleep(0.05)
                continue
            os.write(fd, b"x = 1\n")
            os.close(fd)
            return

    writer = threading.Thread(target=write_later, daemon=True)
    writer.start()
    yield path
    done.set()
    writer.join(timeout=5)


class LoopWatch:
    """The longest the event loop went without running a 20 ms ticker."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.02)
            now = time.monotonic()
            self.longest = max(self.longest, now - last)
            last = now

    def __enter__(self) -> LoopWatch:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


@pytest.mark.parametrize("via", ["file", "symlink"])
async def test_a_fifo_is_refused_while_another_conversation_is_served(
    via: str,
    fifo: Path,
    workspace: Path,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
) -> None:
    if via == "symlink":
        (workspace / "link").symlink_to(fifo)
    patch = UPDATE.format(path=fifo.name if via == "file" else "link")
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": patch}),)),
        Reply((Text("ok"),)),
        Reply((Text("ok"),)),
    )
    started = time.monotonic()
    with LoopWatch() as watch:
        bad = await manager.new_conversation(NewConversationParams())
        bad.submit(UserInputOp(items=[TextInput(text="edit the pipe")]))
        while not model_server.requests:  # the patch is on its way
            await asyncio.sleep(0.005)
        other = await manager.new_conversation(NewConversationParams())
        other.submit(UserInputOp(items=[TextInput(text="hello")]))
        await log.wait_for("taskComplete", other.id)
        served = time.monotonic() - started
        await log.wait_for("taskComplete", bad.id)
    assert served < WRITER_DELAY_S / 2, f"the other conversation waited {served:.1f}s"
    assert watch.longest < 1.0, f"the event loop stalled for {watch.longest:.1f}s"
    outputs = [
        str(i["output"])
        for r in model_server.requests
        for i in r.body["input"]
        if i.get("type") == "function_call_output"
    ]
    assert outputs[0].startswith("apply_patch verification failed:")
    assert "named pipe (FIFO), not a regular file" in outputs[0] and str(fifo) in outputs[0]


@pytest.mark.parametrize("policy", [AskForApproval.ON_REQUEST, AskForApproval.NEVER])
async def test_a_device_outside_is_judged_before_it_is_read(
    policy: AskForApproval,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    call = ToolCall("apply_patch", {"input": UPDATE.format(path="/dev/zero")})
    conv, output = await run_call(manager, model_server, log, call, approvalPolicy=policy.value)
    assert not approver.asked and "taskComplete" in log.types(conv)
    if policy is AskForApproval.NEVER:
        assert output.startswith("apply_patch rejected:") and "/dev/zero" in output
    else:
        assert output == (
            "apply_patch verification failed: Failed to read file to update /dev/zero: it is a "
            "character device, not a regular file; apply_patch edits regular files only"
        )


async def test_a_file_over_the_cap_is_refused_naming_it_and_the_cap(
    workspace: Path, manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    big = workspace / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    call = ToolCall("apply_patch", {"input": UPDATE.format(path="big.txt")})
    _, output = await run_call(manager, model_server, log, call)
    assert output.startswith("apply_patch verification failed:")
    assert str(big) in output and "larger than 10 MiB" in output
    assert big.stat().st_size == MAX_FILE_BYTES + 1


FOLDER = "sub"
# id -> (patch, what the model must be told)
BAD_PATHS: dict[str, tuple[str, str]] = {
    "nul-byte": (
        "*** Begin Patch\n*** Add File: a\0b.txt\n+x\n*** End Patch\n",
        "contains a NUL byte",
    ),
    "name-over-255-bytes": (
        f"*** Begin Patch\n*** Add File: {'n' * 256}.txt\n+x\n*** End Patch\n",
        "a file name can have at most 255 bytes",
    ),
    "multibyte-name-over-255-bytes": (
        f"*** Begin Patch\n*** Add File: dir/{'é' * 128}\n+x\n*** End Patch\n",
        "a file name can have at most 255 bytes",
    ),
    "path-over-4095-bytes": (
        f"*** Begin Patch\n*** Add File: {'/'.join(['d' * 200] * 21)}\n+x\n*** End Patch\n",
        "a path can have at most 4095 bytes",
    ),
    "add-dot": ("*** Begin Patch\n*** Add File: .\n+x\n*** End Patch\n", "names a folder"),
    "add-dotdot": ("*** Begin Patch\n*** Add File: sub/..\n+x\n*** End Patch\n", "names a folder"),
    "trailing-slash": (
        "*** Begin Patch\n*** Add File: new/\n+x\n*** End Patch\n",
        "names a folder",
    ),
    "empty-move-to": (
        "*** Begin Patch\n*** Update File: app.py\n*** Move to:  \n@@\n-x = 1\n+x = 2\n"
        "*** End Patch\n",
        "the path is empty",
    ),
    "unpaired-surrogate": (
        "*** Begin Patch\n*** Add File: \ud800.txt\n+x\n*** End Patch\n",
        "is not valid Unicode text",
    ),
    "control-character": (
        "*** Begin Patch\n*** Add File: evil\x1b[2J.txt\n+x\n*** End Patch\n",
        "contains a control character",
    ),
    "bidi-override": (
        "*** Begin Patch\n*** Add File: \u202etxt.exe\n+x\n*** End Patch\n",
        "contains a control character",
    ),
    "add-an-existing-folder": (
        f"*** Begin Patch\n*** Add File: {FOLDER}\n+x\n*** End Patch\n",
        "Is a directory",
    ),
    "update-an-existing-folder": (UPDATE.format(path=FOLDER), "Is a directory"),
    "delete-an-existing-folder": (
        f"*** Begin Patch\n*** Delete File: {FOLDER}\n*** End Patch\n",
        "Is a directory",
    ),
    "move-onto-an-existing-folder": (
        f"*** Begin Patch\n*** Update File: app.py\n*** Move to: {FOLDER}\n@@\n-x = 1\n+x = 2\n"
        "*** End Patch\n",
        "Is a directory",
    ),
    "symlink-loop": (UPDATE.format(path="loop"), "Too many levels of symbolic links"),
    "the-same-file-twice": (
        "*** Begin Patch\n*** Update File: app.py\n@@\n-x = 1\n+x = 2\n*** Update File: ./app.py\n"
        "@@\n-x = 1\n+x = 3\n*** End Patch\n",
        "changed by two sections of the patch",
    ),
}


@pytest.mark.parametrize("name", list(BAD_PATHS))
@pytest.mark.parametrize("entry", ["tool", "shell"])
async def test_paths_no_file_can_have_fail_the_call_and_the_turn_goes_on(
    name: str,
    entry: str,
    workspace: Path,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    (workspace / "app.py").write_text("x = 1\n")
    (workspace / FOLDER).mkdir()
    (workspace / "loop").symlink_to(workspace / "loop")
    before = sorted(str(p) for p in workspace.rglob("*"))
    patch, problem = BAD_PATHS[name]
    call = (
        ToolCall("apply_patch", {"input": patch})
        if entry == "tool"
        else ToolCall("shell", {"command": ["apply_patch", patch]})
    )
    conv, output = await run_call(manager, model_server, log, call)
    assert output.startswith("apply_patch verification failed: ") and problem in output
    for leak in ("Traceback", "Error:", "Exception", "errno", "<class"):
        assert leak not in output
    assert log.msgs(conv, "taskComplete") and not log.msgs(conv, "error")
    assert "patchApplyBegin" not in log.types(conv) and not approver.asked
    assert sorted(str(p) for p in workspace.rglob("*")) == before
    assert (workspace / "app.py").read_text() == "x = 1\n"
