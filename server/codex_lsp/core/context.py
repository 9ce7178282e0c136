"""Builds what opens a conversation's history: the AGENTS.md instructions (found by
:mod:`codex_lsp.core.instructions`), the environment context (cwd, shell, policies) and the
skills' names and descriptions (:mod:`codex_lsp.core.skills`)."""

from __future__ import annotations

import os
from pathlib import Path

from codex_lsp.config.model import Config
from codex_lsp.core.instructions import instruction_files, instructions_text
from codex_lsp.core.skills import find_skills, skills_prompt
from codex_lsp.core.turn_context import TurnContext
from codex_lsp.protocol.history import InputText, UserMessage
from codex_lsp.protocol.policies import DangerFullAccess, ReadOnly

SUMMARY_PREFIX = (
    "Another language model started to solve this problem and produced a summary of its "
    "thinking process. You also have access to the state of the tools that were used by that "
    "language model. Use this to build on the work that has already been done and avoid "
    "duplicating work. Here is the summary produced by the other language model, use the "
    "information in this summary to assist with your own analysis:"
)


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


def initial_context(ctx: TurnContext, config: Config, home: Path | None) -> list[UserMessage]:
    """The messages that open a conversation's history."""
    messages: list[UserMessage] = []
    files = instruction_files(
        ctx.cwd, config.project_doc_max_bytes, home, config.project_doc_fallback_filenames
    )
    docs = instructions_text(files)
    if docs:
        text = f"# AGENTS.md instructions for {ctx.cwd}\n\n<INSTRUCTIONS>\n{docs}\n</INSTRUCTIONS>"
        messages.append(UserMessage(content=[InputText(text=text)]))
    messages.append(UserMessage(content=[InputText(text=environment_context(ctx))]))
    skills = skills_prompt(find_skills(ctx.cwd, home, config).enabled())
    if skills:
        messages.append(UserMessage(content=[InputText(text=skills)]))
    return messages
