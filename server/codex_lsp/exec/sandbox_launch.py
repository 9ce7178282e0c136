"""``sandbox_launch [--write DIR]... [--read-only DIR]... [--no-network] -- CMD...``

Remounts the ``--read-only`` folders read-only in a private mount namespace (best effort: a
warning on stderr when the kernel refuses namespaces), applies Landlock (and seccomp when the
network is off) to itself, then replaces itself with CMD. Exit status 126 with a
message on stderr means the sandbox could not be applied, and CMD did not run.
"""

from __future__ import annotations

import os
import sys

SANDBOX_FAILED_EXIT = 126
SANDBOX_FAILED_MARKER = "codex-lsp sandbox:"


def main(argv: list[str]) -> int:
    """Parse the launcher's arguments, restrict, exec."""
    from codex_lsp.exec.landlock import restrict_self
    from codex_lsp.exec.mounts import make_read_only
    from codex_lsp.exec.seccomp import deny_network

    writable: list[str] = []
    read_only: list[str] = []
    block_network = False
    args = list(argv)
    while args and args[0] != "--":
        flag = args.pop(0)
        if flag == "--write" and args:
            writable.append(args.pop(0))
        elif flag == "--read-only" and args:
            read_only.append(args.pop(0))
        elif flag == "--no-network":
            block_network = True
        else:
            print(f"{SANDBOX_FAILED_MARKER} unknown option {flag}", file=sys.stderr)
            return SANDBOX_FAILED_EXIT
    command = args[1:]
    if not command:
        print(f"{SANDBOX_FAILED_MARKER} no command given", file=sys.stderr)
        return SANDBOX_FAILED_EXIT
    try:
        make_read_only(read_only)
    except OSError as exc:
        print(
            f"{SANDBOX_FAILED_MARKER} warning: {', '.join(read_only)} stay writable ({exc})",
            file=sys.stderr,
        )
    try:
        restrict_self(writable, block_network)
        if block_network:
            deny_network()
    except OSError as exc:
        print(f"{SANDBOX_FAILED_MARKER} cannot apply the sandbox: {exc}", file=sys.stderr)
        return SANDBOX_FAILED_EXIT
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        print(f"{command[0]}: {exc.strerror}", file=sys.stderr)
        return 127
    return 0  # pragma: no cover - execvp does not return


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
