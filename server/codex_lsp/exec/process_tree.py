"""The processes below one, from ``/proc``, and killing them: what the command launcher
(:mod:`~codex_lsp.exec.sandbox_launch`, a child subreaper) and the fork server do to end a
command's leftovers. Imports nothing but the C modules: it runs in every command's launcher."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs a few ms on every command
if TYPE_CHECKING:
    import signal as _signal
else:  # the C module: ``signal`` imports enum, 3 ms more
    import _signal


def kill(pid: int) -> None:
    """SIGKILL ``pid`` unless it has ended."""
    try:
        os.kill(pid, _signal.SIGKILL)
    except ProcessLookupError:
        return  # ended meanwhile


def children_by_parent() -> dict[int, list[int]]:
    """Every process's children, from ``/proc``."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        ppid = int(data[data.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(name))
    return children


def descendants(root: int) -> list[int]:
    """Every process below ``root``, from ``/proc``."""
    children = children_by_parent()
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_descendants() -> None:
    """SIGKILL every process below this one until none is left (each one killed hands its own
    children to us, the subreaper, so the loop ends)."""
    me = os.getpid()
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] != 0:
                continue  # reaped one; look again
        except ChildProcessError:
            return  # no child left, so no descendant either
        for pid in descendants(me):
            kill(pid)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
