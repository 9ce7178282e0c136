"""Keeps chosen folders read-only inside a writable root (``.git``, ``.codex``): the sandbox
launcher enters a private mount namespace (a user namespace too when not root) and bind-mounts
each folder read-only over itself. Landlock cannot do this: its grants cover whole trees."""

from __future__ import annotations

import ctypes
import os

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_MS_RDONLY = 1
_MS_REMOUNT = 32
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
# statvfs flags that a bind remount must keep (the kernel refuses to clear locked ones)
_KEPT = (
    (os.ST_NOSUID, 2),
    (os.ST_NODEV, 4),
    (os.ST_NOEXEC, 8),
    (os.ST_NOATIME, 1024),
    (os.ST_NODIRATIME, 2048),
    (os.ST_RELATIME, 1 << 21),
)


def _mount(libc: ctypes.CDLL, source: str | None, target: str, flags: int) -> None:
    if libc.mount(source.encode() if source else None, target.encode(), None, flags, None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)


def make_read_only(paths: list[str]) -> None:
    """Enter a private mount namespace and remount ``paths`` read-only in it."""
    if not paths:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.geteuid(), os.getegid()
    flags = _CLONE_NEWNS if uid == 0 else _CLONE_NEWNS | _CLONE_NEWUSER
    if libc.unshare(flags) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"cannot create a mount namespace: {os.strerror(err)}")
    if uid != 0:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _mount(libc, None, "/", _MS_REC | _MS_PRIVATE)
    for path in paths:
        _mount(libc, path, path, _MS_BIND | _MS_REC)
        kept = os.statvfs(path).f_flag
        extra = sum(ms for st, ms in _KEPT if kept & st)
        _mount(libc, None, path, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | extra)
