"""``sandbox_launch --parent PID [--write DIR]... [--protect ROOT]... [--hide DIR]...
[--registry DIR] [--no-network] [--unsandboxed] [--keep-background] [--tty] -- CMD...``

The process the server starts for every command. It stays, as a small supervisor, so that the
command and everything it starts end with the command, and with the server.

Sandboxed (read-only, workspace-write), three processes::

    launcher   original namespaces: finds or creates what to protect (placeholders.py), maps
     │         init's ids, hands init its job (the command's spec and stdio), waits
     └ init    cloned into new user, mount and PID namespaces, PID 1 there: mounts /proc, masks
        │      block devices, then, given the job, binds what to protect, hides the server's
        │      folders (mounts.py), drops capabilities, applies Landlock and seccomp to itself,
        │      starts CMD (posix_spawn: no copy of its memory), reaps orphans
        └ CMD  inherits all of it

A spare launcher of the fork server makes its init ahead, while no command runs
(:func:`prepare`): the clone, the ids, /proc and the masking are then done before the command
is asked for. Such an init is never reused: one per command, like one cloned when the job is
there. It is dropped, and a new one cloned, when a file system was mounted or unmounted since
(its copy of the mount table would not show that), for a terminal's command (whose init must be
in the launcher's session), and by an unsandboxed launcher; a block device made since it masked
them is masked when the job comes.

When CMD's process ends, init exits and the kernel kills every process left in the namespace:
background jobs, and daemons that left the process group or the session. The launcher then
releases its placeholders and exits with CMD's status.

Unsandboxed (danger-full-access, escalated): the launcher becomes a child subreaper and forks
CMD; when CMD ends it kills every descendant left (orphans are reparented to it).

``--keep-background``: the launcher waits for the command's descendants instead of killing them
when the command ends. They still die with the server.

``--tty`` (a terminal of ``exec_command``, whose stdin is a pseudo-terminal): the launcher makes
that terminal its session's controlling terminal, so a ^C typed into it interrupts the command,
and ignores the terminal's job-control signals itself (the command gets the default actions); a
hang-up (the server closed the terminal, or died) stops everything as SIGTERM does.

The server's death, by any signal including SIGKILL, reaches the launcher as SIGTERM (its
parent-death signal; not with ``--parent 0``, for a command another program started, such as an
ACP client's terminal, whose life that program owns); SIGTERM makes it stop everything as above,
then exit 143. Init gets SIGKILL when the launcher dies, so killing the launcher itself still
ends a sandboxed command's namespace.

Exit status: CMD's (128+N when signal N ended it); 126 with a ``codex-lsp sandbox:`` message on
stderr when the sandbox could not be set up (CMD did not run); 127 when CMD could not be run.
"""

from __future__ import annotations

import _socket
import ctypes
import os
import sys

from codex_lsp.exec import landlock, linux, mounts, process_tree, seccomp
from codex_lsp.exec.placeholders import Claims, Refused
from codex_lsp.exec.spec import decode_spec, encode_spec, read_spec, spec_file

TYPE_CHECKING = False  # not typing's: importing typing costs a few ms on every command
if TYPE_CHECKING:
    import signal as _signal
    from collections.abc import Mapping
    from typing import NoReturn

    Environment = Mapping[str, str] | Mapping[bytes, bytes]
else:  # the C module: ``signal`` imports enum, 3 ms more
    import _signal

_STDIO = 3
_FD_LIMIT = 2**31 - 1
SANDBOX_FAILED_EXIT = 126
SANDBOX_FAILED_MARKER = "codex-lsp sandbox:"
STOPPED_EXIT = 128 + _signal.SIGTERM
# Python ignores the first two; a command must get the defaults (``yes | head`` relies on it)
_DEFAULTED = (_signal.SIGPIPE, _signal.SIGXFSZ, _signal.SIGTERM)
_TERMINAL_SIGNALS = (_signal.SIGINT, _signal.SIGQUIT, _signal.SIGTSTP)
_taken_signals: list[int] = []
"""What a launcher on a terminal (``--tty``) changed, which its command gets the defaults of."""
NAMESPACE_ADVICE = (
    "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu "
    "24.04 also kernel.apparmor_restrict_unprivileged_userns=0), or run codex-lsp in a machine "
    'that is itself sandboxed, with sandbox_mode = "danger-full-access"'
)


class _Options:
    """The parsed command line."""

    def __init__(self) -> None:
        self.parent = -1
        self.writable: list[str] = []
        self.protect: list[str] = []
        self.hide: list[str] = []
        self.read_only: list[str] = []
        self.registry: str | None = None
        self.block_network = False
        self.unsandboxed = False
        self.keep_background = False
        self.tty = False
        self.command: list[str] = []
        self.env: Environment = os.environ
        self.argv: list[str] = []


