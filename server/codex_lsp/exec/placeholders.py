"""What the sandbox keeps read-only at the top of each writable root: ``.git``, ``.codex`` and
``.codex-lsp``, whether they exist or not.

A read-only bind mount needs something to mount over, and Landlock cannot say "this tree but not
that name", so a name that does not exist yet gets a **placeholder**: an empty folder, created
just before the command and bound read-only in its mount namespace, so the command can neither
create the name nor write under it. An empty folder rather than an empty file because git skips
a ``.git`` folder that is not a repository (``git status`` in a subfolder of a repository keeps
working; in a plain folder it says "not a git repository" as before) but dies on an empty
``.git`` file ("invalid gitfile format").

Placeholders are removed when the command ends, if still empty, unless another command still
uses them: removing a folder that is a mount point in another command's namespace would detach
that mount and give the name back to it. Users are counted with locks in a registry folder
sandboxed commands cannot see (under ``$CODEX_LSP_HOME``, hidden from them): each user holds a
shared ``flock`` on the name's lock file while its command runs; creation and removal happen
under one exclusive registry lock, and a placeholder is removed only when an exclusive lock on
its file can be taken, i.e. when nobody else holds it. The lock file's content says that the
placeholder is ours to remove (it holds the path; empty: a folder someone else made). A dead
process's locks vanish with it, so a placeholder left by a killed server is removed by the next
command that ends there.

Creating and removing a folder can cost milliseconds (an ``rmdir`` on an ext4 mounted with
``discard`` waits for the disk: docs/performance.md), so a placeholder nobody uses any more is
**recycled** instead: moved into the registry's ``recycled`` folder, and moved out again as the
next placeholder (``renameat2`` with ``RENAME_NOREPLACE``: a name that exists is never replaced).
A folder is moved out only when it is empty, and moved back if something got into it on its way
in; a workspace on another file system than the registry falls back to ``mkdir`` and ``rmdir``.

A symbolic link at one of the names cannot be protected (a mount follows the link, and the link
itself stays replaceable), so the command is refused; so is nothing else.
"""

from __future__ import annotations

import _thread
import errno
import fcntl
import os
import stat

from codex_lsp.exec import linux
from codex_lsp.protocol.protected import PROTECTED_FOLDERS

_UNCREATABLE = (errno.EACCES, errno.EPERM, errno.EROFS)
RECYCLED = "recycled"
"""The registry's folder of placeholders kept for reuse (hidden from commands with it)."""
_KEPT_FOR_REUSE = 32


class Refused(Exception):
    """The command must not run: the protection cannot be applied (the message says why)."""


def _name_of(path: str) -> str:
    """A file name for ``path`` in the registry (64-bit FNV-1a: no hashlib in the launcher)."""
    value = 0xCBF29CE484222325
    for byte in path.encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _gitdir(pointer: str) -> str | None:
    """The folder a ``.git`` file (worktree, submodule) points at, if it reads as a pointer."""
    try:
        with open(pointer, encoding="utf-8", errors="replace") as handle:
            text = handle.read(4096).strip()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    target = os.path.join(os.path.dirname(pointer), text[len("gitdir:") :].strip())
    return os.path.realpath(target)


def _recycle(path: str, recycled: str) -> bool:
    """Move the folder ``path`` into ``recycled`` if it is empty; False when it is not (or is
    on another file system), and then it stays where it is."""
    try:
        if os.listdir(path):
            return False  # someone put something in it: it is theirs now
        target = os.path.join(recycled, os.urandom(8).hex())
        linux.rename_noreplace(path, target)
    except OSError:
        return False
    try:
        if not os.listdir(target):
            return True
    except OSError:
        pass
    try:  # something got into it between the look and the move: give it back
        linux.rename_noreplace(target, path)
    except OSError as exc:
        raise OSError(exc.errno, f"{path} moved to {target}: {exc.strerror}") from None
    return False


