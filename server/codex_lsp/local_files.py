"""Reading a file a user or the model names: regular files only, a bounded number of bytes.

A repository can hold a FIFO (reading it waits for a writer that never comes) or a link to a
device (``/dev/zero`` never ends). Such a file is never read: its kind is checked before it is
opened, and again on the descriptor, which is opened without waiting (``O_NONBLOCK``), so a FIFO
swapped in between cannot block the read either.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
NOT_REGULAR = "it is not a regular file (a FIFO, a device or a socket is never read)"


def read_regular(path: Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the regular file ``path`` (more than ``limit`` means it is
    longer). :class:`OSError` when it cannot be read, :class:`ValueError` when it is no regular
    file (or the path holds a NUL byte)."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise ValueError(NOT_REGULAR)
    with os.fdopen(os.open(path, _FLAGS), "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError(NOT_REGULAR)
        return handle.read(limit + 1)
