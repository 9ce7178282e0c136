"""Helpers shared by the tests: config pointing at the fake model server, and an event log that
tests can await."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types

from codex_lsp.core.seams import ApprovalRequest
from codex_lsp.protocol.events import EventEnvelope, RequestUserInputEvent
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import ReviewDecision
from codex_lsp.protocol.requests import (
    ApprovalResult,
    NewConversationParams,
    RequestUserInputResult,
)

SECRET_KEY = "sk-fake-secret-key-0123456789"
KEY_ENV = "FAKE_MODEL_KEY"


def write_config(home: Path, base_url: str, wire_api: str = "responses", extra: str = "") -> Path:
    """A config.toml using the fake model server as provider ``fake``; ``extra`` (more tables)
    goes at the end."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(
        f"""model = "fake-model"
model_provider = "fake"

[model_providers.fake]
name = "fake"
base_url = "{base_url}"
wire_api = "{wire_api}"
env_key = "{KEY_ENV}"
request_max_retries = 3
stream_max_retries = 3
stream_idle_timeout_ms = 5000
{extra}
""",
        encoding="utf-8",
    )
    return path


def subprocess_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a codex-lsp subprocess under test: no real keys, home in ``home``."""
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({"HOME": str(home.parent), "CODEX_LSP_HOME": str(home), KEY_ENV: SECRET_KEY})
    env.update(extra or {})
    return env


def _offset(text: str, position: types.Position, encoding: str) -> int:
    lines = text.splitlines(keepends=True) or [""]
    if position.line >= len(lines):
        return len(text)
    start = sum(len(line) for line in lines[: position.line])
    line = lines[position.line]
    if encoding == types.PositionEncodingKind.Utf16:
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return start + index
            units += len(char.encode("utf-16-le")) // 2
        return start + len(line)
    return start + min(position.character, len(line))


def apply_text_edits(
    text: str, edits: list[types.TextEdit], encoding: str = types.PositionEncodingKind.Utf16
) -> str:
    """``text`` with LSP ``edits`` applied, as an editor would."""
    for edit in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        start, end = (
            _offset(text, edit.range.start, encoding),
            _offset(text, edit.range.end, encoding),
        )
        text = text[:start] + edit.new_text + text[end:]
    return text


def plain(obj: Any) -> Any:
    """pygls namedtuples (and lists of them) as plain dicts and lists."""
    if hasattr(obj, "_asdict"):
        return {k: plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    return obj


class EventLog:
    """Collects event envelopes (as wire dicts) and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self.received_at: list[float] = []

    def sink(self, event: EventEnvelope) -> None:
        """A conversation manager's event sink that records here."""
        self.add(event.to_wire())

    def add(self, envelope: dict[str, Any]) -> None:
        """Record one ``{conversationId, submissionId, msg}`` envelope."""
        self.events.append(envelope)
        self.received_at.append(time.perf_counter())
        self._changed.set()

    def msgs(
        self, conversation_id: str | None = None, type_: str | None = None
    ) -> list[dict[str, Any]]:
        """Messages, optionally of one conversation and one type."""
        return [
            e["msg"]
            for e in self.events
            if (conversation_id is None or e["conversationId"] == conversation_id)
            and (type_ is None or e["msg"]["type"] == type_)
        ]

    def types(self, conversation_id: str | None = None) -> list[str]:
        """The event types in order."""
        return [m["type"] for m in self.msgs(conversation_id)]

    async def wait_for(
        self,
        type_: str,
        conversation_id: str | None = None,
        predicate: Callable[[dict[str, Any]], bool] = lambda m: True,
        timeout: float = 10.0,
        count: int = 1,
    ) -> dict[str, Any]:
        """The ``count``-th message of ``type_`` matching ``predicate``; fails after ``timeout``."""

        async def _wait() -> dict[str, Any]:
            while True:
                found = [m for m in self.msgs(conversation_id, type_) if predicate(m)]
                if len(found) >= count:
                    return found[count - 1]
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(_wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"no {type_!r} event within {timeout}s; got {self.types(conversation_id)}"
            ) from None


class ScriptedApprover:
    """Answers approval requests from a list and records what was asked."""

    def __init__(self) -> None:
        self.answers: list[ReviewDecision | ApprovalResult] = []
        self.asked: list[ApprovalRequest] = []
        self.questions: list[RequestUserInputEvent] = []
        self.question_answers: list[dict[str, list[str]] | None] = []
        self.opened: list[str] = []

    async def open_url(self, url: str) -> bool:
        """The link opener: records the link, as an editor that opened it."""
        self.opened.append(url)
        return True

    async def answer_questions(
        self, conversation_id: str, request: RequestUserInputEvent
    ) -> RequestUserInputResult | None:
        """The user-input handler: answers from ``question_answers`` (None: dismissed)."""
        self.questions.append(request)
        answers = self.question_answers.pop(0) if self.question_answers else None
        if answers is None:
            return None
        return RequestUserInputResult.model_validate(
            {"answers": {k: {"answers": v} for k, v in answers.items()}}
        )

    async def __call__(
        self, conversation_id: str, request: ApprovalRequest
    ) -> ReviewDecision | ApprovalResult:
        self.asked.append(request)
        return self.answers.pop(0) if self.answers else ReviewDecision.DENIED


def tool_outputs(server: Any) -> list[Any]:
    """What the model was told of its tool calls in ``server``'s last request (a
    :class:`codex_lsp.testing.FakeModelServer`)."""
    return [
        i["output"]
        for i in server.requests[-1].body["input"]
        if i["type"] == "function_call_output"
    ]


async def run_turn(manager: Any, log: EventLog, policy: Any) -> str:
    """One turn ("go") in a new conversation of ``manager`` with approval ``policy``; its id once
    the turn is complete."""
    conv = await manager.new_conversation(NewConversationParams(approval_policy=policy))
    conv.submit(UserInputOp(items=[TextInput(text="go")]))
    await log.wait_for("taskComplete", conv.id)
    return str(conv.id)
