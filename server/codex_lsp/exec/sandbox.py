"""Turns a sandbox policy into the argv that runs a command under it: every command goes through
the launcher (:mod:`codex_lsp.exec.sandbox_launch`), sandboxed or not, so that it and everything
it starts end with it and with the server."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
from pathlib import Path

from codex_lsp.config.loader import codex_lsp_home
from codex_lsp.errors import SandboxError
from codex_lsp.exec import landlock, linux
from codex_lsp.protocol.policies import DangerFullAccess, ReadOnly, WorkspaceWrite

Policy = DangerFullAccess | ReadOnly | WorkspaceWrite

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
_LAUNCH_CODE = (  # os._exit: no interpreter teardown to wait for
    f"import os, sys; sys.path.insert(0, {_PACKAGE_PARENT!r}); "
    "from codex_lsp.exec.sandbox_launch import main; code = main(sys.argv[1:]); "
    "sys.stderr.flush(); os._exit(code)"
)
_FORK_SERVER_CODE = (
    f"import sys; sys.path.insert(0, {_PACKAGE_PARENT!r}); "
    "from codex_lsp.exec.forkserver import main; raise SystemExit(main(sys.argv[1:]))"
)
_SYSTEMS = {"darwin": "macOS", "win32": "Windows", "cygwin": "Windows"}


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


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def hidden_folders(keep: list[Path]) -> list[Path]:
    """The server's own folders, which commands must not read: ``$CODEX_LSP_HOME`` (config.toml
    with header secrets, state.db) and Codex's ``~/.codex`` (its config.toml is ours when ours
    is missing). One that holds a folder in ``keep`` (the workspace) stays visible."""
    found = []
    for folder in (codex_lsp_home(), Path.home() / ".codex"):
        real = folder.expanduser().resolve()
        if real.is_dir() and not any(_within(k, real) for k in keep):
            found.append(real)
    return list(dict.fromkeys(found))


def _python(code: str) -> list[str]:
    return [sys.executable, "-I", "-S", "-c", code]


def fork_server_argv() -> list[str]:
    """The fork server's command line (:mod:`codex_lsp.exec.forkserver`), without its options."""
    return _python(_FORK_SERVER_CODE)


def launcher_args(argv: list[str]) -> list[str] | None:
    """The launcher's own arguments when ``argv`` is one :func:`sandboxed_argv` made for a child
    of this process (``--parent`` its pid): the fork server then starts that launcher without
    an interpreter's start (:mod:`codex_lsp.exec.spawn`). ``None`` for any other argv."""
    prefix = _python(_LAUNCH_CODE)
    parent = ["--parent", str(os.getpid())]
    if argv[: len(prefix)] != prefix or argv[len(prefix) : len(prefix) + 2] != parent:
        return None
    return argv[len(prefix) :]


def sandboxed_argv(
    argv: list[str],
    policy: Policy,
    cwd: Path,
    *,
    keep_background: bool = False,
    our_child: bool = True,
    tty: bool = False,
) -> list[str]:
    """``argv`` wrapped so it runs under ``policy``, with ``cwd`` the conversation's folder (the
        writable root: never the command's own working folder, which the model chooses). Raises
        :class:`SandboxError` when the policy asks for a sandbox this machine cannot provide (the
        command must not run then). ``keep_background`` is the seam for background terminals: the
        command's descendants then outlive it (never the server). ``our_child=False`` is for a
        command another program starts (an ACP client's terminal): the launcher then does not tie
        its life to this server's, whose child it is not (``--parent 0``). ``tty``: the command's
    stdin is a pseudo-terminal, to become its controlling terminal (a terminal of
    ``exec_command``)."""
    if isinstance(policy, DangerFullAccess) and not linux.is_linux():
        return argv  # nothing to supervise with off Linux
    parent = str(os.getpid()) if our_child else "0"
    launcher = [*_python(_LAUNCH_CODE), "--parent", parent]
    if keep_background:
        launcher.append("--keep-background")
    if tty:
        launcher.append("--tty")
    if isinstance(policy, DangerFullAccess):
        return [*launcher, "--unsandboxed", "--", *argv]
    reason = unavailable_reason()
    if reason is not None:
        raise SandboxError(
            f"the sandbox policy is {policy.type} but {reason}, so the command was not run. "
            'Use sandbox_mode = "danger-full-access" only if you accept unsandboxed commands.'
        )
    cwd = cwd.resolve()
    registry = codex_lsp_home().expanduser().resolve() / "sandbox"
    with contextlib.suppress(OSError):  # made now, so that the home is there to hide
        registry.mkdir(mode=0o700, parents=True, exist_ok=True)
    if isinstance(policy, WorkspaceWrite):
        roots = writable_roots(policy, cwd)
        protected = [cwd, *(Path(r).expanduser().resolve() for r in policy.writable_roots)]
    else:
        roots, protected = ["/dev/null"], []
    for root in roots:
        launcher += ["--write", root]
    for folder in dict.fromkeys(protected):
        launcher += ["--protect", str(folder)]
    for folder in hidden_folders(protected or [cwd]):
        launcher += ["--hide", str(folder)]
    launcher += ["--registry", str(registry)]
    if not policy.network_access:
        launcher.append("--no-network")
    return [*launcher, "--", *argv]
