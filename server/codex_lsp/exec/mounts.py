"""The command's own view of the system, built in new user, mount and PID namespaces before
Landlock is applied (Landlock then forbids any further mount change):

- protected folders and files (``.git``, ``.codex``, ``.codex-lsp`` and their placeholders) are
  bound read-only over themselves: Landlock's grants cover whole trees, so only a mount can carve
  a read-only hole in a writable root;
- the server's own folders (``$CODEX_LSP_HOME``: config.toml with its header secrets, state.db)
  are covered by an empty read-only tmpfs;
- block devices are covered by ``/dev/null`` (root could otherwise read any file, hidden or not,
  from the raw disk);
- a fresh ``/proc`` shows only the command's own processes, so neither the server nor any other
  ancestor can be found there (their ``environ`` holds the provider key).

The user namespace takes every capability over the rest of the system away, root's included
(root maps every id onto itself, so it keeps its rights over files; CAP_SYS_PTRACE over the
server, which would bypass its non-dumpable flag, is gone).
"""

from __future__ import annotations

import os
import stat

from codex_lsp.exec import linux

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_REMOUNT = 32
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
# statvfs flags that a bind remount must keep (the kernel refuses to clear locked ones)
_KEPT = (
    (os.ST_NOSUID, _MS_NOSUID),
    (os.ST_NODEV, _MS_NODEV),
    (os.ST_NOEXEC, _MS_NOEXEC),
    (os.ST_NOATIME, 1024),
    (os.ST_NODIRATIME, 2048),
    (os.ST_RELATIME, 1 << 21),
)
_FULL_RANGE = 4294967295


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    result = linux.libc().mount(
        source.encode() if source else None,
        os.fsencode(target),
        fstype.encode() if fstype else None,
        flags,
        data.encode() if data else None,
    )
    linux.check(result, f"mount {target}")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)  # no io stack: this runs for every command
    try:
        os.write(fd, text.encode("ascii"))
    finally:
        os.close(fd)


def map_ids(pid: int, uid: int, gid: int) -> None:
    """Give process ``pid``'s new user namespace its ids; run by its parent, which is still in the
    original namespaces (only a process there may map ids other than its own). Root maps every
    id onto itself; anyone else maps only their own."""
    if uid == 0:
        _write(f"/proc/{pid}/uid_map", f"0 0 {_FULL_RANGE}")
        _write(f"/proc/{pid}/gid_map", f"0 0 {_FULL_RANGE}")
        return
    _write(f"/proc/{pid}/setgroups", "deny")
    _write(f"/proc/{pid}/uid_map", f"{uid} {uid} 1")
    _write(f"/proc/{pid}/gid_map", f"{gid} {gid} 1")


def make_private() -> None:
    """Stop mount changes from propagating back to the system."""
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)


def bind_read_only(path: str) -> None:
    """Bind ``path`` (a folder or a file) over itself, read-only."""
    _mount(path, path, None, _MS_BIND | _MS_REC)
    kept = os.statvfs(path).f_flag
    extra = sum(ms for st, ms in _KEPT if kept & st)
    _mount(None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | extra)


def hide(path: str) -> None:
    """Cover the folder ``path`` with an empty read-only tmpfs."""
    _mount(
        "tmpfs", path, "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, "size=4k,mode=755"
    )


def mask_block_devices(folder: str = "/dev") -> list[tuple[str, int]]:
    """Cover every block device under ``folder`` with ``/dev/null``; returns each folder looked
    at with its modification time, for :func:`devices_changed`."""
    try:
        seen = [(folder, os.stat(folder).st_mtime_ns)]  # before the listing: nothing slips by
        entries = list(os.scandir(folder))
    except OSError:
        return []  # a folder we cannot list, we cannot open devices in either
    for entry in entries:
        if entry.is_symlink():
            continue
        mode = entry.stat(follow_symlinks=False).st_mode
        if stat.S_ISBLK(mode):
            _mount("/dev/null", entry.path, None, _MS_BIND)
        elif stat.S_ISDIR(mode) and entry.name not in ("pts", "shm", "mqueue", "hugepages"):
            seen += mask_block_devices(entry.path)
    return seen


def devices_changed(seen: list[tuple[str, int]]) -> bool:
    """Whether an entry was added to, removed from or renamed in a folder that
    :func:`mask_block_devices` looked at (a block device may have appeared since)."""
    for folder, mtime in seen:
        try:
            if os.stat(folder).st_mtime_ns != mtime:
                return True
        except OSError:
            return True
    return False


def mount_proc() -> None:
    """A /proc for this PID namespace (run by its init)."""
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)


def drop_capabilities() -> None:
    """Remove the capabilities a command never needs (mounting, tracing) from the bounding set,
    so not even root regains them on exec inside the namespace."""
    for cap in (linux.CAP_SYS_ADMIN, linux.CAP_SYS_PTRACE):
        linux.prctl(linux.PR_CAPBSET_DROP, cap, "prctl(PR_CAPBSET_DROP)")
