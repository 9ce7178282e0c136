"""Tasks other than a regular turn: compaction and review."""

from __future__ import annotations

import shutil
from pathlib import Path

from codex_lsp.core.context import SUMMARY_PREFIX, initial_context
from codex_lsp.core.prompts import load_prompt
from codex_lsp.core.turn import TurnRunner
from codex_lsp.exec.runner import run_command
from codex_lsp.protocol.events import (
    ContextCompactedEvent,
    EnteredReviewModeEvent,
    ExitedReviewModeEvent,
    ItemCompletedEvent,
    ItemStartedEvent,
    WarningEvent,
)
from codex_lsp.protocol.history import AssistantMessage, HistoryItem, InputText, UserMessage
from codex_lsp.protocol.items import ContextCompactionItem, ReviewRequest, ReviewTarget
from codex_lsp.tools.shell import truncate_middle

KEEP_USER_MESSAGES_CHARS = 80_000
REVIEW_DIFF_MAX_BYTES = 200_000
GIT_TIMEOUT_S = 30


async def run_compact(runner: TurnRunner) -> str | None:
    """Summarise the history and replace it with the recent user messages plus the summary."""
    conv = runner.conversation
    item_id = runner.new_item_id()
    runner.emit(ItemStartedEvent(turn_id=runner.turn_id, item=ContextCompactionItem(id=item_id)))
    request = UserMessage(content=[InputText(text=load_prompt("compact"))])
    result = await runner.sample(runner.prompt([*conv.history, request], []), visible=False)
    summary = result.last_message or "(no summary was produced)"
    context = initial_context(runner.ctx, conv.config.project_doc_max_bytes, conv.home)
    recent = _recent_user_messages(conv.history, len(context))
    summary_message = UserMessage(content=[InputText(text=f"{SUMMARY_PREFIX}\n{summary}")])
    conv.history[:] = [*context, *recent, summary_message]
    runner.emit(ContextCompactedEvent(turn_id=runner.turn_id))
    runner.emit(ItemCompletedEvent(turn_id=runner.turn_id, item=ContextCompactionItem(id=item_id)))
    runner.emit(
        WarningEvent(
            message="Heads up: long conversations and repeated compactions can make the model "
            "less accurate. Start a new conversation when possible."
        )
    )
    return None


def _recent_user_messages(history: list[HistoryItem], skip: int) -> list[UserMessage]:
    """The newest real user messages that fit the budget, oldest first."""
    kept: list[UserMessage] = []
    budget = KEEP_USER_MESSAGES_CHARS
    for item in reversed(history[skip:]):
        if not isinstance(item, UserMessage) or item.text().startswith(SUMMARY_PREFIX):
            continue
        text = item.text()
        if len(text) > budget:
            if budget > 0:
                kept.append(UserMessage(content=[InputText(text=text[-budget:])]))
            break
        kept.append(item)
        budget -= len(text)
    return list(reversed(kept))


async def run_review(runner: TurnRunner, request: ReviewRequest) -> str | None:
    """Review in an isolated history; the findings are added to the conversation."""
    conv = runner.conversation
    target = request.target
    runner.emit(
        EnteredReviewModeEvent(
            turn_id=runner.turn_id, target=target, user_facing_hint=request.user_facing_hint
        )
    )
    output: str | None = None
    try:
        material = await _review_material(target, runner.ctx.cwd)
        history: list[HistoryItem] = [
            *initial_context(runner.ctx, conv.config.project_doc_max_bytes, conv.home),
            UserMessage(content=[InputText(text=material)]),
        ]
        while True:
            result = await runner.step(history, instructions=load_prompt("review"))
            output = result.last_message or output
            if not result.tool_calls:
                break
    finally:
        runner.emit(ExitedReviewModeEvent(turn_id=runner.turn_id, review_output=output))
    if output:
        conv.history.append(
            UserMessage(content=[InputText(text=f"Review request: {_describe(target)}")])
        )
        conv.history.append(AssistantMessage(text=output))
    return output


def _describe(target: ReviewTarget) -> str:
    if target.type == "uncommittedChanges":
        return "the uncommitted changes"
    if target.type == "baseBranch":
        return f"the changes against {target.branch}"
    if target.type == "commit":
        return f"commit {target.sha}" + (f" ({target.title})" if target.title else "")
    return target.instructions or "custom review"


async def _review_material(target: ReviewTarget, cwd: Path) -> str:
    if target.type == "custom":
        return target.instructions or "Review the code in this workspace."
    if target.type == "uncommittedChanges":
        diff = await _git(cwd, "diff", "HEAD")
        untracked = await _git(cwd, "ls-files", "--others", "--exclude-standard")
        body = diff + (f"\nUntracked files:\n{untracked}" if untracked.strip() else "")
    elif target.type == "baseBranch":
        base = await _git(cwd, "merge-base", "HEAD", target.branch or "main")
        body = await _git(cwd, "diff", base.strip())
    else:
        body = await _git(cwd, "show", target.sha or "HEAD")
    if not body.strip():
        body = "(the diff is empty)"
    diff = truncate_middle(body, REVIEW_DIFF_MAX_BYTES)
    return f"Review {_describe(target)}.\n\n```diff\n{diff}\n```"


async def _git(cwd: Path, *args: str) -> str:
    git = shutil.which("git")
    if git is None:
        return "(git is not installed)"
    result = await run_command(
        [git, *args], cwd, timeout_s=GIT_TIMEOUT_S, output_cap=4 * REVIEW_DIFF_MAX_BYTES
    )
    if result.timed_out:
        return f"(git {' '.join(args)} timed out)"
    if result.exit_code != 0:
        return f"(git {' '.join(args)} failed: {result.stderr.strip()})"
    return result.stdout
