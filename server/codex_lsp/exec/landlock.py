"""Linux Landlock through raw syscalls: restrict the calling process to writing only beneath
given roots, and (ABI 4+) forbid TCP connect/bind. Reads stay allowed everywhere.

Used by :mod:`codex_lsp.exec.sandbox_launch` in the child just before ``execvp``; the
restriction is inherited by everything the command starts and cannot be lifted. Landlock exists
only on Linux: elsewhere the probe answers 0 without making any system call.
"""

from __future__ import annotations

import ctypes
import os

from codex_lsp.exec import linux

_SYS_CREATE_RULESET = 444
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

_WRITE_FILE = 1 << 1
_REMOVE_DIR = 1 << 4
_REMOVE_FILE = 1 << 5
_MAKE_ALL = sum(1 << b for b in range(6, 13))  # char, dir, reg, sock, fifo, block, sym
_REFER = 1 << 13
_TRUNCATE = 1 << 14
_NET_BIND_TCP = 1 << 0
_NET_CONNECT_TCP = 1 << 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """The kernel's Landlock ABI version, or 0 when Landlock is unavailable (always 0 on
    systems other than Linux, where these syscall numbers mean something else)."""
    if not linux.is_linux():
        return 0
    try:
        result = int(linux.libc().syscall(_SYS_CREATE_RULESET, None, 0, _CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(result, 0)


def _write_access(abi: int) -> int:
    access = _WRITE_FILE | _REMOVE_DIR | _REMOVE_FILE | _MAKE_ALL
    if abi >= 2:
        access |= _REFER
    if abi >= 3:
        access |= _TRUNCATE
    return access


def restrict_self(writable: list[str], block_network: bool) -> None:
    """Apply the sandbox to this process. Raises ``OSError`` if the kernel refuses."""
    abi = abi_version()
    if abi < 1:
        raise OSError("Landlock is not available in this kernel")
    libc = linux.libc()
    handled = _write_access(abi)
    net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if (block_network and abi >= 4) else 0
    attr = _RulesetAttr(handled, net)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 4 else 8
    ruleset = linux.check(
        libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), size, 0), "landlock_create_ruleset"
    )
    try:
        for root in writable:
            _allow(libc, ruleset, root, handled)
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1, "prctl(NO_NEW_PRIVS)")
        linux.check(libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0), "landlock_restrict_self")
    finally:
        os.close(ruleset)


def _allow(libc: ctypes.CDLL, ruleset: int, path: str, handled: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        access = handled if os.path.isdir(path) else handled & (_WRITE_FILE | _TRUNCATE)
        rule = _PathBeneathAttr(access, fd)
        result = libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0)
        linux.check(result, f"landlock_add_rule for {path}")
    finally:
        os.close(fd)
