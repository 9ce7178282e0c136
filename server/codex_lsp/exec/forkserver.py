"""``forkserver --parent PID --control FD``: the fork server, a small long-lived process that
starts each command's launcher by forking itself, so that a command pays for a fork instead of
a Python interpreter's start and imports (~15 ms); :mod:`codex_lsp.exec.spawn` is its client.

Started by the server with ``python -I -S``, an empty environment, ``/`` as its folder, in a
session of its own, holding one end of a socket pair (``FD``) and no other descriptor. It is
non-dumpable (no ptrace, no ``/proc/<pid>/mem`` for processes of the same user) and gets SIGKILL
when the server dies (``PR_SET_PDEATHSIG``; EOF on the socket does the same), by any signal. It
is a child subreaper: what an unsandboxed command leaves when it kills its own launcher comes to
it, and it kills that once it has reaped the killed launcher.

A request is one ``run`` message on the socket with the descriptors: a channel (a socket pair of
its own, the command's lifeline), the spec (a memfd: the launcher's arguments, the folder, the
environment; the fork server never reads it), and the command's stdin, stdout and stderr (pipes
today, a terminal's side for the coming PTY sessions). The fork server forks; the child is the
launcher (:mod:`codex_lsp.exec.sandbox_launch`) exactly as if it had been exec'd, with the same
guarantees: it reads the spec, moves the stdio descriptors to 0-2, closes every other one but
those of the init it made ahead (the socket, other commands' channels: nothing of the fork
server reaches a command), starts a session, enters the folder and the environment, says ``ok``
(or ``error ERRNO STEP``) on the channel, closes it and runs
:func:`codex_lsp.exec.sandbox_launch.main`, which ties its own life to the fork server's
(parent-death signal). The fork server sends ``pid N`` with a pidfd of the
launcher, so the server can signal it without a pid-reuse race, and ``exit CODE`` (negative:
killed by that signal) when it has reaped it. ``run sandboxed`` is the same request for a
sandboxed command: the launcher waiting for the next request (the spare, forked ahead) is then
told to make its command's namespaces once no command runs (``prepare``). When the server
closes a channel before its launcher ended, the launcher gets SIGTERM (it then stops its command
as it does for the server's death): a command never outlives the channel the server holds for
it.
"""

from __future__ import annotations

import gc
import os
import select
import socket
import sys

from codex_lsp.exec import linux, process_tree, sandbox_launch
from codex_lsp.exec.spec import decode_spec, encode_spec, read_spec

TYPE_CHECKING = False  # as in sandbox_launch: typing is not imported at run time
if TYPE_CHECKING:
    import signal as _signal
    from typing import NoReturn
else:
    import _signal

RUN = b"run"
PREPARE = b"prepare"
PREPARE_AFTER_MS = 10
RUN_SANDBOXED = b"run sandboxed"
"""A ``run`` whose command is sandboxed: the next spare makes its namespaces ahead."""
OK = b"ok"
PID = b"pid"
EXIT = b"exit"
ERROR = b"error"
MAX_FDS = 8
_STDIO = 3  # stdin, stdout, stderr


def _child(channel: int, spec_fd: int, stdio: list[int], fork_server: int) -> NoReturn:
    """The launcher, in the forked child: set up as the module docstring says, then run."""
    code = sandbox_launch.SANDBOX_FAILED_EXIT
    step = "spec"
    try:
        args, cwd, env = decode_spec(read_spec(spec_fd))
        step = "stdio"
        for target, fd in enumerate(stdio):
            os.dup2(fd, target)
        sandbox_launch.close_fds_but([channel, *sandbox_launch.kept_fds()])
        os.setsid()
        step = "chdir"
        os.chdir(cwd)
        linux.prctl(linux.PR_SET_DUMPABLE, 1, "prctl(PR_SET_DUMPABLE)")  # as an exec'd one
        os.write(channel, OK)
        os.close(channel)
    except OSError as exc:
        try:
            os.write(channel, b"%s %d %s" % (ERROR, exc.errno or 0, step.encode()))
        finally:
            os._exit(code)
    except BaseException:
        os._exit(code)
    try:
        code = sandbox_launch.main(args, parent=fork_server, env=env)
    except BaseException:
        code = sandbox_launch.SANDBOX_FAILED_EXIT
    try:
        sys.stderr.flush()
    finally:
        os._exit(code)


def _rehearse() -> None:
    """Run the pure steps of a request's setup on a dummy, while nothing waits: every page a
    forked child writes first (Python writes each object it uses: its reference count) is a
    copy-on-write fault, ~4 µs on a virtual machine, and these then no longer happen on the
    request's path."""
    decode_spec(encode_spec(["--parent", "1", "--", "true"], "/", {"PATH": "/bin"}))
    sandbox_launch.rehearse()


