"""The shell tool's sandbox is the conversation's, whatever working folder the model names."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.exec import sandbox
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import EventLog, write_config

pytestmark = pytest.mark.skipif(
    sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support"
)


async def _shell(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    args: dict[str, object],
) -> dict[str, object]:
    model_server.enqueue(Reply((ToolCall("shell", args),)), Reply((Text("ok"),)))
    params = NewConversationParams(sandbox="workspace-write", approvalPolicy="never")
    conv = await manager.new_conversation(params)
    conv.submit(UserInputOp(items=[TextInput(text="run it")]))
    await log.wait_for("taskComplete", conv.id)
    end: dict[str, object] = log.msgs(conv.id, "execCommandEnd")[0]
    return end


@pytest.mark.parametrize("where", ["outside", "parent", "root"])
async def test_a_workdir_outside_the_workspace_does_not_make_it_writable(
    where: str,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    codex_home: Path,
    workspace: Path,
    tmp_path: Path,
) -> None:
    extra = "[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n"
    write_config(codex_home, model_server.base_url, extra=extra)
    folder = {"outside": tmp_path / "outside", "parent": tmp_path, "root": Path("/")}[where]
    (tmp_path / "outside").mkdir()
    target = tmp_path / "outside" / "pwned" if where == "root" else folder / "pwned"
    end = await _shell(
        manager, model_server, log, {"command": ["touch", str(target)], "workdir": str(folder)}
    )
    assert end["exitCode"] != 0 and "Permission denied" in str(end["aggregatedOutput"])
    assert not target.exists()


async def test_a_workdir_inside_the_workspace_still_works(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
) -> None:
    (workspace / "sub").mkdir()
    end = await _shell(manager, model_server, log, {"command": ["touch", "made"], "workdir": "sub"})
    assert end["exitCode"] == 0 and (workspace / "sub" / "made").exists()
