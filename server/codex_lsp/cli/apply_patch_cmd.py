"""``codex-lsp apply-patch [PATCH]``: Codex's apply_patch command-line contract. The patch comes
from the argument or stdin and applies relative to the current directory. Success: exit 0 and
the summary on stdout; an error: exit 1 and the message on stderr; no patch: exit 2."""

from __future__ import annotations

import os
import sys

from codex_lsp.patch.files import apply_hunks
from codex_lsp.patch.model import PatchError
from codex_lsp.patch.parser import parse_patch

USAGE = "Usage: codex-lsp apply-patch 'PATCH'\n       echo 'PATCH' | codex-lsp apply-patch"


def run_apply_patch(patch: str | None) -> int:
    """Apply ``patch`` (or stdin) in the current directory."""
    if patch is None:
        patch = "" if sys.stdin.isatty() else sys.stdin.read()
    if not patch.strip():
        print(USAGE, file=sys.stderr)
        return 2
    try:
        summary = apply_hunks(parse_patch(patch), os.getcwd())
    except PatchError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    sys.stdout.write(summary.text())
    return 0
