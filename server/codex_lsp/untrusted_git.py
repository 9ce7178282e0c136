"""git run by the server itself (not by a sandboxed command) in a repository that may be hostile.

A repository's own ``.git/config`` can name commands git runs on its behalf: hooks
(``core.hooksPath``, ``.git/hooks``), a file-system monitor (``core.fsmonitor``), an external
diff or a text conversion for ``diff``/``show``. Every git call of the server goes through
:func:`git_argv`, which switches those off, and :func:`git_env`, which takes no optional lock
(the user's own git keeps working beside us) and never prompts. The child never gets the
server's stdin (for the LSP server that is the client's pipe): callers pass input or nothing.
"""

from __future__ import annotations

import os

SAFE_OPTIONS = (
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "diff.external=",
)
"""Options that keep a repository's configuration from running a command of its choosing."""
DIFF_OPTIONS = ("--no-ext-diff", "--no-textconv")
"""For ``diff``/``show``: no diff driver or text conversion the repository configured."""


def git_argv(git: str, *args: str) -> list[str]:
    """The argv of ``git args`` with :data:`SAFE_OPTIONS` (``git`` is the executable's path)."""
    return [git, *SAFE_OPTIONS, *args]


def git_env() -> dict[str, str]:
    """The server's environment for a git child: no optional locks, no terminal prompt."""
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
