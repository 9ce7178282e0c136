"""What a conversation does once as it starts: its row in the store (a new one), the settings
event it opens with, and its warnings (checked anew at every start or resume: sent, not stored)."""

from __future__ import annotations

from typing import Any

from codex_lsp.core.journal import NewConversationRow
from codex_lsp.core.prompts import load_prompt
from codex_lsp.core.turn_context import TurnContext
from codex_lsp.core.turn_parts import TurnParts
from codex_lsp.exec.sandbox import landlock_abi, unavailable_warning
from codex_lsp.protocol.events import SessionConfiguredEvent
from codex_lsp.protocol.modes import exact_mode
from codex_lsp.protocol.policies import DangerFullAccess


def store_new(parts: TurnParts, ctx: TurnContext, forked_from: str | None) -> None:
    """Create the conversation's row (its base instructions only when they are not the
    default's)."""
    default = parts.base_instructions == load_prompt("base_instructions")
    parts.recorder.journal.create(
        NewConversationRow(
            cwd=str(ctx.cwd),
            model=ctx.model,
            provider=ctx.provider_id,
            base_instructions=None if default else parts.base_instructions,
            forked_from=forked_from,
        )
    )


def startup_warnings(parts: TurnParts, ctx: TurnContext, given: list[str]) -> list[str]:
    """The warnings a conversation opens with: ``given`` (the config's), the command rules'
    and hooks' files, and a sandbox this machine cannot enforce."""
    settings = parts.settings
    found = [*given, *settings.command_rules.warnings, *settings.hooks.warnings]
    policy = ctx.sandbox_policy
    if not isinstance(policy, DangerFullAccess) and landlock_abi() < 1:
        found.append(unavailable_warning(policy.type))
    return found


def session_configured(
    conversation_id: str,
    ctx: TurnContext,
    forked_from: str | None,
    initial: list[dict[str, Any]] | None,
) -> SessionConfiguredEvent:
    """The settings event of a conversation in ``ctx`` (with replayed messages on resume)."""
    return SessionConfiguredEvent(
        session_id=conversation_id,
        model=ctx.model,
        model_provider_id=ctx.provider_id,
        approval_policy=ctx.approval_policy,
        sandbox_policy=ctx.sandbox_policy,
        cwd=ctx.cwd,
        reasoning_effort=ctx.effort,
        reasoning_summary=ctx.summary,
        forked_from_id=forked_from,
        initial_messages=initial,
        mode=exact_mode(ctx.approval_policy, ctx.sandbox_policy),
    )