def _spare(request: int, fork_server: int) -> NoReturn:
    """A launcher forked ahead of its request (so a request does not wait for the fork): it
    keeps nothing of the fork server's but its own socket, and waits there for the request's
    descriptors, or for the fork server's end; told to ``prepare`` meanwhile, it makes its
    command's namespaces ahead (:func:`codex_lsp.exec.sandbox_launch.prepare`)."""
    code = 0
    try:
        sandbox_launch.close_fds_but([request])
        linux.prctl(linux.PR_SET_PDEATHSIG, _signal.SIGKILL, "prctl(PR_SET_PDEATHSIG)")
        if os.getppid() == fork_server:
            _rehearse()
            inbox = socket.socket(fileno=request)
            message, fds, flags, _ = socket.recv_fds(inbox, 64, MAX_FDS)
            if message == PREPARE:
                sandbox_launch.prepare()
                message, fds, flags, _ = socket.recv_fds(inbox, 64, MAX_FDS)
            inbox.close()
            if message == RUN and not flags & socket.MSG_CTRUNC and len(fds) == 2 + _STDIO:
                channel, spec_fd, *stdio = fds
                _child(channel, spec_fd, stdio, fork_server)
    except BaseException:
        code = sandbox_launch.SANDBOX_FAILED_EXIT
    os._exit(code)


class _Spare:
    """A spare launcher: its pid, its pidfd, the fork server's end of its socket, and whether
    it waits for a sandboxed command (and makes its namespaces ahead)."""

    def __init__(self, pid: int, pidfd: int, inbox: socket.socket, sandboxed: bool) -> None:
        self.pid = pid
        self.pidfd = pidfd
        self.inbox = inbox
        self.sandboxed = sandboxed
        self.told = False  # to prepare its command's namespaces


class _Launcher:
    """A forked launcher the fork server follows: its pidfd and the channel to report on."""

    def __init__(self, pid: int, pidfd: int, channel: socket.socket) -> None:
        self.pid = pid
        self.pidfd = pidfd
        self.channel = channel

    def terminate(self) -> None:
        """SIGTERM, unless it has ended meanwhile."""
        try:
            _signal.pidfd_send_signal(self.pidfd, _signal.SIGTERM)
        except ProcessLookupError:
            return


