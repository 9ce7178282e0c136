"""The fork server that starts every command's launcher: one long-lived process per server, whose
forked children are launchers with the exec'd launcher's guarantees, which dies with the server,
is replaced when it dies or wedges, and is out of the commands' reach."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_lsp.exec import sandbox, spawn
from codex_lsp.exec.runner import ExecResult, run_command
from codex_lsp.exec.sandbox_launch import STOPPED_EXIT
from codex_lsp.protocol.policies import DangerFullAccess, WorkspaceWrite
from tests.exec.test_lifetime import is_alive, processes_with

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support"),
]
POLICIES = {"sandboxed": WorkspaceWrite(), "unsandboxed": DangerFullAccess()}
NO_TMP = WorkspaceWrite(exclude_slash_tmp=True, exclude_tmpdir_env_var=True)


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _cmdline(pid: int) -> bytes:
    """``pid``'s command line; empty once it has ended (a process may end between the listing of
    ``/proc`` and this read: other threads' commands run meanwhile)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and is_alive(int(entry.name)):
            try:
                if _parent(int(entry.name)) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError):
                continue
    return found


def fork_servers(of: int | None = None) -> list[int]:
    """The live fork servers that process ``of`` (default: this one) started."""
    return [
        pid for pid in children(of or os.getpid()) if b"codex_lsp.exec.forkserver" in _cmdline(pid)
    ]


