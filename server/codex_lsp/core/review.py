"""The review turn: the model reviews a diff (uncommitted changes, a branch, a commit) or what
the user asked, in a history of its own; its findings join the conversation's."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from codex_lsp.core.context import initial_context
from codex_lsp.core.prompts import load_prompt
from codex_lsp.core.turn import TurnRunner
from codex_lsp.errors import ReviewAnswerError
from codex_lsp.exec.runner import run_command
from codex_lsp.protocol.events import (
    EnteredReviewModeEvent,
    ErrorEvent,
    ExitedReviewModeEvent,
)
from codex_lsp.protocol.history import AssistantMessage, HistoryItem, InputText, UserMessage
from codex_lsp.protocol.items import ReviewOutput, ReviewRequest, ReviewTarget
from codex_lsp.tools.truncation import truncate_middle
from codex_lsp.untrusted_git import DIFF_OPTIONS, git_argv, git_env, no_filters

REVIEW_DIFF_MAX_BYTES = 200_000
GIT_TIMEOUT_S = 30


async def run_review(runner: TurnRunner, request: ReviewRequest) -> str | None:
    """Review in an isolated history, the answer asked for as the findings' JSON
    (:data:`codex_lsp.core.review_answer.REVIEW_SCHEMA`); the findings are added to the
    conversation. An answer that is not that JSON ends the review with an error event saying
    so (``review`` then is absent)."""
    from codex_lsp.core.review_answer import REVIEW_SCHEMA, parse_review, render_review

    parts = runner.parts
    target = request.target
    runner.emit(
        EnteredReviewModeEvent(
            turn_id=runner.turn_id, target=target, user_facing_hint=request.user_facing_hint
        )
    )
    output: str | None = None
    review: ReviewOutput | None = None
    problem: str | None = None
    try:
        material = await _review_material(target, runner.ctx.cwd)
        opening = await asyncio.to_thread(initial_context, runner.ctx, parts.config, parts.home)
        history: list[HistoryItem] = [
            *opening,
            UserMessage(content=[InputText(text=material)]),
        ]
        runner.output_schema = REVIEW_SCHEMA
        while True:
            result = await runner.step(history, instructions=load_prompt("review"))
            output = result.last_message or output
            if not result.tool_calls:
                break
        try:
            review = parse_review(output, runner.ctx.cwd)
            output = render_review(review)
        except ReviewAnswerError as exc:
            problem = exc.message
    finally:
        runner.emit(
            ExitedReviewModeEvent(turn_id=runner.turn_id, review_output=output, review=review)
        )
    if problem is not None:
        runner.emit(ErrorEvent(message=problem, turn_id=runner.turn_id))
    if output:
        parts.history.append(
            UserMessage(content=[InputText(text=f"Review request: {_describe(target)}")])
        )
        parts.history.append(AssistantMessage(text=output))
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
        diff = await _git(cwd, "diff", *DIFF_OPTIONS, "HEAD")
        untracked = await _git(cwd, "ls-files", "--others", "--exclude-standard")
        body = diff + (f"\nUntracked files:\n{untracked}" if untracked.strip() else "")
    elif target.type == "baseBranch":
        base = await _git(cwd, "merge-base", "--end-of-options", "HEAD", target.branch or "main")
        body = await _git(cwd, "diff", *DIFF_OPTIONS, "--end-of-options", base.strip())
    else:
        body = await _git(cwd, "show", *DIFF_OPTIONS, "--end-of-options", target.sha or "HEAD")
    if not body.strip():
        body = "(the diff is empty)"
    diff = truncate_middle(body, REVIEW_DIFF_MAX_BYTES)
    return f"Review {_describe(target)}.\n\n```diff\n{diff}\n```"


async def _git(cwd: Path, *args: str) -> str:
    git = shutil.which("git")
    if git is None:
        return "(git is not installed)"
    filters = await asyncio.to_thread(no_filters, cwd, git)  # diff runs them on the work tree
    result = await run_command(
        git_argv(git, *filters, *args),
        cwd,
        timeout_s=GIT_TIMEOUT_S,
        env=git_env(),
        output_cap=4 * REVIEW_DIFF_MAX_BYTES,
    )
    if result.timed_out:
        return f"(git {' '.join(args)} timed out)"
    if result.exit_code != 0:
        return f"(git {' '.join(args)} failed: {result.stderr.strip()})"
    return result.stdout
