"""git run by the server itself (not by a sandboxed command) in a repository that may be hostile.

A repository's own ``.git/config`` can name commands git runs on its behalf: hooks
(``core.hooksPath``, ``.git/hooks``), a file-system monitor (``core.fsmonitor``), an external
diff or a text conversion for ``diff``/``show``, a signature checker (``gpg.program`` with
``log.showSignature``), and clean / smudge filters that git runs on a work-tree file whenever it
compares its content (``diff``, ``diff-files``). Every git call of the server goes through
:func:`git_argv` (or :func:`run_git`), which switches those off: for the filters, the ones the
repository configures are read first (reading configuration runs nothing) and each is set to no
command. :func:`git_env` takes no optional lock (the user's own git keeps working beside us) and
never prompts. The child never gets the server's stdin (for the LSP server that is the client's
pipe). These calls block: async callers run them in a worker thread.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SAFE_OPTIONS = (
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "diff.external=",
    "-c",
    "log.showSignature=false",
)
"""Options that keep a repository's configuration from running a command of its choosing."""
DIFF_OPTIONS = ("--no-ext-diff", "--no-textconv")
"""For ``diff``/``show``: no diff driver or text conversion the repository configured."""
GIT_TIMEOUT_S = 20.0
_FILTER_KEYS = r"^filter\..*\.(clean|smudge|process)$"


def git_argv(git: str, *args: str) -> list[str]:
    """The argv of ``git args`` with :data:`SAFE_OPTIONS` (``git`` is the executable's path)."""
    return [git, *SAFE_OPTIONS, *args]


def git_env() -> dict[str, str]:
    """The server's environment for a git child: no optional locks, no terminal prompt."""
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}


def run_git(
    cwd: Path,
    *args: str,
    stdin: bytes = b"",
    git: str = "git",
    timeout_s: float = GIT_TIMEOUT_S,
) -> subprocess.CompletedProcess[bytes]:
    """``git args`` in ``cwd`` with the safe options and environment, ``stdin`` as its input.
    Raises ``OSError`` when git cannot start, ``subprocess.TimeoutExpired`` past the timeout."""
    return subprocess.run(
        git_argv(git, *args),
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=timeout_s,
        env=git_env(),
        check=False,
    )


def no_filters(cwd: Path, git: str = "git") -> list[str]:
    """``-c`` options that turn every clean / smudge filter the repository at ``cwd``
    configures into no command (put them before the subcommand of a call that compares
    work-tree content). Empty when there are none, or when git cannot say (then it runs none
    either: the caller's own call fails the same way)."""
    try:
        done = run_git(
            cwd, "config", "--null", "--name-only", "--get-regexp", _FILTER_KEYS, git=git
        )
    except (OSError, subprocess.SubprocessError):
        return []
    drivers = {
        name.rsplit(".", 1)[0]
        for name in os.fsdecode(done.stdout).split("\0")
        if name.startswith("filter.")
    }
    options: list[str] = []
    for driver in sorted(drivers):
        for key in ("clean", "smudge", "process"):
            options += ["-c", f"{driver}.{key}="]
        options += ["-c", f"{driver}.required=false"]
    return options
