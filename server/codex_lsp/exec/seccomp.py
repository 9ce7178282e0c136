"""A seccomp filter that keeps a sandboxed command off the network: ``socket()`` for any family
but ``AF_UNIX`` fails with EPERM (this covers UDP, raw and every other family, which Landlock's
TCP rules do not), and so does ``io_uring_setup`` (io_uring can create sockets). Applied by the
sandbox launcher after Landlock, just before ``execvp``; inherited and permanent."""

from __future__ import annotations

import ctypes
import errno
import os

from codex_lsp.exec import linux

_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_RET_K = 0x06
_AF_UNIX = 1
_IO_URING_SETUP = 425

# (audit arch, socket syscall number) per machine
_ARCH = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}


class _Filter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint),
    ]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Filter))]


def _machine() -> str:
    return os.uname().machine


def supported() -> bool:
    """True on the Linux machines this filter knows the syscall numbers of."""
    return linux.is_linux() and _machine() in _ARCH


def _program() -> list[tuple[int, int, int, int]]:
    arch, socket_nr = _ARCH[_machine()]
    deny = _RET_ERRNO | errno.EPERM
    return [
        (_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (_JEQ_K, 1, 0, arch),
        (_RET_K, 0, 0, deny),  # another ABI (e.g. 32-bit): refuse everything
        (_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        (_JEQ_K, 0, 1, _IO_URING_SETUP),
        (_RET_K, 0, 0, deny),
        (_JEQ_K, 0, 3, socket_nr),
        (_LD_W_ABS, 0, 0, 16),  # seccomp_data.args[0] (low half): the address family
        (_JEQ_K, 1, 0, _AF_UNIX),
        (_RET_K, 0, 0, deny),
        (_RET_K, 0, 0, _RET_ALLOW),
    ]


_COMPILED: list[tuple[_Program, ctypes.Array[_Filter]]] = []
"""The filter, built once per process (the fork server builds it: launchers inherit it)."""


def compile_filter() -> _Program:
    """The filter as the kernel takes it, built on the first call."""
    if not _COMPILED:
        rows = _program()
        filters = (_Filter * len(rows))(*(_Filter(*row) for row in rows))
        _COMPILED.append((_Program(len(rows), filters), filters))
    return _COMPILED[0][0]


def deny_network() -> None:
    """Install the filter on this process (needs no_new_privs, which Landlock already set)."""
    if not supported():
        raise OSError(f"no seccomp network filter for {_machine()}")
    result = linux.libc().prctl(
        linux.PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(compile_filter()), 0, 0
    )
    linux.check(result, "prctl(PR_SET_SECCOMP)")
