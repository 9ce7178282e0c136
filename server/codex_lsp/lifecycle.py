"""How a front-end process (the language server, the MCP server) ends: the signals that ask it
to shut down like its client's ``exit`` would, the time its shutdown may take, and the deadline
after which it exits anyway, so no hung step can leave a process behind its client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable

SHUTDOWN_BUDGET_S = 1.5  # conversations, MCP servers and the store
EXIT_DEADLINE_S = 2.0  # from the client leaving to the process being gone, whatever hangs
SIGNALS = tuple(
    s for s in (getattr(signal, n, None) for n in ("SIGTERM", "SIGINT", "SIGHUP")) if s is not None
)


def report(message: str) -> None:
    """One line on stderr (the editor's log of the server). Never raises: an editor that
    quit has closed the pipe, and the shutdown that follows must still run."""
    try:
        print(f"codex-lsp: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):  # nobody reads stderr any more
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def on_signals(loop: asyncio.AbstractEventLoop, first: Callable[[int], None]) -> None:
    """Call ``first(signum)`` on the first SIGTERM, SIGINT or SIGHUP; on the next one, exit
    at once."""
    received: list[int] = []

    def handle(signum: int) -> None:
        if received:
            report(f"{signal.Signals(signum).name} again: exiting without finishing the shutdown")
            os._exit(128 + signum)
        received.append(signum)
        report(f"{signal.Signals(signum).name} received: shutting down")
        first(signum)

    for signum in SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, handle, signum)


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (Linux ``/proc``; none elsewhere)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                state, parent = stat.read().rpartition(b")")[2].split()[:2]
        except (OSError, ValueError):
            continue  # it ended meanwhile
        if state != b"Z":  # a zombie has ended already
            children.setdefault(int(parent), []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def stop_leftovers() -> None:
    """After the shutdown: kill what it left running, and say so."""
    left = kill_descendants()
    if left:
        report(f"killed {left} process(es) the shutdown left running")


def kill_descendants() -> int:
    """SIGKILL whatever this process started and its shutdown did not stop (a hung MCP
    server, a command), with the process groups they lead; returns how many were left."""
    left = descendants(os.getpid())
    if not left:
        return 0
    own_group = os.getpgrp()
    for pid in left:
        with contextlib.suppress(OSError):
            if os.getpgid(pid) == pid != own_group:
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return len(left)


def exit_anyway_after(seconds: float, code: int, what: str) -> None:
    """Arm a watchdog: if the process still runs ``seconds`` from now (a shutdown step or the
    interpreter's own teardown hangs), say so on stderr, kill what it started, and end it with
    ``code``."""

    def fire() -> None:
        try:
            report(f"{what} did not finish within {seconds:g} s; exiting anyway")
            kill_descendants()
        finally:
            os._exit(code)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