def _parse(argv: list[str]) -> _Options | str:
    opts = _Options()
    opts.argv = argv
    lists = {
        "--write": opts.writable,
        "--protect": opts.protect,
        "--hide": opts.hide,
        "--read-only": opts.read_only,  # from the launcher to init: what claims found
    }
    args = list(argv)
    while args and args[0] != "--":
        flag = args.pop(0)
        if flag in lists and args:
            lists[flag].append(args.pop(0))
        elif flag == "--parent" and args and args[0].isdigit():
            opts.parent = int(args.pop(0))
        elif flag == "--registry" and args:
            opts.registry = args.pop(0)
        elif flag == "--no-network":
            opts.block_network = True
        elif flag == "--unsandboxed":
            opts.unsandboxed = True
        elif flag == "--keep-background":
            opts.keep_background = True
        elif flag == "--tty":
            opts.tty = True
        else:
            return f"unknown option {flag}"
    opts.command = args[1:]
    if not opts.command:
        return "no command given"
    if opts.parent < 0:
        return "--parent PID is required (0: a command started by another program)"
    return opts


def rehearse() -> None:
    """Parse a dummy command line, as a spare launcher of the fork server does while it waits:
    the pages parsing writes are then its own before a request arrives (see forkserver.py)."""
    _parse(["--parent", "1", "--write", "/", "--protect", "/", "--hide", "/", "--", "true"])


class _Stop(Exception):
    """SIGTERM arrived: the server is gone, or wants the command stopped."""


def _on_sigterm(signum: int, frame: object) -> None:
    _signal.signal(_signal.SIGTERM, _signal.SIG_IGN)
    if _taken_signals:
        _signal.signal(_signal.SIGHUP, _signal.SIG_IGN)
    raise _Stop


def _fail(message: str) -> int:
    print(f"{SANDBOX_FAILED_MARKER} {message}", file=sys.stderr, flush=True)
    return SANDBOX_FAILED_EXIT


def _exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _exec(program: _Program) -> NoReturn:
    for signum in (*_DEFAULTED, *_taken_signals):
        _signal.signal(signum, _signal.SIG_DFL)
    program.exec()
    os._exit(127)


class _Program:
    """A command ready for ``execvpe`` (glibc's: it searches this process's PATH in C), built
    before the fork: Python converting arguments and environment, or searching PATH itself
    with an ``execve`` per folder, costs a forked child hundreds of page copies."""

    def __init__(self, command: list[str], env: Environment) -> None:
        self.name = command[0]
        self.argv = _strings([os.fsencode(arg) for arg in command])
        self.envp = _strings([os.fsencode(k) + b"=" + os.fsencode(v) for k, v in env.items()])

    def exec(self) -> None:
        """Replace this process with the command; on failure, say why on stderr."""
        linux.libc().execvpe(self.argv[0], self.argv, self.envp)
        print(f"{self.name}: {os.strerror(ctypes.get_errno())}", file=sys.stderr, flush=True)


def _strings(items: list[bytes]) -> ctypes.Array[ctypes.c_char_p]:
    return (ctypes.c_char_p * (len(items) + 1))(*items, None)


def _use_environment(opts: _Options, env: Mapping[bytes, bytes]) -> None:
    """Run the command with ``env``; execvpe and posix_spawnp search this process's PATH, so
    it becomes the command's."""
    opts.env = env
    if b"PATH" in env:
        os.putenv(b"PATH", env[b"PATH"])
    else:
        os.unsetenv(b"PATH")


def _watch_parent(parent: int, signal: int) -> bool:
    """Ask for ``signal`` when the parent dies; False when it already has."""
    linux.prctl(linux.PR_SET_PDEATHSIG, signal, "prctl(PR_SET_PDEATHSIG)")
    return os.getppid() == parent


def _take_terminal() -> None:
    """Make stdin, a pseudo-terminal, the controlling terminal of our session (we lead it) and
    leave its interrupt and job-control signals to the command."""
    import fcntl
    import termios

    for signum in _TERMINAL_SIGNALS:
        _signal.signal(signum, _signal.SIG_IGN)
    _taken_signals.extend((*_TERMINAL_SIGNALS, _signal.SIGHUP))
    try:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    except OSError as exc:
        print(f"{SANDBOX_FAILED_MARKER} warning: no controlling terminal: {exc}", file=sys.stderr)


