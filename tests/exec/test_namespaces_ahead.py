"""The namespaces a spare launcher of the fork server makes ahead of its command (clone, ids,
``/proc``, the masking of block devices): fresh for every command, never reused, and never
stale — a file system mounted or a block device made after they were made is seen, or masked,
by the command as if they had been made for it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from codex_lsp.exec import sandbox
from codex_lsp.exec.runner import ExecResult, run_command
from codex_lsp.protocol.policies import WorkspaceWrite
from tests.exec.test_forkserver import children, fork_servers
from tests.exec.test_lifetime import is_alive, processes_with

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support"),
]
NO_TMP = WorkspaceWrite(exclude_slash_tmp=True, exclude_tmpdir_env_var=True)
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting and mknod need root")


async def _sandboxed(script: str, cwd: Path) -> ExecResult:
    argv = sandbox.sandboxed_argv(["bash", "-c", script], NO_TMP, cwd)
    return await run_command(argv, cwd, timeout_s=10)


async def _made_ahead() -> tuple[int, int]:
    """The fork server's spare launcher and the init it made ahead, once both exist."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for spare in children(fork_servers()[0]):
            made = children(spare)
            if made:
                return spare, made[0]
        await asyncio.sleep(0.02)
    raise AssertionError("no init was made ahead")


async def test_every_command_gets_namespaces_of_its_own(tmp_path: Path) -> None:
    ids = "readlink /proc/self/ns/user /proc/self/ns/mnt /proc/self/ns/pid"
    token = f"31.{os.getpid() % 1000:03d}7"
    for _ in range(3):  # each one leaves a process that left its session, as a daemon would
        result = await _sandboxed(f"(setsid sleep {token} &); ls /proc", tmp_path)
        pids = sorted(int(name) for name in result.stdout.split() if name.isdigit())
        assert pids[0] == 1 and len(pids) <= 4  # init, bash, ls, its own sleep: no other's
    assert not processes_with(f"sleep {token}")
    running = asyncio.create_task(_sandboxed(f"{ids}; sleep 1", tmp_path))
    await asyncio.sleep(0.5)
    other = await _sandboxed(ids, tmp_path)
    first = (await running).stdout.split()
    assert len(first) == 3 and not set(first) & set(other.stdout.split())


@needs_root
async def test_a_file_system_mounted_after_the_namespaces_were_made_is_seen(
    tmp_path: Path,
) -> None:
    await _sandboxed("true", tmp_path)
    await _made_ahead()
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(mount_point)], check=True)
    try:
        result = await _sandboxed("echo hi > made && cat made", mount_point)
        assert result.stdout == "hi\n" and (mount_point / "made").read_text() == "hi\n"
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)
    assert not (mount_point / "made").exists()  # it went to the tmpfs, not the folder below


@needs_root
async def test_a_block_device_made_after_the_namespaces_were_made_is_masked(
    tmp_path: Path,
) -> None:
    await _sandboxed("true", tmp_path)
    await _made_ahead()
    device = Path(f"/dev/codex-lsp-test-{os.getpid()}")
    os.mknod(device, stat.S_IFBLK | 0o600, os.makedev(7, 0))
    try:
        result = await _sandboxed(f"stat -c %F {device}; head -c 16 {device} | wc -c", tmp_path)
    finally:
        device.unlink()
    assert result.stdout.split("\n")[:2] == ["character special file", "0"]


async def test_a_spare_killed_while_waiting_leaves_no_init_behind(tmp_path: Path) -> None:
    await _sandboxed("true", tmp_path)
    (server,) = fork_servers()
    spare, init = await _made_ahead()
    os.kill(spare, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while is_alive(init) or spare in children(server) or os.path.exists(f"/proc/{init}"):
        assert time.monotonic() < deadline, "the killed spare's init was left"
        await asyncio.sleep(0.02)
    zombies = []
    for pid in os.listdir("/proc"):
        with contextlib.suppress(OSError, ValueError):
            if pid.isdigit() and not is_alive(int(pid)):
                zombies.append(int(pid))
    assert init not in zombies
    result = await _sandboxed("echo ok", tmp_path)
    assert result.stdout == "ok\n" and fork_servers() == [server]
