"""read_file, list_dir, grep_files and view_image, through real turns."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from codex_lsp.tools import read_only
from tests.helpers import EventLog

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


async def _tool_output(
    manager: ConversationManager,
    server: FakeModelServer,
    log: EventLog,
    call: ToolCall,
    **params: object,
) -> str:
    server.enqueue(Reply((call,)), Reply((Text("ok"),)))
    conv = await manager.new_conversation(NewConversationParams.model_validate(params))
    conv.submit(UserInputOp(items=[TextInput(text="go")]))
    await log.wait_for("taskComplete", conv.id)
    items = server.requests[-1].body["input"]
    return str(next(i for i in items if i["type"] == "function_call_output")["output"])


async def test_helpers_are_offered_to_other_models_but_not_codex_models(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog
) -> None:
    model_server.enqueue(Reply((Text("a"),)), Reply((Text("b"),)))
    for model in ("fake-model", "gpt-5-codex"):
        conv = await manager.new_conversation(NewConversationParams(model=model))
        conv.submit(UserInputOp(items=[TextInput(text="hi")]))
        await log.wait_for("taskComplete", conv.id)
    generic, codex = ({t["name"] for t in r.body["tools"]} for r in model_server.requests)
    assert {"read_file", "list_dir", "grep_files", "view_image", "shell", "apply_patch"} <= generic
    assert "read_file" not in codex and {"shell", "apply_patch", "view_image"} <= codex


async def test_read_file_pages_with_line_numbers(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "f.txt").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    output = await _tool_output(
        manager,
        model_server,
        log,
        ToolCall("read_file", {"file_path": "f.txt", "offset": 3, "limit": 2}),
    )
    assert output.startswith("L3: line 3\nL4: line 4\n[... 6 more lines; read on with offset 5]")


async def test_list_dir_shows_a_tree(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "src" / "pkg").mkdir(parents=True)
    (workspace / "src" / "pkg" / "deep.py").write_text("")
    (workspace / "README.md").write_text("")
    output = await _tool_output(
        manager, model_server, log, ToolCall("list_dir", {"dir_path": ".", "depth": 2})
    )
    assert output.splitlines()[1:] == ["README.md", "src/", "  pkg/"]


@pytest.mark.parametrize("engine", ["ripgrep", "python"])
async def test_grep_files_honours_gitignore(
    engine: str,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if engine == "python":
        monkeypatch.setattr(read_only, "ripgrep_binary", lambda: None)
    elif read_only.ripgrep_binary() is None:
        pytest.skip("ripgrep (rg) is not installed")
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    (workspace / ".gitignore").write_text("build/\n")
    (workspace / "build").mkdir()
    (workspace / "build" / "gen.py").write_text("needle = 1\n")
    (workspace / "app.py").write_text("needle = 2\n")
    (workspace / "other.txt").write_text("needle\n")
    output = await _tool_output(
        manager,
        model_server,
        log,
        ToolCall("grep_files", {"pattern": "need+le", "include": "*.py"}),
    )
    assert output.splitlines() == [str(workspace / "app.py")]


async def test_view_image_shows_the_image_to_the_model(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "shot.png").write_bytes(PNG)
    output = await _tool_output(
        manager, model_server, log, ToolCall("view_image", {"path": "shot.png"})
    )
    assert output.startswith("attached image")
    sent = json.dumps(model_server.requests[-1].body["input"])
    assert "data:image/png;base64," in sent
    assert log.msgs(type_="viewImageToolCall")[0]["path"] == str(workspace / "shot.png")


async def test_view_image_refuses_what_is_not_an_image(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, workspace: Path
) -> None:
    (workspace / "notes.txt").write_text("text")
    output = await _tool_output(
        manager, model_server, log, ToolCall("view_image", {"path": "notes.txt"})
    )
    assert "not an image file" in output
