"""The server's secrets stay out of a sandboxed command's reach: the provider key in the server's
environment (and its ancestors'), header secrets in ``$CODEX_LSP_HOME/config.toml``, the raw
disk. Each test runs a real "server" process that holds the secrets and runs the probe."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from codex_lsp.exec import sandbox

pytestmark = pytest.mark.skipif(
    sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support"
)
KEY = "sk-env-secret-0123456789"
HEADER = "hdr-secret-9876543210"
PROBE = r"""
echo probe-ran
cat /proc/$PPID/environ /proc/$SERVER_PID/environ /proc/$SERVER_PID/cmdline
p=$$
while [ "$p" -gt 1 ] 2>/dev/null; do
  tr '\0' '\n' < /proc/$p/environ; p=$(cut -d' ' -f4 /proc/$p/stat)
done
cat /proc/*/environ /proc/*/task/*/environ
head -c 65536 /proc/$SERVER_PID/mem
cat "$HOME_DIR/config.toml"; ls -la "$HOME_DIR"; cat "$HOME_DIR"/*
"""
DISKS = (
    'for d in $BLOCK_DEVICES; do echo "$d: $(stat -Lc %F "$d"),'
    ' $(head -c 4096 "$d" | wc -c) bytes"; done'
)

SERVER = """
import asyncio, json, os, sys
from pathlib import Path
from codex_lsp.exec.runner import run_command
from codex_lsp.exec.sandbox import sandboxed_argv
from codex_lsp.protocol.policies import ReadOnly, WorkspaceWrite
policy = {"read-only": ReadOnly(), "workspace-write": WorkspaceWrite()}[sys.argv[1]]
cwd = Path(sys.argv[2])
env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME_DIR", "BLOCK_DEVICES")}
env["SERVER_PID"] = str(os.getpid())
argv = sandboxed_argv(["bash", "-c", sys.argv[3]], policy, cwd)
result = asyncio.run(run_command(argv, cwd, timeout_s=20, env=env))
print(json.dumps({"code": result.exit_code, "output": result.aggregated_output}))
"""


def _env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "PYTHONPATH")}
    return {**keep, **extra}


def _block_devices() -> list[str]:
    """Block devices under /dev (raw disks, loop devices): whether or not this machine lets
    even root read them, a sandboxed command must find each one masked."""
    found = []
    for entry in sorted(Path("/dev").iterdir()):
        try:
            if stat.S_ISBLK(entry.lstat().st_mode):
                found.append(str(entry))
        except OSError:
            continue
    return found[:4]


def _run_server(mode: str, script: str, tmp_path: Path, home: Path) -> str:
    """Run ``script`` sandboxed from a server process holding the secrets; its output."""
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(f'[model_providers.p]\nhttp_headers = {{ X = "{HEADER}" }}\n')
    workspace = tmp_path / "ws"
    workspace.mkdir(exist_ok=True)
    env = _env(
        CODEX_LSP_HOME=str(home),
        HOME=str(tmp_path),
        HOME_DIR=str(home),
        BLOCK_DEVICES=" ".join(_block_devices()),
        OPENAI_API_KEY=KEY,
    )
    done = subprocess.run(
        [sys.executable, "-c", SERVER, mode, str(workspace), script],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    output: str = json.loads(done.stdout)["output"]
    return output


@pytest.mark.parametrize("mode", ["workspace-write", "read-only"])
def test_a_sandboxed_command_finds_no_secret(mode: str, tmp_path: Path, own_home: Path) -> None:
    output = _run_server(mode, PROBE, tmp_path, own_home)
    assert "probe-ran" in output
    assert KEY not in output and HEADER not in output


@pytest.mark.skipif(not _block_devices(), reason="this machine has no block device in /dev")
def test_raw_disks_are_masked(tmp_path: Path, own_home: Path) -> None:
    output = _run_server("workspace-write", DISKS, tmp_path, own_home)
    expected = [f"{d}: character special file, 0 bytes" for d in _block_devices()]
    assert expected == output.splitlines()
