"""The real :class:`~codex_lsp.speckit.agent_calls.AgentRunner`: every agent call is a conversation
of the core on the agent's own provider, model and reasoning effort, read-only (sandbox
``read-only``, approval ``never``, and no tool but the read-only file helpers, so nothing is
written or run and no MCP tool is called; an agent proposing edits does so in its JSON answer).
The prompt is a user turn whose ``outputSchema`` is the answer's schema (the provider's
structured output, in the subset strict mode takes), and the reply is the turn's final message.

The conversation is private to the stage run (its events come here, not to the front end),
stored like any other, then titled after the stage run and archived: the user can open it by
the id ``speckitStageCompleted`` and ``agent_outputs.conversation_id`` give."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from codex_lsp.background import create_task
from codex_lsp.core.manager import ConversationManager
from codex_lsp.errors import CodexError
from codex_lsp.protocol.events import (
    ErrorEvent,
    EventEnvelope,
    TaskCompleteEvent,
    TokenCountEvent,
    TurnAbortedEvent,
)
from codex_lsp.protocol.items import TextInput, TokenUsage
from codex_lsp.protocol.limits import TITLE_MAX_CHARS
from codex_lsp.protocol.ops import InterruptOp, UserTurnOp
from codex_lsp.protocol.policies import AskForApproval, SandboxMode
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.speckit.agent_calls import AgentFailure, AgentReply, AgentRequest
from codex_lsp.speckit.schemas import wire_schema
from codex_lsp.tools import read_only, specs
from codex_lsp.tools.registry import ToolRegistry

log = logging.getLogger(__name__)

AGENT_INSTRUCTIONS = (
    "You are an agent of a spec-kit stage: one of several models asked the same question "
    "about a SPEC, whose answers are compared and merged. You work read-only: you may read "
    "files with the tools you have, you change nothing and run nothing. Your final answer is "
    "ONE JSON object that matches the schema you are given, filled with real content."
)
PERMANENT_ERRORS = frozenset({"unauthorized", "badRequest", "contextWindowExceeded"})
"""Provider failures asking again cannot fix."""


def read_only_tools() -> ToolRegistry:
    """The tools an agent gets: reading files, listing folders, searching; nothing else."""
    registry = ToolRegistry()
    registry.register(specs.READ_FILE, read_only.handle_read_file)
    registry.register(specs.LIST_DIR, read_only.handle_list_dir)
    registry.register(specs.GREP_FILES, read_only.handle_grep_files)
    return registry


class _Turn:
    """What an agent conversation's events say about its one turn."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.text: str | None = None
        self.error: ErrorEvent | None = None
        self.aborted = False
        self.usage: TokenUsage | None = None

    def __call__(self, event: EventEnvelope) -> None:
        msg = event.msg
        if isinstance(msg, TokenCountEvent) and msg.info is not None:
            self.usage = msg.info.total_token_usage
        elif isinstance(msg, ErrorEvent):
            self.error = self.error or msg
        elif isinstance(msg, TaskCompleteEvent):
            self.text = msg.last_agent_message
            self.done.set()
        elif isinstance(msg, TurnAbortedEvent):
            self.aborted = True
            self.done.set()


class ConversationRunner:
    """Runs each agent call as a fresh, private conversation of ``manager``; ``label`` names
    the stage run in the conversations' titles (``spec-kit SPEC-KIT-071 plan``)."""

    def __init__(self, manager: ConversationManager, label: str) -> None:
        self.manager = manager
        self.label = label
        self._closing: set[asyncio.Task[None]] = set()

    async def run(self, request: AgentRequest) -> AgentReply | AgentFailure:
        """One call; cancelled (a timeout, an interrupt), it interrupts the conversation."""
        agent = request.agent
        turn = _Turn()
        params = NewConversationParams(
            cwd=request.cwd,
            model=agent.model,
            model_provider=agent.provider,
            approval_policy=AskForApproval.NEVER,
            sandbox=SandboxMode.READ_ONLY,
            reasoning_effort=request.reasoning_effort,
            base_instructions=AGENT_INSTRUCTIONS,
        )
        try:
            conversation = await self.manager.new_conversation(
                params, observer=turn, tools=read_only_tools()
            )
        except CodexError as exc:
            return AgentFailure(f"{agent.name} could not start: {exc.message}", exc.retryable)
        title = f"{self.label}: {agent.name} ({request.role}, attempt {request.attempt})"
        try:
            conversation.submit(
                UserTurnOp(
                    items=[TextInput(text=request.prompt)],
                    output_schema=wire_schema(request.schema),
                    effort=request.reasoning_effort,
                )
            )
            await turn.done.wait()
        except asyncio.CancelledError:
            with contextlib.suppress(CodexError):
                conversation.submit(InterruptOp())
            raise
        finally:
            self._close_later(conversation.id, title[:TITLE_MAX_CHARS])
        model = conversation.ctx.model
        found = conversation.id
        if turn.error is not None:
            retryable = turn.error.codex_error_info not in PERMANENT_ERRORS
            return AgentFailure(turn.error.message, retryable, model, turn.usage, found)
        if turn.aborted:
            return AgentFailure("the agent's turn was interrupted", True, model, turn.usage, found)
        return AgentReply(turn.text or "", turn.usage or TokenUsage(), model, found)

    def _close_later(self, conversation_id: str, title: str) -> None:
        create_task(
            self._close(conversation_id, title),
            name=f"speckit-close-{conversation_id}",
            owner=self._closing,
        )

    async def _close(self, conversation_id: str, title: str) -> None:
        """Title the conversation after its stage run and archive it (which shuts it down)."""
        try:
            await self.manager.rename(conversation_id, title)
            await self.manager.archive(conversation_id)
        except CodexError as exc:
            log.warning("spec-kit agent conversation %s: %s", conversation_id, exc.message)

    async def aclose(self) -> None:
        """Wait until every conversation this runner started is titled and archived."""
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
