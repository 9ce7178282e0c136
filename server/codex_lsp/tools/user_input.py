"""``request_user_input``: the model asks the user one to three short questions, each with
options, and waits for the answers (Codex's tool). The front end asks: a panel form over LSP,
``window/showMessageRequest`` in a plain editor, the terminal in ``exec``. The answers go back
to the model as Codex's JSON (``{"answers": {"<id>": {"answers": ["<label>"]}}}``)."""

from __future__ import annotations

import json

from pydantic import Field, ValidationError

from codex_lsp.protocol.events import RequestUserInputEvent, UserInputQuestion
from codex_lsp.tools.registry import (
    ToolArgs,
    ToolInvocation,
    ToolInvocationError,
    ToolOutput,
    ToolSession,
    parse_arguments,
)

CANCELLED = "request_user_input was cancelled before receiving a response"


class RequestUserInputArgs(ToolArgs):
    """Arguments of ``request_user_input``."""

    questions: list[dict[str, object]] = Field(min_length=1, max_length=3)


def _questions(args: RequestUserInputArgs) -> list[UserInputQuestion]:
    try:
        questions = [UserInputQuestion.model_validate(q) for q in args.questions]
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise ToolInvocationError(
            f"request_user_input: invalid question ({where}: {problem['msg']}); every question "
            "needs an id, a header, the question and at least one option"
        ) from None
    if any(not q.options for q in questions):
        raise ToolInvocationError(
            "request_user_input requires non-empty options for every question"
        )
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ToolInvocationError("request_user_input: question ids must differ")
    return questions


async def handle_request_user_input(session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
    """Ask and wait; the answers, or a message saying why there are none."""
    args = parse_arguments(RequestUserInputArgs, invocation)
    request = RequestUserInputEvent(
        turn_id=session.turn_id,
        item_id=session.new_item_id(),
        call_id=invocation.call_id,
        questions=_questions(args),
    )
    result = await session.request_user_input(request)
    if result is None or not result.answers:
        return ToolOutput(CANCELLED, success=False)
    known = {q.id for q in request.questions}
    answers = {k: v for k, v in result.answers.items() if k in known}
    body = {"answers": {k: {"answers": v.answers} for k, v in answers.items()}}
    return ToolOutput(json.dumps(body, ensure_ascii=False))