async def _wait_for(check: object, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _fds(pid: int) -> dict[int, str]:
    folder = Path(f"/proc/{pid}/fd")
    found = {}
    for name in os.listdir(folder):
        with contextlib.suppress(FileNotFoundError):  # closed meanwhile
            found[int(name)] = os.readlink(folder / name)
    return found


def _launcher_of(pid: int, servers: list[int]) -> int | None:
    """The ancestor of ``pid`` that one of ``servers`` forked."""
    while pid > 1:
        parent = _parent(pid)
        if parent in servers:
            return pid
        pid = parent
    return None


async def test_launchers_are_children_of_one_fork_server(tmp_path: Path) -> None:
    token = f"{os.getpid() % 1000 + 3}.31"
    argvs = [sandbox.sandboxed_argv(["sleep", token], p, tmp_path) for p in POLICIES.values()]
    tasks = [asyncio.create_task(run_command(a, tmp_path, timeout_s=1)) for a in argvs]
    await _wait_for(lambda: len(processes_with(f"sleep {token}")) >= 2)
    sleeps = [pid for pid in processes_with(f"sleep {token}") if _cmdline(pid).startswith(b"sleep")]
    servers = fork_servers()
    launchers = [_launcher_of(pid, servers) for pid in sleeps]
    assert len(sleeps) == 2 and len(servers) == 1 and None not in launchers
    for launcher in launchers:  # a fork, not a new interpreter: the fork server's command line
        assert launcher is not None and _cmdline(launcher) == _cmdline(servers[0])
    await asyncio.gather(*tasks)


@pytest.mark.parametrize("mode", list(POLICIES))
async def test_the_fork_servers_death_ends_its_commands_and_another_takes_over(
    mode: str, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    token = f"{os.getpid() % 1000 + 4}.{len(mode)}3"
    script = f"setsid sleep {token} & (sleep {token}) & sleep {token}"
    argv = sandbox.sandboxed_argv(["bash", "-c", script], POLICIES[mode], workspace)
    task = asyncio.create_task(run_command(argv, workspace, timeout_s=30))
    await _wait_for(lambda: len(processes_with(f"sleep {token}")) >= 3)
    pids = processes_with(f"sleep {token}")
    (server,) = fork_servers()
    os.kill(server, signal.SIGKILL)
    result = await asyncio.wait_for(task, 5)
    assert result.exit_code == STOPPED_EXIT and not result.timed_out
    await _wait_for(lambda: not [pid for pid in pids if is_alive(pid)], 2)
    assert list(workspace.iterdir()) == []  # the placeholders went with the command
    again = await run_command(
        sandbox.sandboxed_argv(["echo", "again"], POLICIES[mode], workspace),
        workspace,
        timeout_s=10,
    )
    assert again.stdout == "again\n" and fork_servers() != [server]


async def test_a_wedged_fork_server_is_replaced_and_the_command_still_sandboxed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    workspace, outside = tmp_path / "ws", tmp_path / "outside"
    workspace.mkdir()
    outside.mkdir()
    await run_command(sandbox.sandboxed_argv(["true"], NO_TMP, workspace), workspace, timeout_s=10)
    (wedged,) = fork_servers()
    os.kill(wedged, signal.SIGSTOP)
    monkeypatch.setattr(spawn, "START_TIMEOUT_S", 0.5)
    script = f"echo x > {outside}/escaped; echo inside > made; echo ran"
    argv = sandbox.sandboxed_argv(["bash", "-c", script], NO_TMP, workspace)
    result = await run_command(argv, workspace, timeout_s=10)
    assert result.stdout == "ran\n" and "Permission denied" in result.stderr
    assert (workspace / "made").exists() and not (outside / "escaped").exists()
    assert not is_alive(wedged) and len(fork_servers()) == 1


@pytest.fixture
def many_descriptors() -> Iterator[None]:
    """Room for ~3,000 descriptors (a few per command waiting to start)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4096:
        pytest.skip(f"needs a hard limit of 4096 open files (RLIMIT_NOFILE is {hard})")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 4096), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.usefixtures("many_descriptors")
async def test_a_burst_that_fills_its_socket_waits_for_the_fork_server(tmp_path: Path) -> None:
    await run_command(sandbox.sandboxed_argv(["true"], NO_TMP, tmp_path), tmp_path, timeout_s=10)
    (server,) = fork_servers()
    os.kill(server, signal.SIGSTOP)  # busy: requests pile up past what its socket buffers
    argv = sandbox.sandboxed_argv(["true"], NO_TMP, tmp_path)
    tasks = [asyncio.create_task(run_command(argv, tmp_path, timeout_s=60)) for _ in range(300)]
    await asyncio.sleep(0.5)
    os.kill(server, signal.SIGCONT)
    results = await asyncio.gather(*tasks)
    assert {result.exit_code for result in results} == {0}
    assert fork_servers() == [server]  # it was slow, not wedged: nothing was killed


async def test_without_a_fork_server_the_launcher_is_execd_never_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    workspace, outside = tmp_path / "ws", tmp_path / "outside"
    workspace.mkdir()
    outside.mkdir()
    for server in fork_servers():
        os.kill(server, signal.SIGKILL)
    await _wait_for(lambda: not fork_servers())
    monkeypatch.setattr(spawn, "fork_server_argv", lambda: ["false"])  # dies at once
    script = f"echo x > {outside}/escaped; echo inside > made; echo ran"
    argv = sandbox.sandboxed_argv(["bash", "-c", script], NO_TMP, workspace)
    result = await run_command(argv, workspace, timeout_s=10)
    assert result.stdout == "ran\n" and "Permission denied" in result.stderr
    assert (workspace / "made").exists() and not (outside / "escaped").exists()
    assert fork_servers() == []


@pytest.mark.parametrize("mode", list(POLICIES))
async def test_commands_and_spares_hold_no_descriptor_of_the_fork_server(
    mode: str, tmp_path: Path
) -> None:
    argv = sandbox.sandboxed_argv(["ls", "/proc/self/fd"], POLICIES[mode], tmp_path)
    result = await run_command(argv, tmp_path, timeout_s=10)
    assert result.stdout.split() == ["0", "1", "2", "3"]  # 3: the folder ls is listing
    (server,) = fork_servers()
    await asyncio.sleep(0.2)  # it closes a channel just after reporting on it
    before = len(_fds(server))
    for _ in range(10):
        await run_command(argv, tmp_path, timeout_s=10)
    await asyncio.sleep(0.2)
    assert len(_fds(server)) == before  # nothing leaks per command
    deadline = time.monotonic() + 10
    while True:  # a spare may be making its command's namespaces: look again once it is done
        try:
            _check_spares(children(server))
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def _check_spares(spares: list[int]) -> None:
    """The launchers forked ahead (for unsandboxed and for sandboxed commands) hold their own
    socket and, if they made their command's init ahead, what they keep of it; init holds its
    socket to them."""
    assert 1 <= len(spares) <= 2
    for spare in spares:
        kept = _fds(spare)
        sockets = [fd for fd in kept if fd > 2 and kept[fd].startswith("socket:")]
        others = [kept[fd] for fd in kept if fd > 2 and fd not in sockets]
        made_ahead = children(spare)
        if not made_ahead:
            assert sorted(kept) == [0, 1, 2, max(kept)] and sockets == [max(kept)]
            continue
        # its socket, and of the next command's init made ahead: a socket to it, the mount
        # table it copied, its mount namespace
        assert len(others) == 2 and len(made_ahead) == 1
        namespace, table = sorted(others, key=lambda target: target.startswith("/"))
        assert len(sockets) == 2 and namespace.startswith("mnt:[")
        assert table == f"/proc/{spare}/mountinfo"
        (init,) = made_ahead
        held = _fds(init)
        assert sorted(held) == [0, 1, 2, max(held)] and held[max(held)].startswith("socket:")


async def test_many_commands_at_once_each_get_their_own_folder_and_environment(
    tmp_path: Path,
) -> None:
    folders = [tmp_path / f"ws{i}" for i in range(24)]  # more than the socket's queue holds
    for folder in folders:
        folder.mkdir()
    script = 'echo "$N $PWD"; ls -A'

    async def one(i: int) -> str:
        argv = sandbox.sandboxed_argv(["bash", "-c", script], NO_TMP, folders[i])
        env = {"PATH": os.environ["PATH"], "N": str(i)}
        result = await run_command(argv, folders[i], timeout_s=30, env=env)
        assert result.exit_code == 0, result
        return result.stdout

    outputs = await asyncio.gather(*(one(i) for i in range(len(folders))))
    for i, output in enumerate(outputs):
        line, *names = output.splitlines()
        assert line == f"{i} {folders[i]}" and sorted(names) == [".codex", ".codex-lsp", ".git"]
    assert all(list(folder.iterdir()) == [] for folder in folders)


@pytest.mark.parametrize("mode", list(POLICIES))
async def test_the_command_gets_exactly_its_environment_and_folder(
    mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = {"PATH": os.environ["PATH"], "ONLY": "this", "ODD": "é \\n =x"}
    argv = sandbox.sandboxed_argv(["env"], POLICIES[mode], tmp_path)
    result = await run_command(argv, tmp_path, timeout_s=10, env=env)
    assert sorted(result.stdout.splitlines()) == sorted(f"{k}={v}" for k, v in env.items())
    monkeypatch.setenv("FROM_THE_SERVER", "yes")
    inherited = await run_command(argv, tmp_path, timeout_s=10)
    assert "FROM_THE_SERVER=yes" in inherited.stdout.splitlines()
    monkeypatch.chdir(tmp_path.parent)  # a relative folder is the server's, not the fork server's
    pwd = await run_command(
        sandbox.sandboxed_argv(["pwd"], POLICIES[mode], tmp_path), Path(tmp_path.name), timeout_s=10
    )
    assert pwd.stdout == f"{tmp_path}\n"
    with pytest.raises(FileNotFoundError):
        await run_command(argv, tmp_path / "missing", timeout_s=10)


async def test_the_fork_server_holds_no_secret_of_the_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for server in fork_servers():
        os.kill(server, signal.SIGKILL)
    await _wait_for(lambda: not fork_servers())
    monkeypatch.setenv("OPENAI_API_KEY", "sk-forkserver-secret")
    await run_command(sandbox.sandboxed_argv(["true"], NO_TMP, tmp_path), tmp_path, timeout_s=10)
    (server,) = fork_servers()
    assert Path(f"/proc/{server}/environ").read_bytes() == b""
    assert [_fds(server)[0], _fds(server)[1]] == ["/dev/null", "/dev/null"]


async def test_a_closed_channel_stops_its_command(tmp_path: Path) -> None:
    token = f"{os.getpid() % 1000 + 5}.37"
    argv = sandbox.sandboxed_argv(["bash", "-c", f"sleep {token}; :"], NO_TMP, tmp_path)
    args = sandbox.launcher_args(argv)
    assert args is not None
    proc = await spawn.spawn(args, str(tmp_path), dict(os.environ))
    await _wait_for(lambda: len(processes_with(f"sleep {token}")) >= 2)
    pids = processes_with(f"sleep {token}")
    proc.close()  # the server lets go without stopping it: the fork server does
    left = ["codex-lsp-home"]  # and the launcher removes its placeholders on its way out
    await _wait_for(lambda: not alive(pids) and [p.name for p in tmp_path.iterdir()] == left, 3)


def test_only_this_servers_own_launchers_go_to_the_fork_server(tmp_path: Path) -> None:
    ours = sandbox.sandboxed_argv(["true"], NO_TMP, tmp_path)
    assert sandbox.launcher_args(ours) == ours[5:]
    client_terminal = sandbox.sandboxed_argv(["true"], NO_TMP, tmp_path, our_child=False)
    assert sandbox.launcher_args(client_terminal) is None  # --parent 0: exec'd by the client
    assert sandbox.launcher_args(["true"]) is None
    assert sandbox.launcher_args([*ours[:6], "1", *ours[7:]]) is None  # another server's


SERVER = """
import asyncio, sys
from pathlib import Path
from codex_lsp.exec.runner import ExecResult, run_command
from codex_lsp.exec.sandbox import sandboxed_argv
from codex_lsp.protocol.policies import DangerFullAccess, WorkspaceWrite
policy = {"sandboxed": WorkspaceWrite(), "unsandboxed": DangerFullAccess()}[sys.argv[1]]
cwd = Path(sys.argv[2])
argv = sandboxed_argv(["bash", "-c", sys.argv[3]], policy, cwd)
asyncio.run(run_command(argv, cwd, timeout_s=30))
"""


@pytest.mark.parametrize("mode", list(POLICIES))
def test_the_fork_server_and_its_commands_die_with_a_killed_server(
    mode: str, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    token = f"{os.getpid() % 1000 + 6}.{len(mode)}7"
    script = f"setsid sleep {token} & sleep {token}"
    server = subprocess.Popen([sys.executable, "-c", SERVER, mode, str(workspace), script])
    try:
        deadline = time.monotonic() + 20
        sleeps: list[int] = []
        while len(sleeps) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            servers = fork_servers(server.pid)  # (a peer's test may be sleeping the same token)
            sleeps = [p for p in processes_with(f"sleep {token}") if _launcher_of(p, servers)]
        launchers = [pid for fork_server in servers for pid in children(fork_server)]
        pids = [*sleeps, *servers, *launchers]
        assert len(pids) >= 4, pids  # two sleeps, the fork server, the launcher (and a spare)
        server.send_signal(signal.SIGKILL)
    finally:
        server.wait()
    deadline = time.monotonic() + 5
    while (alive(pids) or list(workspace.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive(pids) == []
    assert list(workspace.iterdir()) == []  # the launcher removed its placeholders, then ended


def alive(pids: list[int]) -> list[int]:
    """Those of ``pids`` still running."""
    return [pid for pid in pids if is_alive(pid)]


async def _echo_ok(folder: Path) -> ExecResult:
    """A sandboxed ``echo ok``: the next command, which must run."""
    return await run_command(
        sandbox.sandboxed_argv(["echo", "ok"], NO_TMP, folder), folder, timeout_s=10
    )


async def test_a_fork_server_that_hangs_while_a_command_runs_loses_only_the_status(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await run_command(sandbox.sandboxed_argv(["true"], NO_TMP, tmp_path), tmp_path, timeout_s=10)
    (hung,) = fork_servers()
    monkeypatch.setattr(spawn, "EXIT_REPORT_TIMEOUT_S", 0.5)
    token = f"1.{os.getpid() % 1000:03d}41"  # distinctive, and short
    argv = sandbox.sandboxed_argv(["bash", "-c", f"sleep {token}; echo done"], NO_TMP, tmp_path)
    task = asyncio.create_task(run_command(argv, tmp_path, timeout_s=30))
    await _wait_for(lambda: len(processes_with(f"sleep {token}")) >= 1)
    os.kill(hung, signal.SIGSTOP)  # it will never reap the launcher nor report its exit
    started = time.monotonic()
    result = await asyncio.wait_for(task, 10)
    assert time.monotonic() - started < 8  # not the command's 30 s timeout
    assert result.stdout == "done\n" and not result.timed_out  # its output is whole
    assert result.exit_code == -1 and "exit status was lost" in result.stderr
    assert "fork server stopped answering" in result.aggregated_output
    await _wait_for(lambda: not is_alive(hung), 5)  # killed, and replaced by the next one
    again = await _echo_ok(tmp_path)
    assert again.stdout == "ok\n" and again.exit_code == 0 and hung not in fork_servers()


async def test_a_command_that_kills_its_launcher_ends_at_once_and_the_next_one_runs(
    tmp_path: Path,
) -> None:
    await run_command(sandbox.sandboxed_argv(["true"], NO_TMP, tmp_path), tmp_path, timeout_s=10)
    (server,) = fork_servers()
    token = f"20.{os.getpid() % 1000:03d}9"
    script = f"kill -9 $PPID; sleep {token}; echo survived"
    argv = sandbox.sandboxed_argv(["bash", "-c", script], DangerFullAccess(), tmp_path)
    started = time.monotonic()
    result = await run_command(argv, tmp_path, timeout_s=30)
    assert time.monotonic() - started < 10 and "survived" not in result.stdout
    assert result.exit_code == -signal.SIGKILL  # the launcher's end, as for an exec'd one
    assert not processes_with(f"sleep {token}")  # the fork server, a subreaper, killed what it left
    again = await _echo_ok(tmp_path)
    assert again.stdout == "ok\n" and fork_servers() == [server]


async def test_a_command_that_kills_the_fork_server_is_stopped_and_another_takes_over(
    tmp_path: Path,
) -> None:
    await run_command(sandbox.sandboxed_argv(["true"], NO_TMP, tmp_path), tmp_path, timeout_s=10)
    (server,) = fork_servers()
    script = f"kill -9 {server}; sleep 20; echo survived"
    argv = sandbox.sandboxed_argv(["bash", "-c", script], DangerFullAccess(), tmp_path)
    result = await run_command(argv, tmp_path, timeout_s=30)
    assert result.exit_code == STOPPED_EXIT and "survived" not in result.stdout
    again = await _echo_ok(tmp_path)
    assert again.stdout == "ok\n" and server not in fork_servers() and len(fork_servers()) == 1


async def test_a_sandboxed_command_cannot_reach_the_fork_server_or_its_launcher(
    tmp_path: Path,
) -> None:
    await run_command(sandbox.sandboxed_argv(["true"], NO_TMP, tmp_path), tmp_path, timeout_s=10)
    (server,) = fork_servers()
    # PID 1 is its namespace's init (the kernel ignores its namespace's signals to it); the
    # fork server's pid names nothing there, nor does any pid of the server's namespace
    script = f"kill -9 1 {server} {os.getpid()} -1; echo still here; ls /proc | grep -c '^[0-9]'"
    argv = sandbox.sandboxed_argv(["bash", "-c", script], NO_TMP, tmp_path)
    result = await run_command(argv, tmp_path, timeout_s=30)
    lines = result.stdout.splitlines()
    assert lines[0] == "still here" and int(lines[1]) <= 4, result  # init, bash, ls, grep
    assert fork_servers() == [server] and is_alive(os.getpid())


@pytest.mark.parametrize("mode", list(POLICIES))
async def test_a_huge_environment_arrives_whole_and_a_too_big_argv_is_refused_clearly(
    mode: str, tmp_path: Path
) -> None:
    env = {
        "PATH": os.environ["PATH"],
        **{f"BIG_{i}": str(i) * (600 // len(str(i))) for i in range(1500)},
    }
    script = 'echo "${#BIG_1499} $(env | grep -c ^BIG_)"'
    argv = sandbox.sandboxed_argv(["bash", "-c", script], POLICIES[mode], tmp_path)
    result = await run_command(argv, tmp_path, timeout_s=30, env=env)  # ~0.9 MB of environment
    assert result.stdout == "600 1500\n", result
    (server,) = fork_servers()
    for huge in (["x" * 100_000] * 40, ["y" * 200_000]):  # past ARG_MAX; past one string's limit
        argv = sandbox.sandboxed_argv(["echo", *huge], POLICIES[mode], tmp_path)
        refused = await run_command(argv, tmp_path, timeout_s=30)
        assert refused.exit_code == 127 and refused.stdout == ""
        assert refused.stderr == "echo: Argument list too long\n"
    again = await _echo_ok(tmp_path)
    assert again.stdout == "ok\n" and fork_servers() == [server]


def test_each_thread_gets_a_fork_server_that_ends_with_the_thread(tmp_path: Path) -> None:
    outputs: list[str] = []
    servers: list[list[int]] = []

    def commands(i: int) -> None:
        async def run() -> None:
            argv = sandbox.sandboxed_argv(["echo", f"thread {i}"], NO_TMP, tmp_path)
            for _ in range(5):
                outputs.append((await run_command(argv, tmp_path, timeout_s=30)).stdout)
            servers.append(fork_servers())

        asyncio.run(run())

    before = set(fork_servers())  # the main thread's, from earlier tests
    threads = [threading.Thread(target=commands, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outputs) == sorted(f"thread {i}\n" for i in range(3) for _ in range(5))
    started = {pid for found in servers for pid in found} - before
    assert len(started) >= 3  # one each (a thread may also see the others')
    deadline = time.monotonic() + 5
    while alive(list(started)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive(list(started)) == []  # the thread's end is their parent-death signal
