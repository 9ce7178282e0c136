"""The agent as an MCP server: each ``codex`` / ``codex-reply`` call runs one turn of a
conversation of a :class:`ConversationManager`, streams its events as progress notifications,
asks approvals of the calling client through elicitation, and returns the final message."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.types import (
    CallToolRequestParams,
    CallToolResult,
    ListToolsResult,
    PaginatedRequestParams,
    TextContent,
    Tool,
)

from codex_lsp.background import create_task
from codex_lsp.config.overrides import ConfigOverrides
from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.core.seams import ApprovalRequest
from codex_lsp.errors import CodexError
from codex_lsp.lifecycle import (
    EXIT_DEADLINE_S,
    SHUTDOWN_BUDGET_S,
    exit_anyway_after,
    on_signals,
    report,
    stop_leftovers,
)
from codex_lsp.mcp_server import tools
from codex_lsp.protocol.events import EventEnvelope, RequestUserInputEvent
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import AskForApproval, ReviewDecision, SandboxMode
from codex_lsp.protocol.requests import NewConversationParams, RequestUserInputResult
from codex_lsp.speckit.front import speckit_router
from codex_lsp.tools.elicitation import answers_from, form_for

log = logging.getLogger(__name__)

TURN_TIMEOUT_S = 3600.0
_ENDS = ("taskComplete", "turnAborted")


@dataclass
class _Call:
    """One tool call in flight: where its progress goes and how the turn ended."""

    ctx: ServerRequestContext[Any]
    token: str | int | None
    events: asyncio.Queue[EventEnvelope] = field(default_factory=asyncio.Queue)
    sent: int = 0


class AgentMcpServer:
    """Serves ``codex`` and ``codex-reply``."""

    def __init__(self, overrides: ConfigOverrides) -> None:
        self.manager = ConversationManager(
            FrontEnd(self._on_event, approvals=self._approve, user_input=self._ask),
            ConfigSources(cli_overrides=overrides),
            router=speckit_router,
        )
        self._calls: dict[str, _Call] = {}
        self.server: Server[Any] = Server(
            "codex-lsp", on_list_tools=self._list_tools, on_call_tool=self._call_tool
        )

    async def _list_tools(
        self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        return ListToolsResult(
            tools=[
                Tool(
                    name=tools.CODEX_TOOL,
                    description=tools.CODEX_DESCRIPTION,
                    input_schema=tools.CODEX_SCHEMA,
                ),
                Tool(
                    name=tools.REPLY_TOOL,
                    description=tools.REPLY_DESCRIPTION,
                    input_schema=tools.REPLY_SCHEMA,
                ),
            ]
        )

    async def _call_tool(
        self, ctx: ServerRequestContext[Any], params: CallToolRequestParams
    ) -> CallToolResult:
        args = dict(params.arguments or {})
        try:
            if params.name == tools.CODEX_TOOL:
                conversation_id = await self._start(args)
            elif params.name == tools.REPLY_TOOL:
                conversation_id = str(args.get("conversationId") or "")
                if not conversation_id:
                    return _error("codex-reply needs the conversationId the codex tool returned")
                if conversation_id not in {c.id for c in self.manager.live()}:
                    await self.manager.resume(conversation_id)
            else:
                return _error(f"unknown tool {params.name!r}; use codex or codex-reply")
            prompt = str(args.get("prompt") or "")
            if not prompt.strip():
                return _error(f"{params.name} needs a non-empty prompt")
            return await self._turn(ctx, conversation_id, prompt)
        except CodexError as exc:
            return _error(exc.message)

    async def _start(self, args: dict[str, Any]) -> str:
        config = dict(args.get("config") or {})
        if args.get("profile"):
            config["profile"] = args["profile"]
        params = NewConversationParams(
            cwd=Path(args["cwd"]) if args.get("cwd") else None,
            model=args.get("model"),
            approval_policy=AskForApproval(args["approval-policy"])
            if args.get("approval-policy")
            else None,
            sandbox=SandboxMode(args["sandbox"]) if args.get("sandbox") else None,
            base_instructions=args.get("base-instructions"),
            config=config or None,
        )
        return (await self.manager.new_conversation(params)).id

    async def _turn(
        self, ctx: ServerRequestContext[Any], conversation_id: str, prompt: str
    ) -> CallToolResult:
        if conversation_id in self._calls:
            return _error(f"conversation {conversation_id} is already running a turn")
        token = ctx.meta.get("progress_token") if ctx.meta else None
        call = _Call(ctx, token)
        self._calls[conversation_id] = call
        try:
            conversation = self.manager.get(conversation_id)
            conversation.submit(UserInputOp(items=[TextInput(text=prompt)]))
            async with asyncio.timeout(TURN_TIMEOUT_S):
                return await self._follow(call, conversation_id)
        finally:
            self._calls.pop(conversation_id, None)

    async def _follow(self, call: _Call, conversation_id: str) -> CallToolResult:
        errors: list[str] = []
        while True:
            envelope = await call.events.get()
            msg = envelope.to_wire()["msg"]
            await self._progress(call, msg)
            if msg["type"] == "error":
                errors.append(msg["message"])
            if msg["type"] not in _ENDS:
                continue
            final = msg.get("lastAgentMessage")
            structured = {"conversationId": conversation_id, "lastAgentMessage": final}
            if msg["type"] == "turnAborted":
                text = f"the turn was aborted ({msg.get('reason')})"
            else:
                text = final or "\n".join(errors) or "(the agent gave no final message)"
            return CallToolResult(
                content=[TextContent(type="text", text=text)],
                structured_content=structured,
                is_error=msg["type"] == "turnAborted" or (bool(errors) and final is None),
            )

    async def _progress(self, call: _Call, msg: dict[str, Any]) -> None:
        if call.token is None:
            return
        call.sent += 1
        with contextlib.suppress(Exception):
            await call.ctx.session.send_progress_notification(
                call.token,
                call.sent,
                None,
                json.dumps(msg),
                related_request_id=str(call.ctx.request_id),
            )

    def _on_event(self, envelope: EventEnvelope) -> None:
        call = self._calls.get(envelope.conversation_id)
        if call is not None:
            call.events.put_nowait(envelope)

    async def _approve(self, conversation_id: str, request: ApprovalRequest) -> ReviewDecision:
        """Ask the calling client (elicitation); a client that cannot answer means denied."""
        call = self._calls.get(conversation_id)
        if call is None:
            return ReviewDecision.DENIED
        if request.type == "execApprovalRequest":
            what = f"run `{' '.join(request.command)}` in {request.cwd}"
        else:
            what = f"change {', '.join(request.changes)}"
        message = f"codex-lsp asks to {what}" + (f": {request.reason}" if request.reason else "")
        try:
            answer = await call.ctx.session.elicit_form(
                message, tools.DECISION_SCHEMA, related_request_id=call.ctx.request_id
            )
        except Exception as exc:
            log.warning("approval could not be asked (%s); denied", exc)
            return ReviewDecision.DENIED
        if answer.action == "cancel":
            return ReviewDecision.ABORT
        if answer.action != "accept" or not answer.content:
            return ReviewDecision.DENIED
        try:
            return ReviewDecision(str(answer.content.get("decision")))
        except ValueError:
            return ReviewDecision.DENIED

    async def _ask(
        self, conversation_id: str, request: RequestUserInputEvent
    ) -> RequestUserInputResult | None:
        """The model's questions, as a form the calling client fills in (elicitation); None
        when it cannot or the user dismissed it."""
        call = self._calls.get(conversation_id)
        if call is None:
            return None
        message = "codex-lsp asks: " + " / ".join(q.question for q in request.questions)
        try:
            answer = await call.ctx.session.elicit_form(
                message, form_for(request.questions), related_request_id=call.ctx.request_id
            )
        except Exception as exc:
            log.warning("the questions could not be asked (%s)", exc)
            return None
        return answers_from(answer.content) if answer.action == "accept" else None

    async def serve_stdio(self) -> int:
        """Serve until stdin closes or a signal asks to stop, then shut every conversation
        down (bounded: the process is gone within EXIT_DEADLINE_S); returns the exit code."""
        loop = asyncio.get_running_loop()
        serving = create_task(self._serve(), name="mcp-server-serve")
        signalled: asyncio.Future[int] = loop.create_future()

        def on_signal(signum: int) -> None:
            if not signalled.done():
                signalled.set_result(128 + signum)

        on_signals(loop, on_signal)
        waiters: set[asyncio.Future[Any]] = {serving, signalled}
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        code = signalled.result() if signalled.done() else 0
        failure = serving.exception() if serving.done() and not serving.cancelled() else None
        if failure is not None:
            report(f"serving MCP on stdio failed ({failure}): shutting down")
            code = 1
        exit_anyway_after(EXIT_DEADLINE_S, code, "the shutdown")
        await self.manager.shutdown_all(SHUTDOWN_BUDGET_S)
        stop_leftovers()
        if not serving.done():  # its stdin reader is a thread that cannot be cancelled
            sys.stdout.flush()
            os._exit(code)
        return code

    async def _serve(self) -> None:
        async with stdio_server() as (read, write):
            await self.server.run(read, write, self.server.create_initialization_options())


def _error(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def run_mcp_server(overrides: ConfigOverrides) -> int:
    """Entry point of ``codex-lsp mcp-server``."""
    return asyncio.run(AgentMcpServer(overrides).serve_stdio())
