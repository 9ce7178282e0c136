"""The lifecycle hooks a conversation fires around its turns (:mod:`codex_lsp.core.hooks`):
SessionStart when it starts, UserPromptSubmit before a prompt is sent (which may hold it back),
Stop when the agent has finished. The tool-call hooks are the turn's own
(:meth:`~codex_lsp.core.turn.TurnRunner.call_tool`)."""

from __future__ import annotations

import asyncio

from codex_lsp.config.secrets import credential_variables
from codex_lsp.core.hooks import HookSite
from codex_lsp.core.recorder import SESSION_SUBMISSION_ID
from codex_lsp.core.turn import TurnRunner
from codex_lsp.core.turn_context import TurnContext
from codex_lsp.core.turn_parts import TurnParts
from codex_lsp.exec.env import command_env
from codex_lsp.protocol.events import WarningEvent
from codex_lsp.protocol.items import TextInput, UserInputItem


async def session_start(parts: TurnParts, ctx: TurnContext, resumed: bool) -> None:
    """``SessionStart`` (``source``: startup or resume); it only observes."""
    source = "resume" if resumed else "startup"
    site = HookSite(
        session_id=parts.conversation_id,
        cwd=ctx.cwd,
        model=ctx.model,
        permission_mode=ctx.approval_policy.value,
        env=command_env(
            parts.config.shell_environment_policy, credentials=credential_variables(parts.config)
        ),
    )
    outcome = await parts.settings.hooks.fire("SessionStart", {"source": source}, site, source)
    for problem in outcome.problems:
        parts.recorder.emit(SESSION_SUBMISSION_ID, WarningEvent(message=f"hook failed: {problem}"))


async def user_prompt_submit(turn: TurnRunner, items: list[UserInputItem]) -> str | None:
    """``UserPromptSubmit`` (after the SessionStart hooks are done); the reason when a hook
    blocked the prompt (it is then not sent)."""
    started = [t for t in turn.parts.session_hooks if not t.done()]
    if started:
        await asyncio.wait(started)  # never raises: a failed hook was reported
    prompt = "\n".join(i.text for i in items if isinstance(i, TextInput))
    outcome = await turn.fire_hook("UserPromptSubmit", {"prompt": prompt})
    if not outcome.blocked:
        return None
    reason = outcome.reason or "blocked by a hook"
    message = f"the prompt was not sent: a UserPromptSubmit hook said {reason}"
    turn.emit(WarningEvent(message=message))
    return reason


async def stop(turn: TurnRunner, last_message: str | None) -> None:
    """``Stop``, when the agent has finished the turn; it only observes."""
    payload = {"stop_hook_active": False, "last_assistant_message": last_message}
    await turn.fire_hook("Stop", payload)
