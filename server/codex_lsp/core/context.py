"""Builds what the model is told besides the history: base instructions, AGENTS.md files from
the repository root down to cwd, and the environment context (cwd, shell, policies)."""

from __future__ import annotations

import os
from pathlib import Path

from codex_lsp.core.turn_context import TurnContext
from codex_lsp.protocol.history import InputText, UserMessage
from codex_lsp.protocol.policies import DangerFullAccess, ReadOnly

AGENTS_FILE = "AGENTS.md"
SUMMARY_PREFIX = (
    "Another language model started to solve this problem and produced a summary of its "
    "thinking process. You also have access to the state of the tools that were used by that "
    "language model. Use this to build on the work that has already been done and avoid "
    "duplicating work. Here is the summary produced by the other language model, use the "
    "information in this summary to assist with your own analysis:"
)


def project_root(cwd: Path) -> Path:
    """The nearest folder at or above ``cwd`` holding ``.git``, else ``cwd``."""
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists():
            return folder
    return cwd


def agents_files(cwd: Path) -> list[Path]:
    """AGENTS.md files from the project root down to ``cwd``, outermost first."""
    root = project_root(cwd)
    parts = cwd.relative_to(root).parts
    folders = [root.joinpath(*parts[:depth]) for depth in range(len(parts) + 1)]
    return [f / AGENTS_FILE for f in folders if (f / AGENTS_FILE).is_file()]


def project_docs(cwd: Path, max_bytes: int, home: Path | None) -> str | None:
    """The AGENTS.md text for ``cwd`` (the user's global one first), capped at ``max_bytes``."""
    paths = [home / AGENTS_FILE] if home and (home / AGENTS_FILE).is_file() else []
    paths += agents_files(cwd)
    parts: list[str] = []
    budget = max_bytes
    for path in paths:
        if budget <= 0:
            break
        try:
            data = path.read_bytes()[:budget]
        except OSError:
            continue
        budget -= len(data)
        parts.append(f"--- {path} ---\n{data.decode('utf-8', 'replace').strip()}")
    return "\n\n".join(parts) if parts else None


def environment_context(ctx: TurnContext) -> str:
    """The ``<environment_context>`` block the model reads its situation from."""
    policy = ctx.sandbox_policy
    network = (
        "enabled"
        if isinstance(policy, DangerFullAccess) or getattr(policy, "network_access", False)
        else "restricted"
    )
    lines = [
        "<environment_context>",
        f"  <cwd>{ctx.cwd}</cwd>",
        f"  <approval_policy>{ctx.approval_policy.value}</approval_policy>",
        f"  <sandbox_mode>{policy.type}</sandbox_mode>",
        f"  <network_access>{network}</network_access>",
    ]
    if not isinstance(policy, DangerFullAccess | ReadOnly) and policy.writable_roots:
        roots = "".join(f"<root>{r}</root>" for r in policy.writable_roots)
        lines.append(f"  <writable_roots>{roots}</writable_roots>")
    lines += [
        f"  <shell>{Path(os.environ.get('SHELL', 'bash')).name}</shell>",
        "</environment_context>",
    ]
    return "\n".join(lines)


def initial_context(ctx: TurnContext, max_doc_bytes: int, home: Path | None) -> list[UserMessage]:
    """The messages that open a conversation's history."""
    messages: list[UserMessage] = []
    docs = project_docs(ctx.cwd, max_doc_bytes, home)
    if docs:
        text = f"# AGENTS.md instructions for {ctx.cwd}\n\n<INSTRUCTIONS>\n{docs}\n</INSTRUCTIONS>"
        messages.append(UserMessage(content=[InputText(text=text)]))
    messages.append(UserMessage(content=[InputText(text=environment_context(ctx))]))
    return messages
