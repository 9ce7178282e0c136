"""The few Linux system calls the sandbox and the server's hardening make, through ctypes: one
libc handle, errors raised as ``OSError`` with the call named. Imported by the sandbox launcher,
so it stays light; callers check :func:`is_linux` before using anything here."""

from __future__ import annotations

import ctypes
import errno
import os
import sys

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
PR_SET_SECCOMP = 22
CAP_SYS_PTRACE = 19
CAP_SYS_ADMIN = 21


def is_linux() -> bool:
    """True on Linux, the only system these calls exist on (read at call time, so tests can
    simulate another platform)."""
    return sys.platform.startswith("linux")


_LIBC: list[ctypes.CDLL] = []  # loaded once (functools would cost the launcher an import)


def libc() -> ctypes.CDLL:
    """The C library of this process, with ``errno`` kept for :func:`check`."""
    if not _LIBC:
        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


def check(result: int, what: str) -> int:
    """``result`` of a libc call, or ``OSError`` naming ``what`` when it failed (-1)."""
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


_CLONE = {"x86_64": 56, "aarch64": 220}  # the clone system call's number per machine
_RENAMEAT2 = {"x86_64": 316, "aarch64": 276}
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_SIGCHLD = 17


def _syscall_number(table: dict[str, int], name: str) -> int:
    number = table.get(os.uname().machine)
    if number is None:
        raise OSError(errno.ENOSYS, f"no {name} system call number for {os.uname().machine}")
    return number


def rename_noreplace(source: str, target: str) -> None:
    """Rename ``source`` to ``target`` unless ``target`` exists (``FileExistsError`` then): one
    atomic step, where ``os.rename`` would replace an empty folder at ``target``."""
    path = os.fsencode
    number = _syscall_number(_RENAMEAT2, "renameat2")
    result = libc().syscall(
        number, _AT_FDCWD, path(source), _AT_FDCWD, path(target), _RENAME_NOREPLACE
    )
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), source, None, target)


def clone(namespaces: int) -> int:
    """``fork()`` into the new ``namespaces`` (CLONE_NEW* flags) at once, which ``fork`` then
    ``unshare`` cannot do for a PID namespace (the child would not be its PID 1): the raw
    system call, whose child goes on like a forked one. Only for a single-threaded process
    that needs none of Python's ``fork`` hooks (the launcher). Returns 0 in the child."""
    number = _syscall_number(_CLONE, "clone")
    flags = ctypes.c_ulong(namespaces | _SIGCHLD)
    return check(libc().syscall(number, flags, None, None, None, None), "clone")


def prctl(option: int, arg: int, what: str) -> None:
    """``prctl(option, arg, 0, 0, 0)``."""
    check(libc().prctl(option, ctypes.c_ulong(arg), 0, 0, 0), what)
