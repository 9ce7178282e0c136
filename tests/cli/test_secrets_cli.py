"""The command line never prints a secret the config names: ``config show``, ``exec`` (plain and
``--json``) against a provider that echoes the request, and ``doctor`` with an MCP server that
repeats its env when it refuses to start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codex_lsp.testing import EchoReply, FakeModelServer
from tests.helpers import subprocess_env
from tests.providers.test_secrets import FAULT_SERVER, leaks, secret_environ, secrets_config

pytestmark = pytest.mark.slow


def _run(args: list[str], home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_lsp", *args],
        cwd=cwd,
        env=subprocess_env(home, secret_environ()),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_config_show_masks_every_secret_the_config_names(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    secrets_config(clean_env, model_server.base_url)
    result = _run(["config", "show"], clean_env, workspace)
    assert result.returncode == 0, result.stderr
    shown = dict(line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)
    for key in (
        "model_providers.fake.http_headers.X-Static-Auth",
        "model_providers.fake.query_params.api-key",
        "mcp_servers.faults.env.FAULTS_PASS",
        "mcp_servers.remote.http_headers.X-Mcp-Auth",
    ):
        assert shown[key].startswith('"[redacted]"'), (key, shown[key])
    assert shown["model_providers.fake.env_key"].startswith('"FAKE_PROVIDER_CRED"')
    assert leaks(result.stdout + result.stderr) == []


@pytest.mark.parametrize("json_mode", [False, True])
def test_exec_against_a_provider_echoing_the_request_prints_no_secret(
    json_mode: bool, clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    secrets_config(clean_env, model_server.base_url)
    model_server.default_reply = EchoReply(400)
    result = _run(
        ["exec", "--skip-git-repo-check", *(["--json"] if json_mode else []), "hi"],
        clean_env,
        workspace,
    )
    assert result.returncode == 1, result.stderr
    assert "HTTP 400" in result.stdout + result.stderr
    assert leaks(result.stdout + result.stderr) == []


def test_doctor_prints_no_secret_of_a_failing_mcp_server(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    path = secrets_config(clean_env, model_server.base_url)
    path.write_text(
        path.read_text().replace(
            f'args = ["{FAULT_SERVER}"]',
            f'args = ["{FAULT_SERVER}", "--refuse-init", "FAULTS_PASS"]',
        )
    )
    result = _run(["doctor"], clean_env, workspace)
    assert "login refused for [redacted]" in result.stdout, result.stdout
    assert leaks(result.stdout + result.stderr) == []