def main(
    argv: list[str], parent: int | None = None, env: Mapping[bytes, bytes] | None = None
) -> int:
    """Parse the arguments, watch the server, run the command as the module docstring says.
    For a launcher the fork server forked: ``parent``, the process to watch instead of
    ``--parent``'s (the fork server, which the server watches in turn), and ``env``, the
    command's environment instead of this process's."""
    opts = _parse(argv)
    if isinstance(opts, str):
        return _fail(opts)
    if parent is not None and opts.parent:
        opts.parent = parent
    if env is not None:
        _use_environment(opts, env)
    _signal.signal(_signal.SIGTERM, _on_sigterm)
    if opts.tty:
        _signal.signal(_signal.SIGHUP, _on_sigterm)  # the server closed the terminal: stop
        _take_terminal()
    try:
        if opts.parent and not _watch_parent(opts.parent, _signal.SIGTERM):
            return STOPPED_EXIT  # the server died before we could watch it
        if opts.unsandboxed:
            return _run_unsandboxed(opts)
        return _run_sandboxed(opts)
    except _Stop:
        return STOPPED_EXIT
    except OSError as exc:
        return _fail(f"cannot start the command: {exc}")
    finally:
        _drop_ready()
        _reap_dropped()


# --- unsandboxed ---------------------------------------------------------------------------


def _run_unsandboxed(opts: _Options) -> int:
    _drop_ready()  # its end overlaps the command's; the descendants' reaping below reaps it
    linux.prctl(linux.PR_SET_CHILD_SUBREAPER, 1, "prctl(PR_SET_CHILD_SUBREAPER)")
    me = os.getpid()
    program = _Program(opts.command, opts.env)
    pid = os.fork()
    if pid == 0:
        if not _watch_parent(me, _signal.SIGKILL):
            os._exit(STOPPED_EXIT)
        _exec(program)
    try:
        _, status = os.waitpid(pid, 0)
        if opts.keep_background:
            _reap_children()
        return _exit_code(status)
    finally:
        _signal.signal(_signal.SIGTERM, _signal.SIG_IGN)  # nothing may cut the killing short
        _reap_dropped()  # ended long ago: then no look through /proc for descendants is needed
        process_tree.kill_descendants()


def _reap_children() -> None:
    """Wait until every child (orphans included) has ended."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


# --- sandboxed ------------------------------------------------------------------------------


def _run_sandboxed(opts: _Options) -> int:
    claims = Claims(opts.registry)
    try:
        try:
            claims.claim(opts.protect, opts.writable)
        except Refused as exc:
            return _fail(str(exc))
        return _run_namespaced(opts, claims.read_only)
    finally:
        _signal.signal(_signal.SIGTERM, _signal.SIG_IGN)  # the command has ended: tidy up
        try:
            claims.release()
        except OSError as exc:
            print(f"{SANDBOX_FAILED_MARKER} warning: placeholders left: {exc}", file=sys.stderr)


_GO = b"go"
_JOB = b"job"
_JOB_OWN_SESSION = b"job session"
_JOB_FDS = 4  # the job's spec, then the command's stdin, stdout and stderr
_INT = 4  # bytes per descriptor in SCM_RIGHTS
_ready: list[_Init] = []
"""The init a spare launcher of the fork server made ahead (:func:`prepare`), if any."""
_dropped: list[int] = []
"""Inits killed unused, to reap before the launcher exits."""


class _Init:
    """PID 1 of new user, mount and PID namespaces, waiting on ``sock`` for its job. Made when
    the job is there, or ahead by a spare launcher (``ahead``), then with ``mount_table``: this
    process's ``/proc/self/mountinfo``, opened before the clone copied the mount table."""

    def __init__(self, pid: int, sock: _socket.socket, mount_table: int, ahead: bool) -> None:
        self.pid = pid
        self.sock = sock
        self.mount_table = mount_table
        self.ahead = ahead
        self.namespace = -1
        """Its mount namespace, held until it is reaped: the last process of a mount namespace
        to exit unmounts everything in it, which takes a millisecond (RCU grace periods) that the
        command's status would wait for; closing this descriptor afterwards costs ~0.1 ms."""

    def stale(self) -> bool:
        """Whether a file system was mounted or unmounted here since the clone (its copy of
        the mount table would not show the change to the command)."""
        import select  # the fork server's launchers only, which have it loaded already

        poller = select.poll()
        poller.register(self.mount_table, select.POLLPRI)
        return bool(poller.poll(0))

    def give(self, opts: _Options, read_only: list[str]) -> None:
        """Send the job: the command's spec (its paths to bind read-only as options first) and
        this process's stdin, stdout and stderr."""
        args = [arg for path in read_only for arg in ("--read-only", path)]
        job = spec_file(encode_spec([*args, *opts.argv], os.getcwdb(), opts.env))
        try:
            fds = b"".join(fd.to_bytes(_INT, sys.byteorder) for fd in (job, 0, 1, 2))
            tag = _JOB_OWN_SESSION if self.ahead else _JOB
            self.sock.sendmsg([tag], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        finally:
            os.close(job)
            self.close()

    def drop(self) -> None:
        """Kill it unused (reaped by :func:`_reap_dropped`, so that nobody waits for it)."""
        os.kill(self.pid, _signal.SIGKILL)
        _dropped.append(self.pid)
        self.close()
        self.release()

    def release(self) -> None:
        """Once it is gone: let its mount namespace go."""
        if self.namespace >= 0:
            os.close(self.namespace)
            self.namespace = -1

    def close(self) -> None:
        """Let go of its socket and of the mount table."""
        self.sock.close()
        if self.mount_table >= 0:
            os.close(self.mount_table)
            self.mount_table = -1


def prepare() -> None:
    """Clone the next command's init now, while this spare launcher of the fork server waits
    for its request: the clone, the ids and the mounts that do not depend on the command are
    then done before the command is asked for. Nothing is made when namespaces cannot be (the
    command then gets the reason)."""
    try:
        linux.prctl(linux.PR_SET_DUMPABLE, 1, "prctl(PR_SET_DUMPABLE)")  # its ids to be mapped
        try:
            made = _new_init(ahead=True)
        finally:
            linux.prctl(linux.PR_SET_DUMPABLE, 0, "prctl(PR_SET_DUMPABLE)")
    except OSError:
        return  # no /proc, no socket: the command's launcher clones its init itself
    if isinstance(made, _Init):
        _ready.append(made)


def kept_fds() -> list[int]:
    """The descriptors of the init made ahead, which the launcher must keep."""
    return [fd for init in _ready for fd in (init.sock.fileno(), init.mount_table, init.namespace)]


def close_fds_but(keep: list[int]) -> None:
    """Close every descriptor from 3 on except ``keep``."""
    start = _STDIO
    for fd in sorted(keep):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, _FD_LIMIT)


