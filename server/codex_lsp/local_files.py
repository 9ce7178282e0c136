"""Reading a file a user, the model or the repository names: regular files only, a bounded
number of bytes. The one place the package opens such a file (images, @-mentions, apply_patch,
spec-kit).

A repository can hold a FIFO (reading it waits for a writer that never comes) or a link to a
device (``/dev/zero`` never ends). Such a file is never read: its kind is checked before it is
opened, so a device is never opened, and again on the descriptor, which is opened without waiting
(``O_NONBLOCK``, ``O_NOCTTY``), so a FIFO swapped in between cannot block the read either.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False  # Path only in annotations: apply-patch does not import pathlib
if TYPE_CHECKING:
    from pathlib import Path

_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFileError(ValueError):
    """``path`` exists but is no regular file; ``kind`` says what it is (``a folder``, ``a named
    pipe (FIFO)``, ...) and the message says it is never read."""

    def __init__(self, kind: str) -> None:
        super().__init__(
            f"it is {kind}, not a regular file (a FIFO, a device or a socket is never read)"
        )
        self.kind = kind


def kind_of(mode: int) -> str:
    """What a file of ``st_mode`` ``mode`` is, in words, for a message."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def open_regular(path: Path) -> int:
    """A read-only descriptor of the regular file ``path`` (the caller closes it).
    :class:`NotRegularFileError` when it is something else, :class:`OSError` (``FileNotFoundError``
    and the rest) when it cannot be opened, :class:`ValueError` for a NUL byte in the path."""
    return open_regular_stat(path)[0]


def open_regular_stat(path: str | os.PathLike[str]) -> tuple[int, os.stat_result]:
    """:func:`open_regular`, with the descriptor's ``fstat`` from the check (its size and mode,
    without another call)."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(kind_of(mode))
    fd = os.open(path, _FLAGS)
    opened = os.fstat(fd)
    if not stat.S_ISREG(opened.st_mode):
        os.close(fd)
        raise NotRegularFileError(kind_of(opened.st_mode))
    return fd, opened


def read_regular(path: Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the regular file ``path`` (more than ``limit`` means it is
    longer). Raises as :func:`open_regular` does."""
    with os.fdopen(open_regular(path), "rb") as handle:
        return handle.read(limit + 1)
