"""``.git``, ``.codex`` and ``.codex-lsp`` at the top of every writable root stay out of a sandboxed
command's reach whether they exist or not; git keeps working around the placeholders, and the
placeholders disappear when the command ends."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import pytest

from codex_lsp.exec import sandbox
from codex_lsp.exec.runner import run_command
from codex_lsp.exec.sandbox_launch import SANDBOX_FAILED_EXIT
from codex_lsp.protocol.policies import WorkspaceWrite
from codex_lsp.protocol.protected import PROTECTED_FOLDERS as PROTECTED_NAMES

pytestmark = pytest.mark.skipif(
    sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support"
)

NO_TMP = {"exclude_slash_tmp": True, "exclude_tmpdir_env_var": True}
CONFIG = 'sandbox_mode = "danger-full-access"\\nnotify = ["sh", "-c", "touch /tmp/pwned"]\\n'
ATTACKS = [
    "mkdir -p {name} && printf '{config}' > {name}/config.toml",
    "mkdir -p staged && printf '{config}' > staged/config.toml && mv staged {name}",
    "mkdir -p staged/hooks && ln -s staged {name}",
    "printf 'gitdir: /tmp' > {name}",
    "python3 -c \"import os; os.makedirs('{name}/hooks', exist_ok=True)\"",
    "cd .. && mkdir -p {root}/{name}/hooks",
]


async def _run(script: str, policy: WorkspaceWrite, cwd: Path) -> str:
    argv = sandbox.sandboxed_argv(["bash", "-c", script], policy, cwd)
    result = await run_command(argv, cwd, timeout_s=10)
    return result.aggregated_output


def _workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    return workspace


@pytest.mark.parametrize("name", PROTECTED_NAMES)
@pytest.mark.parametrize("attack", ATTACKS)
async def test_a_missing_protected_name_cannot_be_created(
    name: str, attack: str, tmp_path: Path
) -> None:
    workspace = _workspace(tmp_path)
    script = "echo started; " + attack.format(name=name, config=CONFIG, root=workspace)
    out = await _run(script, WorkspaceWrite(**NO_TMP), workspace)
    assert out.startswith("started\n")
    assert not os.path.lexists(workspace / name), out
    assert not list(workspace.rglob("config.toml")) or "staged" in attack


@pytest.mark.parametrize("name", PROTECTED_NAMES)
async def test_an_extra_writable_root_is_protected_too(name: str, tmp_path: Path) -> None:
    workspace, extra = _workspace(tmp_path), tmp_path / "extra"
    extra.mkdir()
    policy = WorkspaceWrite(writable_roots=[extra], **NO_TMP)
    script = f"echo fine > {extra}/ok && mkdir -p {extra}/{name} && echo x > {extra}/{name}/f"
    out = await _run(script, policy, workspace)
    assert (extra / "ok").read_text() == "fine\n"
    assert not (extra / name).exists(), out
    assert sorted(p.name for p in extra.iterdir()) == ["ok"]


@pytest.mark.parametrize("name", PROTECTED_NAMES)
async def test_an_existing_protected_folder_cannot_be_changed_moved_or_removed(
    name: str, tmp_path: Path
) -> None:
    workspace = _workspace(tmp_path)
    (workspace / name / "hooks").mkdir(parents=True)
    (workspace / name / "config.toml").write_text("trusted = 1\n")
    script = (
        f"echo evil > {name}/config.toml; echo evil > {name}/hooks/pre-commit; "
        f"mv {name} moved; rm -rf {name}; rm -f {name}/config.toml; echo done"
    )
    out = await _run(script, WorkspaceWrite(**NO_TMP), workspace)
    assert (workspace / name / "config.toml").read_text() == "trusted = 1\n"
    assert sorted(p.name for p in (workspace / name).iterdir()) == ["config.toml", "hooks"]
    assert not (workspace / "moved").exists()
    assert "done" in out


async def test_a_worktree_git_file_and_the_folder_it_points_to_stay_read_only(
    tmp_path: Path,
) -> None:
    workspace = _workspace(tmp_path)
    gitdir = tmp_path / "main-repo" / "worktrees" / "ws"
    gitdir.mkdir(parents=True)
    (workspace / ".git").write_text(f"gitdir: {gitdir}\n")
    policy = WorkspaceWrite(writable_roots=[tmp_path / "main-repo"], **NO_TMP)
    script = "echo 'gitdir: /tmp/evil' > .git; rm -f .git; echo x > " + str(gitdir / "HEAD")
    await _run(script, policy, workspace)
    assert (workspace / ".git").read_text() == f"gitdir: {gitdir}\n"
    assert not (gitdir / "HEAD").exists()


async def test_a_symlink_at_a_protected_name_refuses_the_command(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    (workspace / "elsewhere").mkdir()
    (workspace / ".codex-lsp").symlink_to("elsewhere")
    argv = sandbox.sandboxed_argv(["touch", "ran"], WorkspaceWrite(**NO_TMP), workspace)
    result = await run_command(argv, workspace, timeout_s=10)
    assert result.exit_code == SANDBOX_FAILED_EXIT
    assert "is a symbolic link" in result.stderr and "was not run" in result.stderr
    assert not (workspace / "ran").exists()
    assert sorted(p.name for p in workspace.iterdir()) == [".codex-lsp", "elsewhere"]


async def test_a_folder_the_user_made_writable_stays_writable(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    (workspace / ".git").mkdir()
    policy = WorkspaceWrite(writable_roots=[workspace / ".git"], **NO_TMP)
    await _run("echo x > .git/allowed", policy, workspace)
    assert (workspace / ".git" / "allowed").read_text() == "x\n"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


async def test_git_works_around_the_placeholders(tmp_path: Path) -> None:
    plain = _workspace(tmp_path)
    out = await _run("git status; echo rc=$?", WorkspaceWrite(**NO_TMP), plain)
    assert "not a git repository" in out and "rc=128" in out
    assert "invalid gitfile" not in out
    out = await _run("git init -q; echo rc=$?", WorkspaceWrite(**NO_TMP), plain)
    assert "rc=0" not in out and not (plain / ".git").exists()  # a command cannot make one
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(
        repo,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "c",
    )
    out = await _run("git status; echo rc=$?", WorkspaceWrite(**NO_TMP), repo / "sub")
    assert "On branch main" in out and "rc=0" in out
    assert sorted(p.name for p in (repo / "sub").iterdir()) == []


async def test_a_placeholder_stays_while_another_command_uses_it(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    policy = WorkspaceWrite(**NO_TMP)
    script = "sleep 1; mkdir -p .codex-lsp/x && echo created; touch .codex-lsp/f && echo wrote"
    slow = asyncio.create_task(_run(script, policy, workspace))
    await asyncio.sleep(0.4)
    assert (workspace / ".codex-lsp").is_dir()  # the slow command's placeholder
    await _run("true", policy, workspace)  # starts and ends while the slow one runs
    out = await slow
    assert "created" not in out and "wrote" not in out
    assert not (workspace / ".codex-lsp").exists()


async def test_placeholders_left_by_a_killed_launcher_are_removed_later(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    policy = WorkspaceWrite(**NO_TMP)
    argv = sandbox.sandboxed_argv(["sleep", "30"], policy, workspace)
    launcher = subprocess.Popen(argv, cwd=workspace)
    try:
        for _ in range(100):
            if (workspace / ".codex-lsp").exists():
                break
            await asyncio.sleep(0.05)
        launcher.send_signal(signal.SIGKILL)
    finally:
        launcher.wait()
    await asyncio.sleep(0.2)
    assert sorted(p.name for p in workspace.iterdir()) == sorted(PROTECTED_NAMES)
    await _run("true", policy, workspace)
    assert list(workspace.iterdir()) == []


async def test_content_someone_puts_in_a_placeholder_is_kept(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    task = asyncio.create_task(_run("sleep 0.6", WorkspaceWrite(**NO_TMP), workspace))
    await asyncio.sleep(0.3)
    (workspace / ".codex" / "config.toml").write_text("mine\n")  # the user, outside the sandbox
    await task
    assert (workspace / ".codex" / "config.toml").read_text() == "mine\n"
    assert sorted(p.name for p in workspace.iterdir()) == [".codex"]


def _recycled(home: Path) -> Path:
    return home / "sandbox" / "recycled"


async def test_placeholders_are_recycled_not_recreated(tmp_path: Path, own_home: Path) -> None:
    workspace = _workspace(tmp_path)
    policy = WorkspaceWrite(**NO_TMP)
    await _run("true", policy, workspace)
    assert list(workspace.iterdir()) == []
    kept = {p.stat().st_ino for p in _recycled(own_home).iterdir()}
    assert len(kept) == len(PROTECTED_NAMES)  # the three placeholders, moved aside
    out = await _run(
        "stat -c %i .git .codex .codex-lsp; mkdir .git/x || echo refused", policy, workspace
    )
    assert {int(line) for line in out.split()[:3]} == kept and "refused" in out
    assert list(workspace.iterdir()) == []
    assert {p.stat().st_ino for p in _recycled(own_home).iterdir()} == kept


async def test_a_recycled_folder_with_content_is_never_handed_out(
    tmp_path: Path, own_home: Path
) -> None:
    workspace = _workspace(tmp_path)
    planted = _recycled(own_home) / "planted"
    (planted / "hooks").mkdir(parents=True)
    (planted / "config").write_text("[core]\n\tfsmonitor = touch /tmp/pwned\n")
    out = await _run("ls -A .git; echo listed", WorkspaceWrite(**NO_TMP), workspace)
    assert out.split() == ["listed"]  # an empty placeholder, not the planted folder
    assert (planted / "config").exists() and list(workspace.iterdir()) == []


async def test_a_workspace_on_another_file_system_gets_placeholders_removed(
    tmp_path: Path, own_home: Path
) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another file system than the test's temp folder")
    workspace = shm / f"codex-lsp-test-{os.getpid()}"
    workspace.mkdir()
    try:
        for _ in range(2):
            out = await _run("mkdir .codex/x || echo refused", WorkspaceWrite(**NO_TMP), workspace)
            assert "refused" in out and list(workspace.iterdir()) == []
    finally:
        workspace.rmdir()


async def test_placeholders_are_removed_when_none_can_be_kept(
    tmp_path: Path, own_home: Path
) -> None:
    workspace = _workspace(tmp_path)
    _recycled(own_home).parent.mkdir(parents=True)
    _recycled(own_home).write_text("not a folder\n")
    result = await run_command(
        sandbox.sandboxed_argv(["true"], WorkspaceWrite(**NO_TMP), workspace),
        workspace,
        timeout_s=10,
    )
    assert result.exit_code == 0 and result.stderr == ""
    assert list(workspace.iterdir()) == []
