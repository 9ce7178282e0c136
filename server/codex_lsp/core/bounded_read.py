"""Reading a workspace file a command may have planted, safely: never through a symlink (in any
component), never a FIFO, device or socket, never more than a limit, text only. What cannot be
read so is :data:`UNRECORDED`: undo names such a file instead of restoring it."""

from __future__ import annotations

import contextlib
import enum
import os
import stat
from pathlib import Path
from typing import Literal

MAX_FILE_BYTES = 1024 * 1024
"""The largest file whose content a snapshot keeps."""


class Unrecorded(enum.Enum):
    """The marker of content that was not kept."""

    TOKEN = "unrecorded"


UNRECORDED = Unrecorded.TOKEN
Content = str | None | Literal[Unrecorded.TOKEN]
"""A file's text, ``None`` when it does not exist, or :data:`UNRECORDED`."""


def read_bounded(path: Path, limit: int = MAX_FILE_BYTES) -> Content:
    """The text of the regular file ``path`` (``None``: absent), or :data:`UNRECORDED` when it
    is not a regular UTF-8 file of at most ``limit`` bytes reached without a symlink."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError:
        return UNRECORDED
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        return UNRECORDED
    if os.path.realpath(path) != os.path.abspath(path):  # a symlinked folder on the way
        return UNRECORDED
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError:
        return UNRECORDED
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for something else meanwhile
            return UNRECORDED
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(64 * 1024, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError:
        return UNRECORDED
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
    if size > limit:
        return UNRECORDED
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        return UNRECORDED
