"""Protection of the server process itself, applied once at start-up: the process holds provider
keys in its environment and memory.

On Linux it makes itself non-dumpable (``prctl(PR_SET_DUMPABLE, 0)``, as Codex's process
hardening does): no core dump, no ptrace attach, and ``/proc/<pid>/environ``, ``mem`` and
``maps`` become unreadable to every process without CAP_SYS_PTRACE over it, commands running as
the same user included. Root has that capability, which is why sandboxed commands also run in
their own user and PID namespaces (:mod:`codex_lsp.exec.mounts`), where the server is neither
visible nor within reach. Commands start dumpable again (``execve`` resets the flag), so
debuggers and core dumps keep working for them. Other systems: nothing to do here.
"""

from __future__ import annotations

import sys

from codex_lsp.exec import linux


def harden_process() -> None:
    """Make this process non-dumpable (Linux); a warning on stderr if the kernel refuses."""
    if not linux.is_linux():
        return
    try:
        linux.prctl(linux.PR_SET_DUMPABLE, 0, "prctl(PR_SET_DUMPABLE)")
    except OSError as exc:
        print(f"codex-lsp: warning: cannot protect the process's memory ({exc})", file=sys.stderr)