def _drop_ready() -> None:
    while _ready:
        _ready.pop().drop()


def _reap_dropped() -> None:
    while _dropped:
        try:
            os.waitpid(_dropped.pop(), 0)
        except ChildProcessError:
            continue  # reaped with the unsandboxed command's descendants


def _new_init(ahead: bool) -> _Init | str:
    """Clone init, map its ids and let it go on; why not, when it cannot be."""
    table = os.open("/proc/self/mountinfo", os.O_RDONLY | os.O_CLOEXEC) if ahead else -1
    ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
    try:
        pid = linux.clone(mounts.CLONE_NEWUSER | mounts.CLONE_NEWNS | mounts.CLONE_NEWPID)
    except OSError as exc:
        ours.close()
        theirs.close()
        if table >= 0:
            os.close(table)
        return (
            f"cannot isolate the command in its own namespaces ({exc.strerror}): without "
            "them .git, .codex and .codex-lsp could be created or changed and the server's "
            f"processes read, so the command was not run. To fix it, {NAMESPACE_ADVICE}"
        )
    if pid == 0:
        _init(theirs)
    theirs.close()
    init = _Init(pid, ours, table, ahead)
    try:
        mounts.map_ids(pid, os.geteuid(), os.getegid())
        init.namespace = _mount_namespace(pid)
        ours.send(_GO)
    except OSError as exc:
        init.drop()
        return f"cannot map ids in the command's user namespace ({exc}); {NAMESPACE_ADVICE}"
    return init


def _mount_namespace(pid: int) -> int:
    try:
        return os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return -1  # only init's end is then slower


def _run_namespaced(opts: _Options, read_only: list[str]) -> int:
    init = _ready.pop() if _ready else None
    if init is not None and (opts.tty or init.stale()):
        init.drop()  # a terminal's command needs its init in this session; mounts changed
        init = None
    made = init or _new_init(ahead=False)
    if isinstance(made, str):
        return _fail(made)
    try:
        try:
            made.give(opts, read_only)
        except OSError as exc:
            os.kill(made.pid, _signal.SIGKILL)
            os.waitpid(made.pid, 0)
            return _fail(f"cannot start the command: {exc}")
        _, status = os.waitpid(made.pid, 0)
        return _exit_code(status)
    except _Stop:
        os.kill(made.pid, _signal.SIGKILL)  # init is ours and unreaped: its pid cannot be reused
        os.waitpid(made.pid, 0)  # its end ended every process of the namespace
        raise
    finally:
        made.release()


