"""The Landlock sandbox, proven with escape attempts by real processes."""

from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path

import pytest

from codex_lsp.errors import SandboxError
from codex_lsp.exec import sandbox, seccomp
from codex_lsp.exec.runner import run_command
from codex_lsp.exec.sandbox_launch import SANDBOX_FAILED_EXIT
from codex_lsp.protocol.policies import DangerFullAccess, ReadOnly, WorkspaceWrite

needs_landlock = pytest.mark.skipif(
    sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support"
)


async def _run(
    argv: list[str], policy: DangerFullAccess | ReadOnly | WorkspaceWrite, cwd: Path
) -> tuple[int, str]:
    result = await run_command(sandbox.sandboxed_argv(argv, policy, cwd), cwd, timeout_s=10)
    return result.exit_code, result.aggregated_output


@needs_landlock
async def test_workspace_write_allows_the_workspace_and_blocks_elsewhere(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    outside = tmp_path / "outside"
    workspace.mkdir()
    outside.mkdir()
    policy = WorkspaceWrite(exclude_slash_tmp=True, exclude_tmpdir_env_var=True)
    code, _ = await _run(["bash", "-c", "echo ok > inside.txt"], policy, workspace)
    assert code == 0 and (workspace / "inside.txt").read_text() == "ok\n"
    code, out = await _run(["bash", "-c", f"echo escape > {outside}/x.txt"], policy, workspace)
    assert code != 0 and "Permission denied" in out
    assert not (outside / "x.txt").exists()


@needs_landlock
@pytest.mark.parametrize(
    "attack",
    [
        "echo x > $HOME/pwned",
        "echo x > ../outside/pwned",
        "echo x > {outside}/../outside/pwned",
        "ln -s {outside} link && echo x > link/pwned",
        "mv {outside}/keep {outside}/moved",
        "rm -f {outside}/keep",
        "python3 -c \"open('{outside}/pwned','w').write('x')\"",
        "cd {outside} && touch pwned",
    ],
)
async def test_escape_attempts_fail(attack: str, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    outside = tmp_path / "outside"
    workspace.mkdir()
    outside.mkdir()
    (outside / "keep").write_text("keep")
    policy = WorkspaceWrite(exclude_slash_tmp=True, exclude_tmpdir_env_var=True)
    script = f"export HOME={outside}; " + attack.format(outside=outside)
    await _run(["bash", "-c", script], policy, workspace)
    assert sorted(p.name for p in outside.iterdir()) == ["keep"]
    assert (outside / "keep").read_text() == "keep"


@needs_landlock
async def test_system_folders_stay_untouched(tmp_path: Path) -> None:
    code, out = await _run(
        ["bash", "-c", "echo x > /etc/codex-lsp-pwned"], WorkspaceWrite(), tmp_path
    )
    assert code != 0 and "Permission denied" in out
    assert not Path("/etc/codex-lsp-pwned").exists()


@needs_landlock
async def test_read_only_blocks_writes_even_in_the_workspace(tmp_path: Path) -> None:
    code, _ = await _run(["bash", "-c", "echo x > f.txt"], ReadOnly(), tmp_path)
    assert code != 0 and not (tmp_path / "f.txt").exists()
    code, _ = await _run(["cat", "/etc/hostname"], ReadOnly(), tmp_path)
    assert code == 0


@needs_landlock
@pytest.mark.skipif(
    sandbox.landlock_abi() < 4, reason="Landlock network rules need ABI 4 (Linux 6.7+)"
)
async def test_network_is_blocked_unless_allowed(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    probe = (
        "import socket; "
        f"socket.create_connection(('127.0.0.1', {port}), timeout=2); print('connected')"
    )
    try:
        code, out = await _run([sys.executable, "-c", probe], WorkspaceWrite(), tmp_path)
        assert code != 0 and "connected" not in out
        code, out = await _run(
            [sys.executable, "-c", probe], WorkspaceWrite(network_access=True), tmp_path
        )
        assert code == 0 and "connected" in out
    finally:
        listener.close()


async def test_no_landlock_means_the_command_does_not_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sandbox, "landlock_abi", lambda: 0)
    with pytest.raises(SandboxError, match="no Landlock support, so the command was not run"):
        sandbox.sandboxed_argv(["true"], WorkspaceWrite(), tmp_path)
    unsandboxed = sandbox.sandboxed_argv(["true"], DangerFullAccess(), tmp_path)
    assert unsandboxed[-3:] == ["--unsandboxed", "--", "true"]
    code, out = await _run(["sh", "-c", "echo unsandboxed"], DangerFullAccess(), tmp_path)
    assert code == 0 and out == "unsandboxed\n"


@needs_landlock
@pytest.mark.skipif(
    not seccomp.supported(), reason="no seccomp filter for this machine's architecture"
)
async def test_udp_is_blocked_but_unix_sockets_work(tmp_path: Path) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    port = receiver.getsockname()[1]
    udp = (
        "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
        f"s.sendto(b'x', ('127.0.0.1', {port})); print('sent')"
    )
    unix = "import socket; socket.socket(socket.AF_UNIX); print('unix ok')"
    try:
        code, out = await _run([sys.executable, "-c", udp], WorkspaceWrite(), tmp_path)
        assert code != 0 and "Operation not permitted" in out
        code, out = await _run([sys.executable, "-c", unix], WorkspaceWrite(), tmp_path)
        assert code == 0 and "unix ok" in out
        code, out = await _run(
            [sys.executable, "-c", udp], WorkspaceWrite(network_access=True), tmp_path
        )
        assert code == 0 and "sent" in out
    finally:
        receiver.close()


@needs_landlock
async def test_dot_git_stays_read_only_inside_the_workspace(tmp_path: Path) -> None:
    (tmp_path / ".git" / "hooks").mkdir(parents=True)
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    policy = WorkspaceWrite(exclude_slash_tmp=True, exclude_tmpdir_env_var=True)
    script = "echo evil > .git/hooks/pre-commit; echo x >> .git/HEAD; echo fine > ok.txt"
    _, out = await _run(["bash", "-c", script], policy, tmp_path)
    assert not (tmp_path / ".git" / "hooks" / "pre-commit").exists()
    assert (tmp_path / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (tmp_path / "ok.txt").read_text() == "fine\n"
    assert "Read-only file system" in out


@needs_landlock
@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("echo x > $HOME/made", "made"),
        ("mkdir -p sub && echo x > sub/../made", "made"),
        ("mkdir -p real && ln -s real link && echo x > link/made", "real/made"),
        ("echo x > keep && mv keep made", "made"),
        ("python3 -c \"open('made','w').write('x')\"", "made"),
        ("echo x > made && rm made && echo x > made", "made"),
    ],
)
async def test_the_same_writes_succeed_inside_the_workspace(
    script: str, expected: str, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    policy = WorkspaceWrite(exclude_slash_tmp=True, exclude_tmpdir_env_var=True)
    code, out = await _run(["bash", "-c", f"export HOME={workspace}; {script}"], policy, workspace)
    assert code == 0, out
    assert (workspace / expected).exists()


@needs_landlock
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux's unshare")
async def test_a_kernel_that_refuses_namespaces_refuses_the_command(tmp_path: Path) -> None:
    # a user namespace of its own in which no further one may be created (a per-namespace limit)
    refuse = 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"'
    argv = sandbox.sandboxed_argv(["touch", "ran"], WorkspaceWrite(), tmp_path)
    result = await run_command(
        ["unshare", "-U", "-r", "sh", "-c", refuse, "sh", *argv], tmp_path, timeout_s=10
    )
    assert result.exit_code == SANDBOX_FAILED_EXIT
    assert "cannot isolate the command in its own namespaces" in result.stderr
    assert "the command was not run" in result.stderr and "user namespaces" in result.stderr
    assert not (tmp_path / "ran").exists() and not (tmp_path / ".git").exists()
