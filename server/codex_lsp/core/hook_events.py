"""Where a conversation fires its lifecycle hooks (:mod:`codex_lsp.core.hooks`): the event
payloads, Codex's field names, and what a blocking hook does to the turn."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from codex_lsp.core.hooks import HookOutcome
from codex_lsp.exec.env import command_env
from codex_lsp.protocol.events import WarningEvent
from codex_lsp.protocol.history import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
)
from codex_lsp.protocol.items import TextInput, UserInputItem

if TYPE_CHECKING:
    from codex_lsp.core.conversation import Conversation
    from codex_lsp.core.turn import TurnRunner


def _common(conv: Conversation, turn: TurnRunner | None) -> dict[str, Any]:
    ctx = turn.ctx if turn is not None else conv.ctx
    body: dict[str, Any] = {
        "session_id": conv.id,
        "transcript_path": None,
        "cwd": str(ctx.cwd),
        "model": ctx.model,
        "permission_mode": ctx.approval_policy.value,
    }
    if turn is not None:
        body["turn_id"] = turn.turn_id
    return body


async def _fire(
    conv: Conversation,
    turn: TurnRunner | None,
    event: str,
    payload: dict[str, Any],
    target: str | None = None,
) -> HookOutcome:
    """Run the hooks and report the ones that failed as warnings."""
    if not conv.hooks.matching(event, target):
        return HookOutcome()
    ctx = turn.ctx if turn is not None else conv.ctx
    env = command_env(conv.config.shell_environment_policy)
    body = {**_common(conv, turn), **payload}
    outcome = await conv.hooks.fire(event, body, ctx.cwd, env, target)
    for problem in outcome.problems:
        warning = WarningEvent(message=f"hook failed: {problem}")
        if turn is not None:
            turn.emit(warning)
        else:
            from codex_lsp.core.conversation import SESSION_SUBMISSION_ID

            conv.emit(SESSION_SUBMISSION_ID, warning)
    return outcome


async def session_start(conv: Conversation, resumed: bool) -> None:
    """``SessionStart`` (``source``: startup or resume); it only observes."""
    source = "resume" if resumed else "startup"
    await _fire(conv, None, "SessionStart", {"source": source}, target=source)


async def user_prompt_submit(turn: TurnRunner, items: list[UserInputItem]) -> str | None:
    """``UserPromptSubmit`` (after the SessionStart hooks are done); the reason when a hook
    blocked the prompt (it is then not sent)."""
    started = turn.conversation.session_hooks
    if started is not None and not started.done():
        await asyncio.wait([started])  # never raises: a failed hook was reported
    prompt = "\n".join(i.text for i in items if isinstance(i, TextInput))
    outcome = await _fire(turn.conversation, turn, "UserPromptSubmit", {"prompt": prompt})
    if not outcome.blocked:
        return None
    reason = outcome.reason or "blocked by a hook"
    turn.emit(
        WarningEvent(message=f"the prompt was not sent: a UserPromptSubmit hook said {reason}")
    )
    return reason


def _tool_input(call: FunctionCall | CustomToolCall) -> Any:
    if isinstance(call, CustomToolCall):
        return {"input": call.input}
    try:
        return json.loads(call.arguments)
    except ValueError:
        return {"arguments": call.arguments}


async def call_tool(
    turn: TurnRunner, call: FunctionCall | CustomToolCall
) -> FunctionCallOutput | CustomToolCallOutput:
    """``PreToolUse`` (which may deny the call; the model is told why), the call, then
    ``PostToolUse`` with what the tool answered."""
    conv = turn.conversation
    about = {"tool_name": call.name, "tool_input": _tool_input(call), "tool_use_id": call.call_id}
    pre = await _fire(conv, turn, "PreToolUse", about, target=call.name)
    if pre.blocked:
        text = (
            f"a PreToolUse hook denied this {call.name} call: {pre.reason or 'no reason given'}. "
            "Do not retry it as is."
        )
        if isinstance(call, CustomToolCall):
            return CustomToolCallOutput(call_id=call.call_id, output=text)
        return FunctionCallOutput(call_id=call.call_id, output=text, success=False)
    output = await conv.tools.dispatch(turn, call)
    await _fire(conv, turn, "PostToolUse", {**about, "tool_response": output.output}, call.name)
    return output


async def stop(turn: TurnRunner, last_message: str | None) -> None:
    """``Stop``, when the agent has finished the turn; it only observes."""
    payload = {"stop_hook_active": False, "last_assistant_message": last_message}
    await _fire(turn.conversation, turn, "Stop", payload)