class _Server:
    """The fork server's loop: requests on the socket, launchers' ends, channels closed."""

    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.me = os.getpid()
        self.poller = select.poll()
        self.poller.register(control, select.POLLIN)
        self.by_pidfd: dict[int, _Launcher] = {}
        self.by_channel: dict[int, _Launcher] = {}
        self.spares: dict[bool, _Spare] = {}  # by the kind of command each one waits for
        self.sandboxed_seen = False
        self.fork_error = 0

    def serve(self) -> None:
        """Until the server is gone."""
        while True:
            for sandboxed in (False, True)[: 1 + self.sandboxed_seen]:
                if sandboxed not in self.spares:  # while nothing waits: the next one will not
                    self._fork_spare(sandboxed)
            pending = self._preparation_pending()
            events = self.poller.poll(PREPARE_AFTER_MS if pending else None)
            if pending and not events:
                self._prepare(pending)
            for fd, _ in events:
                if fd == self.control.fileno():
                    if not self._request():
                        return
                elif fd in self.by_pidfd:
                    self._reap(self.by_pidfd.pop(fd))
                elif fd in self.by_channel:
                    self._channel_closed(fd)
                else:
                    for spare in list(self.spares.values()):
                        if fd == spare.pidfd:
                            self._drop_spare(spare)  # it died waiting; another one is forked

    def _preparation_pending(self) -> _Spare | None:
        """The spare for sandboxed commands, when it is to make its command's namespaces once
        nothing happened for :data:`PREPARE_AFTER_MS` and no command of ours runs: making them
        takes a CPU, which a running command would wait for, and a request that comes meanwhile
        waits until they are made (commands back to back then get theirs made for them)."""
        spare = self.spares.get(True)
        if spare is None or spare.told or self.by_pidfd:
            return None
        return spare

    def _prepare(self, spare: _Spare) -> None:
        _send(spare.inbox, PREPARE)
        spare.told = True

    def _fork_spare(self, sandboxed: bool) -> _Spare | None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError as exc:
            self.fork_error = exc.errno or 0
            ours.close()
            theirs.close()
            return None  # a request then tries again, and reports the error
        if pid == 0:
            _spare(theirs.fileno(), self.me)
        theirs.close()
        spare = self.spares[sandboxed] = _Spare(pid, os.pidfd_open(pid), ours, sandboxed)
        self.poller.register(spare.pidfd, select.POLLIN)
        return spare

    def _drop_spare(self, spare: _Spare) -> None:
        del self.spares[spare.sandboxed]
        self.poller.unregister(spare.pidfd)
        _signal.pidfd_send_signal(spare.pidfd, _signal.SIGKILL)
        os.waitpid(spare.pid, 0)
        os.close(spare.pidfd)
        spare.inbox.close()
        self._kill_orphans()  # the namespaces' init it made ahead, handed to us

    def _request(self) -> bool:
        try:
            message, fds, flags, _ = socket.recv_fds(self.control, 64, MAX_FDS)
        except InterruptedError:
            return True
        if not message and not fds:
            return False  # the server closed its end: it is gone
        wanted = 2 + _STDIO
        if message not in (RUN, RUN_SANDBOXED) or flags & socket.MSG_CTRUNC or len(fds) != wanted:
            for fd in fds:
                os.close(fd)
            return True
        sandboxed = message == RUN_SANDBOXED
        self.sandboxed_seen |= sandboxed
        channel_fd, spec_fd, *stdio = fds
        try:
            self._start(socket.socket(fileno=channel_fd), spec_fd, stdio, sandboxed)
        finally:
            for fd in (spec_fd, *stdio):
                os.close(fd)
        return True

    def _start(
        self, channel: socket.socket, spec_fd: int, stdio: list[int], sandboxed: bool
    ) -> None:
        """Hand the request to the spare for its kind of command, else to the other one (forked
        now if there is none, or if it died)."""
        for _ in range(2):
            spare = (
                self.spares.get(sandboxed)
                or self.spares.get(not sandboxed)
                or self._fork_spare(sandboxed)
            )
            if spare is None:
                _send(channel, b"%s %d fork" % (ERROR, self.fork_error))
                channel.close()
                return
            if _send(spare.inbox, RUN, [channel.fileno(), spec_fd, *stdio]):
                break
            self._drop_spare(spare)
        else:
            channel.close()
            return
        del self.spares[spare.sandboxed]
        spare.inbox.close()
        launcher = _Launcher(spare.pid, spare.pidfd, channel)
        self.by_pidfd[launcher.pidfd] = launcher
        if _send(channel, b"%s %d" % (PID, launcher.pid), [launcher.pidfd]):
            self.by_channel[channel.fileno()] = launcher
            self.poller.register(channel, select.POLLIN)
        else:
            launcher.terminate()  # the server already gave up on it

    def _reap(self, launcher: _Launcher) -> None:
        self.poller.unregister(launcher.pidfd)
        _, status = os.waitpid(launcher.pid, 0)
        os.close(launcher.pidfd)
        if self.by_channel.pop(launcher.channel.fileno(), None) is not None:
            self.poller.unregister(launcher.channel)
            _send(launcher.channel, b"%s %d" % (EXIT, os.waitstatus_to_exitcode(status)))
        launcher.channel.close()
        if os.WIFSIGNALED(status):  # killed before it could end its command's processes
            self._kill_orphans()

    def _kill_orphans(self) -> None:
        """SIGKILL the children this process (a subreaper) inherited that are neither launchers
        nor the spare: what a killed launcher left, which would otherwise outlive it (until
        none is left: each one killed hands its own children to us)."""
        while True:
            ours = {launcher.pid for launcher in self.by_pidfd.values()}
            ours.update(spare.pid for spare in self.spares.values())
            orphans = [
                p for p in process_tree.children_by_parent().get(self.me, []) if p not in ours
            ]
            if not orphans:
                return
            for pid in orphans:
                process_tree.kill(pid)
            for pid in orphans:
                os.waitpid(pid, 0)

    def _channel_closed(self, fd: int) -> None:
        launcher = self.by_channel[fd]
        try:
            if launcher.channel.recv(64):
                return  # nothing is sent this way yet (the seam for a terminal's resize)
        except OSError:
            pass
        self.poller.unregister(fd)
        del self.by_channel[fd]
        launcher.terminate()


def _send(channel: socket.socket, message: bytes, fds: list[int] | None = None) -> bool:
    try:
        socket.send_fds(channel, [message], fds or [])
    except OSError:
        return False  # the server closed the channel
    return True


def _warm() -> None:
    """Build here, once, what every launcher would otherwise build in pages of its own (each
    page a launcher writes is a copy-on-write fault, ~4 µs on a virtual machine): the libc
    functions it calls, and no collection ever walking the objects it inherits."""
    libc = linux.libc()
    for name in ("prctl", "mount", "syscall"):
        getattr(libc, name)
    gc.collect()
    gc.freeze()


def main(argv: list[str]) -> int:
    """Watch the server, then serve until it is gone."""
    parent, control = int(argv[argv.index("--parent") + 1]), int(argv[argv.index("--control") + 1])
    linux.prctl(linux.PR_SET_PDEATHSIG, _signal.SIGKILL, "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent:
        return 0  # the server died before we could watch it
    linux.prctl(linux.PR_SET_DUMPABLE, 0, "prctl(PR_SET_DUMPABLE)")
    linux.prctl(linux.PR_SET_CHILD_SUBREAPER, 1, "prctl(PR_SET_CHILD_SUBREAPER)")
    _warm()
    _Server(socket.socket(fileno=control)).serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
