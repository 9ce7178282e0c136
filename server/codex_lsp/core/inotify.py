"""Linux inotify through ctypes: which names changed in watched directories. The workspace
watch reads it without blocking after a command ends (the kernel queues an event in the very
syscall that changed the file, so everything the command did is there by then)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
from dataclasses import dataclass

IN_MODIFY = 0x002
IN_ATTRIB = 0x004
IN_CLOSE_WRITE = 0x008
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ONLYDIR = 0x01000000
IN_DONT_FOLLOW = 0x02000000
IN_ISDIR = 0x40000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC

WATCH_MASK = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
    | IN_ONLYDIR
    | IN_DONT_FOLLOW
)
"""Every change to a directory's entries; symlinked directories are never followed."""
_HEADER = struct.Struct("iIII")
_READ_SIZE = 256 * 1024


@dataclass(frozen=True)
class InotifyEvent:
    """One event: the watch it came from, what happened, the entry's name ('' for the dir)."""

    wd: int
    mask: int
    name: str


class Inotify:
    """One inotify instance (non-blocking, close-on-exec)."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("c") or "libc.so.6"
        self._libc = ctypes.CDLL(name, use_errno=True)
        fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        self.fd: int = fd

    def add_watch(self, path: str) -> int:
        """Watch the directory ``path`` (never through a symlink); its watch descriptor."""
        wd = int(self._libc.inotify_add_watch(self.fd, os.fsencode(path), WATCH_MASK))
        if wd < 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno), path)
        return wd

    def read(self) -> list[InotifyEvent]:
        """Every event queued now (none when there are none: it never blocks)."""
        events: list[InotifyEvent] = []
        while True:
            try:
                data = os.read(self.fd, _READ_SIZE)
            except BlockingIOError:
                return events
            offset = 0
            while offset + _HEADER.size <= len(data):
                wd, mask, _cookie, length = _HEADER.unpack_from(data, offset)
                offset += _HEADER.size
                raw = data[offset : offset + length].split(b"\0", 1)[0]
                offset += length
                events.append(InotifyEvent(wd, mask, os.fsdecode(raw)))

    def close(self) -> None:
        """Release the instance and all its watches."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
