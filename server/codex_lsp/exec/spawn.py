"""The server's side of the fork server (:mod:`codex_lsp.exec.forkserver`): start it, hand it a
command's launcher, and follow that launcher as :func:`codex_lsp.exec.runner.run_command` follows
a subprocess (its output pipes, signals through a pidfd, its exit status).

One fork server per thread that starts commands, started with the first one: its parent-death
signal fires when the thread that started it ends, and the event loop that reads its channels
lives in that thread. A fork server that has died, or does not answer within
:data:`START_TIMEOUT_S`, is killed and replaced, and the request is tried once more on the new
one; when that fails too, :class:`ForkServerUnavailable` tells the runner to exec the launcher
instead: the same launcher, the same sandbox, only slower. A command whose launcher may have
started is never tried twice. A fork server that does not report a launcher's exit within
:data:`EXIT_REPORT_TIMEOUT_S` of it (the pidfd tells when it ended) is wedged too: it is killed,
and the runner reports the command's status as lost
(:class:`~codex_lsp.exec.runner.StatusLost`) instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import socket
import subprocess
import threading
import weakref
from collections.abc import Callable

from codex_lsp.exec import forkserver, linux
from codex_lsp.exec.runner import StatusLost
from codex_lsp.exec.sandbox import fork_server_argv
from codex_lsp.exec.sandbox_launch import STOPPED_EXIT
from codex_lsp.exec.spec import encode_spec, spec_file

log = logging.getLogger(__name__)
START_TIMEOUT_S = 10.0
"""How long a request may wait for its launcher's ``pid`` and ``ok`` (the first one includes
the fork server's own start, slow on a loaded machine) before the fork server counts as wedged."""
EXIT_REPORT_TIMEOUT_S = 5.0
"""How long after a launcher ended the fork server may take to report its exit status."""
_DRAIN_TIMEOUT_S = 5.0
_STEPS = {b"chdir": "cannot enter the working folder"}


class ForkServerUnavailable(Exception):
    """No fork server could start the command, which has not run: exec the launcher instead."""


class _NotStarted(Exception):
    """This fork server did not start the command (it is dead or wedged); another may."""


