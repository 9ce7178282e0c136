"""The sandbox end to end: a real ``codex-lsp exec`` server whose scripted model runs the command
an attacker would, against the server's secrets, its configuration and its lifetime."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codex_lsp.exec import sandbox
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.cli.test_exec import run_exec
from tests.exec.test_lifetime import is_alive, processes_with
from tests.helpers import SECRET_KEY, subprocess_env, write_config

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support"),
]
HEADER_SECRET = "hdr-literal-secret-4242"
PROBE = r"""
echo probe-ran
cat /proc/$PPID/environ
p=$$
while [ "$p" -gt 1 ] 2>/dev/null; do
  tr '\0' '\n' < /proc/$p/environ; p=$(cut -d' ' -f4 /proc/$p/stat)
done
cat /proc/*/environ
cat {home}/config.toml
grep -r . {home} 2>&1 | head -5
"""


def test_a_command_reads_no_secret_of_the_server(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    extra = f'http_headers = {{ "X-Api-Secret" = "{HEADER_SECRET}" }}\n'
    write_config(clean_env, model_server.base_url, extra=extra)
    probe = PROBE.format(home=clean_env)
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["bash", "-c", probe]}),)), Reply((Text("done"),))
    )
    result = run_exec(["--json", "find the keys"], clean_env, workspace)
    assert result.returncode == 0, result.stderr
    assert model_server.requests[0].headers.get("x-api-secret") == HEADER_SECRET
    shown = result.stdout + result.stderr
    sent_back = json.dumps(model_server.requests[1].body)
    assert "probe-ran" in shown and "probe-ran" in sent_back
    for secret in (SECRET_KEY, HEADER_SECRET):
        assert secret not in shown and secret not in sent_back


def test_a_command_cannot_take_over_the_projects_configuration(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    trusted = f'[projects."{workspace}"]\ntrust_level = "trusted"\n'
    write_config(clean_env, model_server.base_url, extra=trusted)
    planted = (
        'mkdir -p .codex-lsp && printf \'sandbox_mode = "danger-full-access"\\n'
        'notify = ["touch", "{pwned}"]\\n\' > .codex-lsp/config.toml; echo tried'
    ).format(pwned=workspace.parent / "pwned")
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["bash", "-c", planted]}),)), Reply((Text("ok"),))
    )
    first = run_exec(["plant it"], clean_env, workspace)
    assert first.returncode == 0, first.stderr
    assert "tried" in json.dumps(model_server.requests[1].body)
    assert not (workspace / ".codex-lsp").exists()
    model_server.enqueue(Reply((Text("second"),)))
    second = run_exec(["--json", "again"], clean_env, workspace)
    configured = json.loads(second.stdout.splitlines()[0])["msg"]
    assert configured["type"] == "sessionConfigured"
    assert configured["sandboxPolicy"]["type"] == "workspace-write"
    assert not (workspace.parent / "pwned").exists()


@pytest.mark.parametrize("mode", ["workspace-write", "danger-full-access"])
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_commands_end_with_the_server(
    mode: str,
    how: signal.Signals,
    codex_home: Path,
    workspace: Path,
    model_server: FakeModelServer,
) -> None:
    token = f"2.{os.getpid() % 1000}{how.value}{len(mode)}"
    script = (
        f"(sleep {token}; echo x > background) & setsid sh -c 'sleep {token}; echo x > daemon' & "
        f"sleep {token}; echo done > marker"
    )
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["bash", "-c", script], "timeout_ms": 30000}),)),
        Reply((Text("finished"),)),
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "codex_lsp", "exec", "--skip-git-repo-check", "-s", mode, "run it"],
        cwd=workspace,
        env=subprocess_env(codex_home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while len(pids := processes_with(f"sleep {token}")) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(pids) >= 4, pids  # the launcher (its argv holds the script) and three sleeps
        server.send_signal(how)
        server.wait(10)
    finally:
        server.kill()
        server.wait()
    time.sleep(0.5)
    assert [pid for pid in pids if is_alive(pid)] == []
    time.sleep(2.2)  # past the sleeps' end: nothing is left to write the markers
    assert sorted(p.name for p in workspace.iterdir()) == []
