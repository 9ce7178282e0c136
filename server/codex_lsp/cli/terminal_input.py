"""``request_user_input`` in ``codex-lsp exec``: the questions go to stderr and the answers are
read from the terminal (an option's number, or the user's own words; an empty line or end of
input dismisses). When stdin is not a terminal nobody can answer, and the turn fails with a
message saying so, instead of the model guessing on. Reading never blocks the event loop (the
terminal is watched with ``add_reader``), so an interrupt (Ctrl-C) stops the wait at once."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TextIO

from codex_lsp.protocol.answers import RequestUserInputResult, UserInputAnswer
from codex_lsp.protocol.events import RequestUserInputEvent, UserInputQuestion
from codex_lsp.tools.registry import TurnFailedError

NOT_A_TERMINAL = (
    "the model asked a question (request_user_input), but stdin is not a terminal, so nobody "
    "can answer it; run codex-lsp exec in a terminal, or put the answer in the prompt"
)
MAX_LINE = 4096


async def _readable(fd: int) -> None:
    """Wait until ``fd`` has input (cancellable)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


async def _read_line(fd: int) -> str | None:
    """One line from ``fd`` without blocking the loop; None at end of input."""
    data = bytearray()
    while b"\n" not in data and len(data) < MAX_LINE:
        await _readable(fd)
        try:
            chunk = os.read(fd, MAX_LINE)
        except BlockingIOError:
            continue
        if not chunk:
            return data.decode("utf-8", "replace") if data else None
        data += chunk
    return data.split(b"\n", 1)[0].decode("utf-8", "replace")


def _show(question: UserInputQuestion, out: TextIO) -> None:
    title = f"{question.header}: " if question.header else ""
    lines = [f"\n{title}{question.question}"]
    for number, option in enumerate(question.options, 1):
        about = f" — {option.description}" if option.description else ""
        lines.append(f"  {number}. {option.label}{about}")
    hint = "your answer" if not question.options else "a number"
    if question.options and question.is_other:
        hint += ", or your own answer"
    lines.append(f"answer ({hint}; empty to skip): ")
    out.write("\n".join(lines))
    out.flush()


def _choice(question: UserInputQuestion, line: str) -> str | None:
    text = line.strip()
    if text.isdigit() and question.options:  # a pick, not free text: 7 of 2 options is a typo
        in_range = 1 <= int(text) <= len(question.options)
        return question.options[int(text) - 1].label if in_range else None
    if text in {o.label for o in question.options} or (text and question.is_other):
        return text
    return None


async def show_link(url: str) -> bool:
    """exec cannot open a browser: the link goes to stderr for the user to open."""
    sys.stderr.write(f"\nopen this link to go on: {url}\n")
    sys.stderr.flush()
    return True


async def ask_in_terminal(
    conversation_id: str, request: RequestUserInputEvent
) -> RequestUserInputResult | None:
    """Ask each question on stderr and read its answer from the terminal."""
    if not sys.stdin.isatty():
        raise TurnFailedError(NOT_A_TERMINAL)
    fd = sys.stdin.fileno()
    answers: dict[str, UserInputAnswer] = {}
    for question in request.questions:
        while True:
            _show(question, sys.stderr)
            line = await _read_line(fd)
            if line is None or not line.strip():
                return None
            chosen = _choice(question, line)
            if chosen is not None:
                answers[question.id] = UserInputAnswer(answers=[chosen])
                break
            sys.stderr.write(f"pick 1 to {len(question.options)}\n")
    return RequestUserInputResult(answers=answers)