def _remove_empty(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        return  # gone, or someone put something in it: it is theirs now


def _remove_empty_all(paths: list[str]) -> None:
    """:func:`_remove_empty` each of ``paths``, side by side: an ``rmdir`` can wait for the disk
    (3.8 ms each on an ext4 mounted with ``discard``, docs/performance.md), and this runs after
    every sandboxed command. ``_thread``: the launcher imports nothing it can do without."""
    done = []
    for path in paths[1:]:
        lock = _thread.allocate_lock()
        lock.acquire()
        _thread.start_new_thread(_remove_then_release, (path, lock))
        done.append(lock)
    if paths:
        _remove_empty(paths[0])
    for lock in done:
        lock.acquire()  # released by its thread once its rmdir returned


def _remove_then_release(path: str, lock: _thread.LockType) -> None:
    try:
        _remove_empty(path)
    finally:
        lock.release()


class Claims:
    """The paths to bind read-only for one command, and the placeholders it holds."""

    def __init__(self, registry: str | None) -> None:
        self.registry = registry
        self.read_only: list[str] = []
        self._held: list[tuple[str, int]] = []  # (path, fd holding LOCK_SH on its lock file)
        self._lock_fd = -1

    def _lock_file(self, path: str) -> str:
        assert self.registry is not None
        return os.path.join(self.registry, _name_of(path))

    def _protect(self, path: str, writable: list[str]) -> None:
        if any(_within(root, path) for root in writable):
            return  # the user made this folder (or one inside it) writable on purpose
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            self._placeholder(path)
            return
        if stat.S_ISLNK(info.st_mode):
            raise Refused(
                f"{path} is a symbolic link, which a command could replace, so the command was "
                "not run; replace the link with what it points to"
            )
        self.read_only.append(path)
        if stat.S_ISREG(info.st_mode) and os.path.basename(path) == ".git":
            target = _gitdir(path)
            if target and os.path.isdir(target) and any(_within(target, w) for w in writable):
                self.read_only.append(target)
        elif stat.S_ISDIR(info.st_mode) and self.registry is not None:
            self._hold(path)  # it may be another command's placeholder

    def _placeholder(self, path: str) -> None:
        try:
            if not self._reuse(path):
                os.mkdir(path, 0o755)
        except FileExistsError:
            self._protect(path, [])
            return
        except OSError as exc:
            if exc.errno in _UNCREATABLE:
                return  # the command, with no more rights than the server, cannot create it
            raise
        self.read_only.append(path)
        if self.registry is not None:
            self._hold(path, owned=True)

    def _recycled(self) -> str:
        assert self.registry is not None
        return os.path.join(self.registry, RECYCLED)

    def _reuse(self, path: str) -> bool:
        """Move an empty recycled folder to ``path``; False when there is none to move there
        (``FileExistsError`` when ``path`` exists by now)."""
        if self.registry is None:
            return False
        try:
            spares = os.listdir(self._recycled())
        except OSError:
            return False
        for name in spares:
            spare = os.path.join(self._recycled(), name)
            try:
                if not stat.S_ISDIR(os.lstat(spare).st_mode) or os.listdir(spare):
                    continue  # not ours to hand out: the release below never keeps such
            except OSError:
                continue
            try:
                linux.rename_noreplace(spare, path)
            except FileExistsError:
                raise
            except OSError:
                return False  # another file system, a folder we cannot write to: mkdir says
            return True
        return False

    def _retire(self, paths: list[str]) -> None:
        """Recycle each of ``paths`` that is still empty (a few kept for reuse), remove the
        others that are."""
        removed = []
        try:
            kept = len(os.listdir(self._recycled()))
        except FileNotFoundError:
            kept = 0
            try:
                os.mkdir(self._recycled(), 0o700)
            except OSError:
                kept = _KEPT_FOR_REUSE  # nowhere to keep them: removed
        except OSError:
            kept = _KEPT_FOR_REUSE
        for path in paths:
            if kept < _KEPT_FOR_REUSE and _recycle(path, self._recycled()):
                kept += 1
            else:
                removed.append(path)
        _remove_empty_all(removed)

    def _hold(self, path: str, owned: bool = False) -> None:
        fd = os.open(self._lock_file(path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_SH)
        self._held.append((path, fd))
        if owned:
            os.pwrite(fd, os.fsencode(path), 0)

    def _registry_lock(self) -> None:
        assert self.registry is not None
        os.makedirs(self.registry, 0o700, exist_ok=True)
        self._lock_fd = os.open(
            os.path.join(self.registry, "lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
        )
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)

    def _registry_unlock(self) -> None:
        os.close(self._lock_fd)
        self._lock_fd = -1

    def claim(self, roots: list[str], writable: list[str]) -> None:
        """Find or create what to protect under ``roots``; raises :class:`Refused`."""
        if self.registry is not None:
            try:
                self._registry_lock()
            except OSError:
                self.registry = None  # placeholders are then left in place: safe, if untidy
        try:
            for root in roots:
                if os.path.isdir(root):
                    for name in PROTECTED_FOLDERS:
                        self._protect(os.path.join(root, name), writable)
        finally:
            if self._lock_fd >= 0:
                self._registry_unlock()

    def release(self) -> None:
        """After the command (and every process of its namespace) has ended: drop this
        command's holds and remove the placeholders nobody else holds."""
        if self.registry is None or not self._held:
            return
        self._registry_lock()
        try:
            unused = [(path, fd) for path, fd in self._held if _ours_and_unused(fd)]
            self._retire([path for path, _ in unused])
            for _, fd in unused:
                os.ftruncate(fd, 0)
        finally:
            for _, fd in self._held:
                os.close(fd)
            self._held.clear()
            self._registry_unlock()


def _ours_and_unused(fd: int) -> bool:
    """Whether the placeholder whose lock file is ``fd`` is ours to remove and nobody else holds
    it (our shared lock, turned exclusive if we are the last: conversion may drop it, which does
    not matter on the way out)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # another command holds it: the last one out removes it
    return os.fstat(fd).st_size > 0
