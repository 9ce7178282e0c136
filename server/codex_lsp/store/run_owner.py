"""Who drives a stored run: a process named ``<pid>:<start ticks>``, so that a pid reused after
a crash is not taken for the dead owner (:mod:`~codex_lsp.store.speckit_auto` claims runs by
it)."""

from __future__ import annotations

import os
from functools import cache


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22), or
    None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces: split after it
    fields = data.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


@cache
def owner_token() -> str:
    """This process, as a run's owner: ``<pid>:<start ticks>``."""
    pid = os.getpid()
    return f"{pid}:{_start_ticks(pid) or 0}"


def owner_alive(token: str | None) -> bool:
    """True when the process ``token`` names still runs (this one included)."""
    if not token:
        return False
    pid_text, _, ticks = token.partition(":")
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if token == owner_token():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    current = _start_ticks(pid)
    return current is None or ticks in ("", "0") or current == ticks


def owner_pid(token: str | None) -> int | None:
    """The pid of an owner token."""
    try:
        return int((token or "").partition(":")[0])
    except ValueError:
        return None
