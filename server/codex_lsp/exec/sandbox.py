"""Turns a sandbox policy into the argv that runs a command under it."""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from pathlib import Path

from codex_lsp.errors import SandboxError
from codex_lsp.exec import landlock, linux
from codex_lsp.protocol.policies import DangerFullAccess, ReadOnly, WorkspaceWrite

Policy = DangerFullAccess | ReadOnly | WorkspaceWrite

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
_SYSTEMS = {"darwin": "macOS", "win32": "Windows", "cygwin": "Windows"}
_LAUNCH_CODE = (
    f"import sys; sys.path.insert(0, {_PACKAGE_PARENT!r}); "
    "from codex_lsp.exec.sandbox_launch import main; raise SystemExit(main(sys.argv[1:]))"
)


def landlock_abi() -> int:
    """The kernel's Landlock ABI (probed once: it cannot change while we run); 0 off Linux."""
    return _probed_abi() if linux.is_linux() else 0


@functools.cache
def _probed_abi() -> int:
    return landlock.abi_version()


def _missing() -> str:
    if not linux.is_linux():
        system = _SYSTEMS.get(sys.platform, sys.platform)
        return f"the sandbox is not available on {system}: it needs Linux (Landlock)"
    return "this kernel has no Landlock support"


def unavailable_reason() -> str | None:
    """Why this machine cannot sandbox commands, or ``None`` when it can."""
    if linux.is_linux() and landlock_abi() >= 1:
        return None
    return _missing()


def unavailable_warning(policy_type: str) -> str:
    """What a conversation says at start when its ``policy_type`` sandbox cannot be enforced
    (``landlock_abi()`` is 0)."""
    fix = (
        "Use a kernel with Landlock (Linux 5.13+), or "
        if linux.is_linux()
        else "Run codex-lsp on Linux, or use "
    )
    return (
        f"{_missing()}, so the {policy_type} sandbox cannot be enforced: commands will be "
        f'refused. {fix}sandbox_mode = "danger-full-access" if you accept unsandboxed commands.'
    )


def writable_roots(policy: WorkspaceWrite, cwd: Path) -> list[str]:
    """Where a workspace-write command may write: cwd, extra roots, /tmp and $TMPDIR."""
    roots = [str(cwd), *(str(r) for r in policy.writable_roots), "/dev/null"]
    if not policy.exclude_slash_tmp:
        roots.append("/tmp")
    tmpdir = os.environ.get("TMPDIR")
    if tmpdir and not policy.exclude_tmpdir_env_var:
        roots.append(tmpdir)
    elif not policy.exclude_tmpdir_env_var:
        roots.append(tempfile.gettempdir())
    return list(dict.fromkeys(roots))


PROTECTED_NAMES = (".git", ".codex", ".codex-lsp")


def read_only_paths(roots: list[str]) -> list[str]:
    """``.git`` / ``.codex`` / ``.codex-lsp`` folders directly inside writable folders: they stay
    read-only so a command cannot rewrite hooks or config that run later."""
    found = []
    for root in roots:
        for name in PROTECTED_NAMES:
            path = os.path.join(root, name)
            if os.path.isdir(path) and not os.path.islink(path):
                found.append(path)
    return found


def sandboxed_argv(argv: list[str], policy: Policy, cwd: Path) -> list[str]:
    """``argv`` wrapped so it runs under ``policy``; raises :class:`SandboxError` when the
    policy asks for a sandbox this kernel cannot provide (the command must not run then)."""
    if isinstance(policy, DangerFullAccess):
        return argv
    reason = unavailable_reason()
    if reason is not None:
        raise SandboxError(
            f"the sandbox policy is {policy.type} but {reason}, so the command was not run. "
            'Use sandbox_mode = "danger-full-access" only if you accept unsandboxed commands.'
        )
    launcher = [sys.executable, "-I", "-S", "-c", _LAUNCH_CODE]
    roots = writable_roots(policy, cwd) if isinstance(policy, WorkspaceWrite) else ["/dev/null"]
    for root in roots:
        launcher += ["--write", root]
    for protected in read_only_paths(roots):
        launcher += ["--read-only", protected]
    if not policy.network_access:
        launcher.append("--no-network")
    return [*launcher, "--", *argv]
