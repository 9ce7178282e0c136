"""One turn of a conversation: the object tools see as their session, and the regular turn loop
(sample → run tool calls → feed results back → repeat until the model stops calling tools)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codex_lsp.config.secrets import credential_variables
from codex_lsp.core import hook_events
from codex_lsp.core.compaction import auto_compact_limit, compact_history
from codex_lsp.core.notify import record_prompt
from codex_lsp.core.sampling import SampleResult, sample
from codex_lsp.core.turn_context import TurnContext
from codex_lsp.core.turn_diff import TurnDiffTracker
from codex_lsp.core.user_input import convert_input
from codex_lsp.errors import ContextWindowExceededError
from codex_lsp.exec.env import command_env
from codex_lsp.exec.rules import CommandRules
from codex_lsp.exec.runner import ExecResult, OutputSink
from codex_lsp.protocol.events import (
    ApplyPatchApprovalRequestEvent,
    EventMsg,
    ExecApprovalRequestEvent,
    ItemCompletedEvent,
    ItemStartedEvent,
    RequestUserInputEvent,
    TokenCountEvent,
    TurnDiffEvent,
    UserMessageEvent,
    WarningEvent,
)
from codex_lsp.protocol.history import HistoryItem, InputImage, InputText, UserMessage
from codex_lsp.protocol.items import (
    LocalImageInput,
    StopReason,
    TextInput,
    TokenUsage,
    TokenUsageInfo,
    UserInputItem,
    UserMessageItem,
)
from codex_lsp.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    ReviewDecision,
    WorkspaceWrite,
)
from codex_lsp.protocol.requests import ApprovalResult, RequestUserInputResult
from codex_lsp.protocol.tool_specs import ToolSpec
from codex_lsp.providers.base import Prompt
from codex_lsp.tools.commands import Sandbox
from codex_lsp.tools.files import FileSink

if TYPE_CHECKING:
    from codex_lsp.core.conversation import Conversation


class TurnRunner:
    """State of one running turn; implements the tool session and the event emitter."""

    def __init__(self, conversation: Conversation, submission_id: str, ctx: TurnContext) -> None:
        self.conversation = conversation
        self.submission_id = submission_id
        self.ctx = ctx
        self.turn_id = f"turn-{uuid.uuid4().hex[:12]}"
        self.diff = TurnDiffTracker(ctx.cwd, conversation.files.read)
        self.attachments: list[UserMessage] = []
        self.inputs: list[str] = []
        self.usage = TokenUsage()
        self.stop_reason: StopReason | None = None
        """Why the model stopped early in its last response, if it did."""
        self.output_schema: dict[str, Any] | None = None
        """The JSON Schema this turn's answer must match (``userTurn``'s ``outputSchema``)."""

    # -- ToolSession / EventEmitter
    @property
    def cwd(self) -> Path:
        """The turn's working directory."""
        return self.ctx.cwd

    @property
    def approval_policy(self) -> AskForApproval:
        """When to ask the user."""
        return self.ctx.approval_policy

    @property
    def sandbox_policy(self) -> DangerFullAccess | ReadOnly | WorkspaceWrite:
        """What commands may touch."""
        return self.ctx.sandbox_policy

    @property
    def tool_output_max_bytes(self) -> int:
        """The model's budget for one tool output."""
        return self.conversation.config.tool_output_max_bytes

    @property
    def review_patches(self) -> bool:
        """Every patch waits for the user's review (config ``review_patches``)."""
        return self.conversation.config.review_patches

    @property
    def approved_for_session(self) -> set[tuple[str, ...]]:
        """Commands approved for the rest of the conversation."""
        return self.conversation.approved_for_session

    @property
    def denied_for_session(self) -> set[tuple[str, ...]]:
        """What was rejected for the rest of the conversation."""
        return self.conversation.denied_for_session

    def emit(self, msg: EventMsg) -> None:
        """Send an event tagged with this turn's submission."""
        self.conversation.emit(self.submission_id, msg)

    def new_item_id(self) -> str:
        """A fresh item id."""
        return f"item-{uuid.uuid4().hex[:12]}"

    async def request_exec_approval(self, request: ExecApprovalRequestEvent) -> ReviewDecision:
        """Show the request as an event and wait for the front end's answer."""
        return (await self._ask(request)).decision

    async def request_patch_approval(
        self, request: ApplyPatchApprovalRequestEvent
    ) -> ApprovalResult:
        """Show the patch request as an event and wait for the front end's answer (which may
        reject some files or hunks)."""
        return await self._ask(request)

    async def _ask(
        self, request: ExecApprovalRequestEvent | ApplyPatchApprovalRequestEvent
    ) -> ApprovalResult:
        self.emit(request)
        answer = await self.conversation.approvals(self.conversation.id, request)
        return answer if isinstance(answer, ApprovalResult) else ApprovalResult(decision=answer)

    async def request_user_input(
        self, request: RequestUserInputEvent
    ) -> RequestUserInputResult | None:
        """Show the questions as an event and wait for the front end's answers."""
        self.emit(request)
        return await self.conversation.user_input(self.conversation.id, request)

    async def open_url(self, url: str) -> bool:
        """Have the front end open a link for the user."""
        return await self.conversation.open_url(url)

    def attach_image(self, path: str, data_url: str) -> None:
        """Queue an image for the model; it enters the history after the step's tool outputs."""
        self.attachments.append(
            UserMessage(
                content=[
                    InputText(text=f"Image attached with view_image: {path}"),
                    InputImage(image_url=data_url),
                ]
            )
        )

    @property
    def command_rules(self) -> CommandRules:
        """Persisted allow/deny command prefixes."""
        return self.conversation.command_rules

    def command_env(self) -> dict[str, str]:
        """The environment commands run with."""
        config = self.conversation.config
        return command_env(
            config.shell_environment_policy, credentials=credential_variables(config)
        )

    @property
    def files(self) -> FileSink:
        """Where file edits go."""
        return self.conversation.files

    async def run_command(
        self,
        argv: list[str],
        cwd: Path,
        *,
        sandbox: Sandbox,
        call_id: str,
        timeout_s: float,
        on_output: OutputSink | None,
        env: dict[str, str] | None,
    ) -> ExecResult:
        """Run a command with the conversation's runner."""
        return await self.conversation.commands(
            argv,
            cwd,
            sandbox=sandbox,
            call_id=call_id,
            timeout_s=timeout_s,
            on_output=on_output,
            env=env,
        )

    def record_preimage(self, paths: list[Path]) -> None:
        """Remember files' content before this turn first changes them."""
        self.diff.record(paths)

    def emit_turn_diff(self) -> None:
        """Send the unified diff of everything this turn changed so far."""
        diff = self.diff.unified_diff()
        if diff:
            self.emit(TurnDiffEvent(turn_id=self.turn_id, unified_diff=diff))

    # -- the turn
    async def record_user_input(self, items: list[UserInputItem]) -> None:
        """Add the user's input to the history and show it to the client once it is stored."""
        converted = await asyncio.to_thread(convert_input, items, self.ctx.cwd)
        typed = "\n".join(i.text for i in items if isinstance(i, TextInput))
        self.inputs.append(typed)
        conv = self.conversation
        conv.spawn_background(record_prompt(conv.config, conv.home, conv.id, typed))
        for warning in converted.warnings:
            self.emit(WarningEvent(message=warning))
        item_id = self.new_item_id()
        item = UserMessageItem(id=item_id, content=items)
        message = converted.message
        conv.history.append(message)
        shown = UserMessageEvent(
            turn_id=self.turn_id,
            item_id=item_id,
            message=typed,
            mentions=converted.mentions,
            images=[
                p.image_url
                for p in message.content
                if isinstance(p, InputImage) and not p.image_url.startswith("data:")
            ],
            local_images=[i.path for i in items if isinstance(i, LocalImageInput)],
        )
        await conv.emit_durable(
            self.submission_id,
            [
                ItemStartedEvent(turn_id=self.turn_id, item=item),
                shown,
                ItemCompletedEvent(turn_id=self.turn_id, item=item),
            ],
            self.turn_id,
        )

    def prompt(
        self, history: list[HistoryItem], tools: list[ToolSpec], instructions: str | None = None
    ) -> Prompt:
        """A model request for ``history`` under this turn's settings."""
        conv = self.conversation
        return Prompt(
            model=self.ctx.model,
            instructions=instructions or conv.base_instructions,
            input=history,
            tools=tools,
            effort=self.ctx.effort,
            summary=self.ctx.summary,
            cache_key=conv.id,
            verbosity=conv.config.model_verbosity,
        )

    async def sample(self, prompt: Prompt, *, visible: bool = True) -> SampleResult:
        """One model request; usage is added to the conversation's totals."""
        conv = self.conversation
        result = await sample(conv.client, prompt, conv.provider_info, self, visible=visible)
        if result.usage is not None:
            conv.total_usage = conv.total_usage + result.usage
            self.usage = self.usage + result.usage
            conv.add_cost(result.usage, self.ctx.model)
            window = self.ctx.model_context_window
            limit = auto_compact_limit(conv.config.model_auto_compact_token_limit, window)
            info = TokenUsageInfo.after(
                conv.total_usage, result.usage, window, conv.cost_usd, limit
            )
            conv.context_tokens = info.context_tokens
            self.emit(TokenCountEvent(info=info))
        return result

    async def step(
        self, history: list[HistoryItem], instructions: str | None = None
    ) -> SampleResult:
        """One model request on ``history``: its items, the outputs of the tools it called and
        any images they attached are appended to ``history``."""
        conv = self.conversation
        await conv.checkpoint(self.turn_id)
        prompt = self.prompt(history, conv.tools.specs(), instructions)
        prompt.output_schema = self.output_schema
        result = await self.sample(prompt)
        history.extend(result.items)
        if result.tool_calls:
            await conv.checkpoint(self.turn_id)
        for call in result.tool_calls:
            history.append(await hook_events.call_tool(self, call))
        history.extend(self.attachments)
        self.attachments.clear()
        return result

    def context_full(self) -> bool:
        """True when the context has reached the auto-compaction limit."""
        conv = self.conversation
        limit = auto_compact_limit(
            conv.config.model_auto_compact_token_limit, self.ctx.model_context_window
        )
        return limit is not None and conv.context_tokens >= limit

    async def run_regular(self, items: list[UserInputItem]) -> str | None:
        """The agent loop. Returns the last agent message."""
        conv = self.conversation
        if await hook_events.user_prompt_submit(self, items) is not None:
            return None
        await self.record_user_input(items)
        last_message: str | None = None
        while True:
            for steered in conv.take_pending_input():
                await self.record_user_input(steered)
            if self.context_full():
                await compact_history(self, automatic=True)
            try:
                result = await self.step(conv.history)
            except ContextWindowExceededError:
                await compact_history(self, automatic=True)
                result = await self.step(conv.history)
            last_message = result.last_message or last_message
            if not result.tool_calls and not conv.has_pending_input():
                self.stop_reason = result.stop_reason
                await hook_events.stop(self, last_message)
                return last_message
