"""Allows ``python -m codex_lsp``.

``-m`` puts the working directory first on the import path, and the server's working directory
is usually the workspace: a module the repository planted there (``pydantic.py``, ``json.py``)
would be imported, unsandboxed, in place of the real one at its first import. That entry goes
before anything else is imported (editors should also pass ``-P``, which keeps it off, so that
the ``codex_lsp`` package itself cannot be planted either)."""

import os
import sys

if sys.path and not sys.flags.safe_path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from codex_lsp.cli.main import run

run()