@functools.cache
def available() -> bool:
    """True where the fork server can run: Linux with pidfds (5.3+) and memfds."""
    if not linux.is_linux() or not hasattr(os, "pidfd_open") or not hasattr(os, "memfd_create"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


class _ForkServer:
    """One fork server process and the server's end of its socket."""

    def __init__(self, argv: list[str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = subprocess.Popen(
                [*argv, "--parent", str(os.getpid()), "--control", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env={},
                cwd="/",
                start_new_session=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        ours.setblocking(False)  # a full buffer means a wedged fork server, never a stalled loop
        self.control = ours
        self.owner = os.getpid()
        # also when its thread ends (its thread-local goes) and at exit: reaped, socket closed
        self._finalizer = weakref.finalize(self, _shut, self.process, ours, self.owner)

    def usable(self) -> bool:
        """Started by this process (not a forked copy of it) and still running."""
        return self.owner == os.getpid() and self.process.poll() is None

    async def request(self, fds: list[int], message: bytes) -> None:
        """Send one ``run`` request (``message``) with ``fds``, waiting while its socket is full
        (a burst of requests it is forking for); ``OSError`` when it cannot be delivered."""
        delay = 0.001
        while True:
            try:
                socket.send_fds(self.control, [message], fds)
                return
            except BlockingIOError:
                await asyncio.sleep(delay)
                delay = min(2 * delay, 0.05)

    def stop(self) -> None:
        """Kill it (its launchers then stop their commands: their parent-death signal)."""
        self._finalizer()


def _shut(process: subprocess.Popen[bytes], control: socket.socket, owner: int) -> None:
    if owner == os.getpid():  # not in a forked copy of the server: the fork server is not ours
        with contextlib.suppress(OSError):
            process.kill()
        process.wait()
    control.close()


_threads = threading.local()


def _fork_server(fresh: bool) -> _ForkServer:
    current: _ForkServer | None = getattr(_threads, "server", None)
    if current is not None and (fresh or not current.usable()):
        current.stop()
        current = None
    if current is None:
        current = _threads.server = _ForkServer(fork_server_argv())
    return current


class LaunchedProcess:
    """A launcher the fork server started, with what the runner needs of a subprocess: ``pid``
    (also its process group: it leads a session), ``stdout``/``stderr`` readers, ``wait()``,
    ``send_signal()``; and ``close()``, which the runner calls at the end (closing the channel
    stops a launcher still running)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        channel: socket.socket,
        on_wedged: Callable[[], None],
    ) -> None:
        self._loop = loop
        self._channel = channel
        self._on_wedged = on_wedged
        self._overdue: asyncio.TimerHandle | None = None
        self._pidfd = -1
        self._ok = False
        self._transports: list[asyncio.BaseTransport] = []
        self._open = True
        self._hung_up = False  # the fork server's end of the channel is closed
        self.pid = 0
        self.stdout = asyncio.StreamReader(loop=loop)
        self.stderr = asyncio.StreamReader(loop=loop)
        self.started: asyncio.Future[None] = loop.create_future()
        self._exited: asyncio.Future[int] = loop.create_future()
        loop.add_reader(channel.fileno(), self._readable)

    def _readable(self) -> None:
        while self._open:
            try:
                message, fds, _, _ = socket.recv_fds(self._channel, 256, 1)
            except BlockingIOError:
                return
            except OSError:
                message, fds = b"", []
            if not message and not fds:
                self._loop.remove_reader(self._channel.fileno())
                self._ended()
                return
            self._message(message, fds)

    def _message(self, message: bytes, fds: list[int]) -> None:
        tag, _, rest = message.partition(b" ")
        if tag == forkserver.PID and fds and self._pidfd < 0:
            self.pid, self._pidfd = int(rest), fds.pop()
            self._loop.add_reader(self._pidfd, self._launcher_gone)
        elif tag == forkserver.OK:
            self._ok = True
        elif tag == forkserver.ERROR and not self.started.done():
            number, _, step = rest.partition(b" ")
            what = _STEPS.get(step, "cannot start the command's launcher")
            self.started.set_exception(OSError(int(number), f"{what}: {os.strerror(int(number))}"))
        elif tag == forkserver.EXIT and not self._exited.done():
            self._exited.set_result(int(rest))
        for fd in fds:
            os.close(fd)
        if self.pid and self._ok and not self.started.done():
            self.started.set_result(None)

    def _ended(self) -> None:
        """The channel's end: the fork server reported the exit, or it died."""
        self._hung_up = True
        if not self.started.done():
            self.started.set_exception(
                OSError("the sandbox launcher ended before it reported its start")
                if self._ok  # it may have started the command: never run it a second time
                else _NotStarted("it ended before starting it")
            )
        if self._exited.done():
            return
        if self._pidfd < 0:
            self._exited.set_result(STOPPED_EXIT)
        elif self._overdue is not None:  # the launcher had ended: its status died with it
            self._overdue.cancel()
            self._status_overdue()
        # else the fork server died: its launcher got SIGTERM and is stopping its command;
        # _launcher_gone reports that once it has

    def _launcher_gone(self) -> None:
        """The launcher ended (its pidfd is readable): the fork server reports its status next,
        unless the channel is already gone (the fork server died) or it is wedged."""
        self._loop.remove_reader(self._pidfd)
        if self._exited.done():
            return
        if self._hung_up:
            self._exited.set_result(STOPPED_EXIT)
            return
        self._overdue = self._loop.call_later(EXIT_REPORT_TIMEOUT_S, self._status_overdue)

    def _status_overdue(self) -> None:
        """No status came for an ended launcher: the fork server is wedged (or just died)."""
        if self._exited.done():
            return
        log.warning("the fork server did not report a command's exit; replacing it")
        self._exited.set_exception(StatusLost())
        self._on_wedged()

    async def attach(self, pipes: list[int]) -> None:
        """Read the command's stdout and stderr from ``pipes``, taking each one out of the
        list once a transport owns it."""
        for reader in (self.stdout, self.stderr):
            pipe = os.fdopen(pipes.pop(0), "rb", buffering=0)  # the transport closes it
            protocol = functools.partial(asyncio.StreamReaderProtocol, reader, loop=self._loop)
            transport, _ = await self._loop.connect_read_pipe(protocol, pipe)
            self._transports.append(transport)

    async def wait(self) -> int:
        """The launcher's exit code (negative: the signal that killed it)."""
        return await asyncio.shield(self._exited)

    def send_signal(self, signum: int) -> None:
        """Signal the launcher, unless it has ended (``ProcessLookupError`` when it is a
        zombie the fork server has not reaped yet)."""
        if self._pidfd >= 0 and not self._exited.done():
            signal.pidfd_send_signal(self._pidfd, signum)

    def close(self) -> None:
        """Let go of the channel, the pidfd and the pipes."""
        if self._overdue is not None:
            self._overdue.cancel()
        if self._open:
            self._open = False
            self._loop.remove_reader(self._channel.fileno())
            self._channel.close()
        if self._pidfd >= 0:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1
        for transport in self._transports:
            transport.close()
        if not self._exited.done():
            self._exited.set_result(STOPPED_EXIT)


async def _start_on(server: _ForkServer, spec: bytes, message: bytes) -> LaunchedProcess:
    loop = asyncio.get_running_loop()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ours.setblocking(False)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pipes = [out_r, err_r]
    sent = [theirs.fileno(), spec_file(spec), os.open(os.devnull, os.O_RDONLY), out_w, err_w]
    proc = LaunchedProcess(loop, ours, server.stop)
    try:
        try:
            await asyncio.wait_for(server.request(sent, message), START_TIMEOUT_S)
        except TimeoutError:
            server.stop()  # it has not read its socket for that long: wedged
            raise _NotStarted("it did not read its socket") from None
        except OSError as exc:
            raise _NotStarted(f"its socket: {exc.strerror}") from exc
        finally:
            theirs.close()
            for fd in sent[1:]:
                os.close(fd)
        try:
            await asyncio.wait_for(asyncio.shield(proc.started), START_TIMEOUT_S)
        except TimeoutError:
            server.stop()  # wedged; its channel ends once nothing of it holds ours
            try:
                await asyncio.wait_for(asyncio.shield(proc.started), _DRAIN_TIMEOUT_S)
            except TimeoutError:
                raise OSError("the sandbox launcher did not start") from None
        await proc.attach(pipes)
    except BaseException:
        proc.close()
        for fd in pipes:
            os.close(fd)
        raise
    return proc


async def spawn(args: list[str], cwd: str, env: dict[str, str]) -> LaunchedProcess:
    """Start the launcher with ``args`` (what follows ``-c CODE`` in its argv) in the folder
    ``cwd`` with the environment ``env``, through this thread's fork server.
    ``OSError`` when it cannot start (``cwd`` missing...), ``ValueError`` for an argument or
    variable ``execve`` refuses, :class:`ForkServerUnavailable` when no fork server could."""
    spec = encode_spec(args, cwd, env)
    options = args[: args.index("--")] if "--" in args else args
    sandboxed = "--unsandboxed" not in options and "--tty" not in options
    message = forkserver.RUN_SANDBOXED if sandboxed else forkserver.RUN
    for fresh in (False, True):
        try:
            return await _start_on(_fork_server(fresh), spec, message)
        except _NotStarted as exc:
            log.warning("the fork server did not start a command (%s); replacing it", exc)
    log.warning("no fork server could start the command: its launcher is exec'd instead")
    raise ForkServerUnavailable
