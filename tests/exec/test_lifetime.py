"""A command and everything it starts end when the command ends, sandboxed or not: background
jobs, with or without their output redirected, and daemons that left its process group."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from codex_lsp.exec import sandbox
from codex_lsp.exec.runner import run_command
from codex_lsp.protocol.policies import DangerFullAccess, WorkspaceWrite

pytestmark = pytest.mark.skipif(
    sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support"
)
POLICIES = {"sandboxed": WorkspaceWrite(), "unsandboxed": DangerFullAccess()}
BACKGROUND = {
    "job": "(sleep 1; echo x > {marker}) &",
    "job with its output redirected": "(sleep 1; echo x > {marker}) > /dev/null 2>&1 &",
    "new session": "setsid sh -c 'sleep 1; echo x > {marker}' &",
    "nohup": "nohup sh -c 'sleep 1; echo x > {marker}' > /dev/null 2>&1 &",
    "double fork": "sh -c '(sleep 1; echo x > {marker}) > /dev/null 2>&1 &'",
}


def is_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie has ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "State:\tZ" not in status


def processes_with(token: str) -> list[int]:
    """Live processes whose command line contains ``token`` (looked up by pid in /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if token.encode() in cmdline and is_alive(int(entry.name)):
                found.append(int(entry.name))
    return found


async def _run_with_background(kind: str, mode: str, folder: Path) -> float:
    folder.mkdir()
    script = BACKGROUND[kind].format(marker=folder / "marker") + "\necho started"
    argv = sandbox.sandboxed_argv(["bash", "-c", script], POLICIES[mode], folder)
    started = time.monotonic()
    result = await run_command(argv, folder, timeout_s=10)
    assert result.exit_code == 0 and result.stdout == "started\n", (kind, result)
    return time.monotonic() - started


@pytest.mark.parametrize("mode", list(POLICIES))
async def test_background_children_end_with_the_command(mode: str, tmp_path: Path) -> None:
    kinds = list(BACKGROUND)
    durations = await asyncio.gather(
        *(_run_with_background(kind, mode, tmp_path / str(i)) for i, kind in enumerate(kinds))
    )
    slow = [kind for kind, took in zip(kinds, durations, strict=True) if took > 0.9]
    assert slow == []  # nothing held the output pipes open until the job's end
    await asyncio.sleep(1.5)
    assert [kind for i, kind in enumerate(kinds) if (tmp_path / str(i) / "marker").exists()] == []


@pytest.mark.parametrize("mode", list(POLICIES))
async def test_a_timeout_ends_every_process_of_the_command(mode: str, tmp_path: Path) -> None:
    token = f"{os.getpid() % 1000 + 1}.{len(mode)}17"
    script = f"setsid sleep {token} & (sleep {token}) & sleep {token}"
    argv = sandbox.sandboxed_argv(["bash", "-c", script], POLICIES[mode], tmp_path)
    result = await run_command(argv, tmp_path, timeout_s=0.5)
    assert result.timed_out
    await asyncio.sleep(0.2)
    assert processes_with(f"sleep {token}") == []


@pytest.mark.parametrize("mode", list(POLICIES))
async def test_keep_background_is_the_seam_for_background_terminals(
    mode: str, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    script = f"(sleep 0.3; echo x > {marker}) > /dev/null 2>&1 & echo started"
    argv = sandbox.sandboxed_argv(
        ["bash", "-c", script], POLICIES[mode], tmp_path, keep_background=True
    )
    result = await run_command(argv, tmp_path, timeout_s=10)
    assert result.exit_code == 0 and marker.read_text() == "x\n"


async def test_killing_the_launcher_itself_still_ends_a_sandboxed_command(
    tmp_path: Path,
) -> None:
    token = f"{os.getpid() % 1000 + 2}.29"
    argv = sandbox.sandboxed_argv(
        ["bash", "-c", f"setsid sleep {token} & sleep {token}"], WorkspaceWrite(), tmp_path
    )
    launcher = subprocess.Popen(argv, cwd=tmp_path)
    try:
        for _ in range(100):
            if len(processes_with(f"sleep {token}")) >= 3:  # the launcher's argv, and two sleeps
                break
            await asyncio.sleep(0.05)
        pids = processes_with(f"sleep {token}")
        assert len(pids) >= 3
        launcher.send_signal(signal.SIGKILL)
    finally:
        launcher.wait()
    await asyncio.sleep(0.3)
    assert [pid for pid in pids if is_alive(pid)] == []


@pytest.mark.parametrize("mode", list(POLICIES))
async def test_the_exit_status_is_the_commands(mode: str, tmp_path: Path) -> None:
    for script, expected in (("exit 3", 3), ("kill -9 $$", 137), ("yes | head -1", 0)):
        argv = sandbox.sandboxed_argv(["bash", "-c", script], POLICIES[mode], tmp_path)
        result = await run_command(argv, tmp_path, timeout_s=10)
        assert result.exit_code == expected, (script, result.aggregated_output)
        assert "Broken pipe" not in result.stderr
