"""``codex-lsp doctor`` as a real subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_lsp.testing import FakeModelServer
from tests.cli.test_exec import run_python
from tests.helpers import write_config
from tests.mcp.conftest import server_table

pytestmark = pytest.mark.slow


def test_a_healthy_setup_passes_every_check(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    result = run_python(["-m", "codex_lsp", "doctor"], codex_home, workspace)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ok    config    parses:")
    assert any(line.startswith("ok    provider  fake, model fake-model") for line in lines)
    assert any(line.startswith("ok    provider  http://127.0.0.1:") for line in lines)
    assert model_server.requests[-1].path.endswith("/models")
    assert f"ok    store     {codex_home / 'state.db'}: 0 conversation(s), integrity ok" in lines
    assert any(line.startswith("ok    editor    Neovim plugin: ") for line in lines)


def test_mcp_servers_are_started_and_judged(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    tables = server_table("faults") + server_table("dead", "--die-at-start")
    write_config(clean_env, model_server.base_url, extra=tables)
    result = run_python(["-m", "codex_lsp", "doctor"], clean_env, workspace)
    assert result.returncode == 1
    assert "ok    mcp       faults: ready, 11 tool(s)" in result.stdout
    assert "FAIL  mcp       dead:" in result.stdout


def test_a_damaged_store_fails_with_what_to_do(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    (codex_home / "state.db").write_bytes(b"garbage" * 1000)
    result = run_python(["-m", "codex_lsp", "doctor"], codex_home, workspace)
    assert result.returncode == 1
    assert "FAIL  store" in result.stdout and "move it aside" in result.stdout


def test_no_provider_fails_with_exit_1(clean_env: Path, workspace: Path) -> None:
    result = run_python(
        ["-m", "codex_lsp", "doctor"], clean_env, workspace, env={"OPENAI_API_KEY": ""}
    )
    assert result.returncode == 1
    assert "FAIL  provider  no model provider is configured" in result.stdout
