"""Human-readable rendering of events for ``codex-lsp exec`` (written to stderr)."""

from __future__ import annotations

import shlex
from typing import TextIO

from codex_lsp.protocol.events import (
    AgentMessageEvent,
    AgentReasoningEvent,
    ErrorEvent,
    EventEnvelope,
    ExecCommandBeginEvent,
    ExecCommandEndEvent,
    PlanUpdateEvent,
    SessionConfiguredEvent,
    StreamErrorEvent,
    TaskCompleteEvent,
    TokenCountEvent,
    TurnAbortedEvent,
    WarningEvent,
)
from codex_lsp.protocol.speckit_events import SpeckitEvent

MAX_OUTPUT_LINES = 20
_MARKS = {"completed": "[x]", "inProgress": "[>]", "pending": "[ ]"}


class EventPrinter:
    """Prints the events a person wants to follow, one short block each."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._tokens = 0

    def __call__(self, event: EventEnvelope) -> None:
        """Print ``event`` if it is worth a line."""
        msg = event.msg
        line = self._line(msg)
        if line is not None:
            print(line, file=self._out, flush=True)

    def _line(self, msg: object) -> str | None:
        if isinstance(msg, SessionConfiguredEvent):
            return (
                f"codex-lsp · model {msg.model} ({msg.model_provider_id}) · cwd {msg.cwd} "
                f"· sandbox {msg.sandbox_policy.type}"
            )
        if isinstance(msg, AgentReasoningEvent):
            return f"thinking: {msg.text}"
        if isinstance(msg, ExecCommandBeginEvent):
            return f"exec: {shlex.join(msg.command)}  (in {msg.cwd})"
        if isinstance(msg, ExecCommandEndEvent):
            lines = msg.aggregated_output.rstrip("\n").splitlines()
            shown = lines[:MAX_OUTPUT_LINES] + (
                [f"... {len(lines) - MAX_OUTPUT_LINES} more lines"]
                if len(lines) > MAX_OUTPUT_LINES
                else []
            )
            body = "".join(f"\n  {line}" for line in shown)
            return f"  exited {msg.exit_code} in {msg.duration_ms} ms{body}"
        if isinstance(msg, PlanUpdateEvent):
            return "plan:" + "".join(f"\n  {_MARKS[i.status.value]} {i.step}" for i in msg.plan)
        if isinstance(msg, AgentMessageEvent):
            return f"codex: {msg.message}"
        if isinstance(msg, TokenCountEvent) and msg.info is not None:
            self._tokens = msg.info.total_token_usage.total_tokens
            return None
        if isinstance(msg, TaskCompleteEvent):
            return f"tokens used: {self._tokens}"
        if isinstance(msg, StreamErrorEvent | WarningEvent):
            return f"warning: {msg.message}"
        if isinstance(msg, ErrorEvent):
            return f"error: {msg.message}"
        if isinstance(msg, TurnAbortedEvent):
            return f"turn aborted ({msg.reason})"
        if isinstance(msg, SpeckitEvent):
            from codex_lsp.speckit.narration import (
                narrate,
            )  # spec-kit's modules: only for its events

            return narrate(msg)
        return None