def _init(sock: _socket.socket) -> NoReturn:
    """PID 1 of the new namespaces: build the part of the command's view that does not depend
    on the command, wait for the job, build the rest, confine itself, start the command, reap
    every orphan; its end ends every process left in the namespace."""
    code = SANDBOX_FAILED_EXIT
    try:
        close_fds_but([sock.fileno()])
        _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)  # as PID 1: immune to its namespace
        linux.prctl(linux.PR_SET_PDEATHSIG, _signal.SIGKILL, "prctl(PR_SET_PDEATHSIG)")
        if sock.recv(16) != _GO:
            os._exit(code)  # the launcher said why, or died
        try:
            mounts.make_private()
            mounts.mount_proc()
            devices: list[tuple[str, int]] | str = mounts.mask_block_devices()
        except OSError as exc:
            devices = f"cannot isolate the command ({exc}); {NAMESPACE_ADVICE}"
        job = _receive(sock)
        if job is None:
            os._exit(0)  # not needed after all
        opts, cwd, own_session = job
        if isinstance(devices, str):  # said now: stderr is the command's
            os._exit(_fail(devices))
        if own_session:
            os.setsid()  # out of the fork server's: made ahead, before the launcher's setsid
            if mounts.devices_changed(devices):
                mounts.mask_block_devices()
        code = _run_job(opts, cwd)
    except OSError as exc:
        _fail(f"cannot isolate the command ({exc}); {NAMESPACE_ADVICE}")
    except BaseException:
        code = STOPPED_EXIT
    os._exit(code)  # as PID 1, this ends every process left in the namespace


def _receive(sock: _socket.socket) -> tuple[_Options, bytes, bool] | None:
    """The job: its options, its folder, whether init is to lead a session of its own; with
    the command's stdio moved to 0-2. None when the launcher closed the socket instead."""
    tag, data, flags, _ = sock.recvmsg(16, _socket.CMSG_SPACE(_JOB_FDS * _INT))
    fds = [
        int.from_bytes(cmsg[i : i + _INT], sys.byteorder)
        for _, _, cmsg in data
        for i in range(0, len(cmsg) - _INT + 1, _INT)
    ]
    sock.close()
    if tag not in (_JOB, _JOB_OWN_SESSION) or len(fds) != _JOB_FDS or flags & _socket.MSG_CTRUNC:
        return None
    spec, *stdio = fds
    args, cwd, env = decode_spec(read_spec(spec))
    for target, fd in enumerate(stdio):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    opts = _parse(args)
    if isinstance(opts, str):
        os._exit(_fail(opts))
    _use_environment(opts, env)
    return opts, cwd, tag == _JOB_OWN_SESSION


def _run_job(opts: _Options, cwd: bytes) -> int:
    """Bind, hide, enter the folder, confine, start the command and reap until it ends."""
    for path in opts.read_only:
        mounts.bind_read_only(path)
    for path in opts.hide:
        mounts.hide(path)
    try:
        os.chdir(cwd)  # the working folder as the command sees it (it may be hidden now)
    except OSError:
        return _fail(f"the working folder {os.fsdecode(cwd)} is hidden from commands")
    try:
        _confine(opts)
    except OSError as exc:
        return _fail(f"cannot apply the sandbox: {exc}")
    command = _spawn(opts.command, opts.env)
    if command is None:
        return 127
    code = SANDBOX_FAILED_EXIT
    while True:  # as PID 1, every orphan of the namespace is ours to reap
        pid, status = os.wait()
        if pid == command:
            code = _exit_code(status)
            break
    if opts.keep_background:
        _reap_children()
    return code


def _confine(opts: _Options) -> None:
    """Confine init itself, which the command then inherits: nothing in the namespace is ever
    less confined than the command (init keeps its capabilities, so the command cannot trace
    it)."""
    mounts.drop_capabilities()
    landlock.restrict_self(opts.writable, opts.block_network)
    if opts.block_network:
        seccomp.deny_network()


def _spawn(command: list[str], env: Environment) -> int | None:
    """Start the command (``posix_spawnp``: no copy of this process's memory), with the
    default actions for the signals Python ignores; None, and why on stderr, when it cannot."""
    try:
        return os.posix_spawnp(command[0], command, env, setsigdef=(*_DEFAULTED, *_taken_signals))
    except OSError as exc:
        print(f"{command[0]}: {exc.strerror}", file=sys.stderr, flush=True)
        return None


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
