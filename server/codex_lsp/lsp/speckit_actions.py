"""spec-kit in plain LSP, on the cold-start path: the ``codex-lsp.speckit.<name>`` commands the
server advertises (one per ``/speckit.*`` command of the registry), and which documents may
get spec-kit code actions (a file inside a SPEC folder of either layout), so the code action
handler asks the backend only for those."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlparse

from codex_lsp.speckit.commands import REGISTRY

PREFIX = "codex-lsp."
SPECKIT_COMMANDS: tuple[str, ...] = tuple(f"{PREFIX}{c.name}" for c in REGISTRY.commands)
"""``codex-lsp.speckit.plan``, …: ``workspace/executeCommand`` names of the spec-kit commands."""
ANSWER_COMMAND = f"{PREFIX}speckit.answer"
"""``[runId, checkpoint, issueId, answer?]``: answer a quality-gate question (here, not beside
its handler in :mod:`codex_lsp.lsp.speckit_gates`, so announcing it at start-up does not import
the spec-kit engine before ``initialize`` is answered)."""
_SPEC_FILE = re.compile(r"/(?:docs/SPEC-[A-Za-z0-9]+-\d+[^/]*|specs/\d+-[^/]+)/[^/]+$")


def may_offer(uri: str) -> bool:
    """The document is a file directly inside a SPEC folder (``docs/SPEC-KIT-071-x/spec.md``,
    ``specs/001-user-auth/plan.md``)."""
    parsed = urlparse(uri)
    return parsed.scheme == "file" and bool(_SPEC_FILE.search(unquote(parsed.path)))
