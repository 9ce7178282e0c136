"""One turn of a conversation: the object tools see as their session, and the steps every kind
of turn is made of (record the user's input, one model request and the tool calls it made).
A turn sees its conversation only through :class:`TurnParts`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from codex_lsp.config.secrets import credential_variables
from codex_lsp.core.hooks import HookOutcome, HookSite, tool_input
from codex_lsp.core.model_info import model_price
from codex_lsp.core.notify import record_prompt
from codex_lsp.core.sampling import SampleResult, sample
from codex_lsp.core.skills import invoked_skills
from codex_lsp.core.turn_context import TurnContext
from codex_lsp.core.turn_diff import TurnDiffTracker
from codex_lsp.core.turn_parts import TurnParts
from codex_lsp.core.usage import auto_compact_limit
from codex_lsp.core.user_input import convert_input
from codex_lsp.exec.env import command_env
from codex_lsp.exec.rules import CommandRules
from codex_lsp.exec.runner import ExecResult, OutputSink
from codex_lsp.protocol.answers import ApprovalResult, RequestUserInputResult
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
from codex_lsp.protocol.history import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    HistoryItem,
    InputImage,
    InputText,
    UserMessage,
)
from codex_lsp.protocol.items import (
    LocalImageInput,
    StopReason,
    TextInput,
    TokenUsage,
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
from codex_lsp.protocol.tool_specs import ToolSpec
from codex_lsp.providers.base import Prompt
from codex_lsp.tools.commands import CommandRequest, Sandbox
from codex_lsp.tools.files import FileSink
from codex_lsp.tools.terminals import Terminals

_T = TypeVar("_T")


class TurnRunner:
    """State of one running turn; implements the tool session and the event emitter."""

    def __init__(self, parts: TurnParts, submission_id: str, ctx: TurnContext) -> None:
        self.parts = parts
        self.submission_id = submission_id
        self.ctx = ctx
        self.turn_id = f"turn-{uuid.uuid4().hex[:12]}"
        self.diff = TurnDiffTracker(ctx.cwd, parts.seams.files.read)
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
        return self.parts.config.tool_output_max_bytes

    @property
    def review_patches(self) -> bool:
        """Every patch waits for the user's review (config ``review_patches``)."""
        return self.parts.config.review_patches

    @property
    def approved_for_session(self) -> set[tuple[str, ...]]:
        """Commands approved for the rest of the conversation."""
        return self.parts.approved_for_session

    @property
    def denied_for_session(self) -> set[tuple[str, ...]]:
        """What was rejected for the rest of the conversation."""
        return self.parts.denied_for_session

    def emit(self, msg: EventMsg) -> None:
        """Send an event tagged with this turn's submission."""
        self.parts.recorder.emit(self.submission_id, msg)

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
        answer = await self.parts.seams.approvals(self.parts.conversation_id, request)
        return answer if isinstance(answer, ApprovalResult) else ApprovalResult(decision=answer)

    async def request_user_input(
        self, request: RequestUserInputEvent
    ) -> RequestUserInputResult | None:
        """Show the questions as an event and wait for the front end's answers."""
        self.emit(request)
        return await self.parts.seams.user_input(self.parts.conversation_id, request)

    async def open_url(self, url: str) -> bool:
        """Have the front end open a link for the user."""
        return await self.parts.seams.open_url(url)

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
        return self.parts.settings.command_rules

    def command_env(self) -> dict[str, str]:
        """The environment commands run with."""
        config = self.parts.config
        return command_env(
            config.shell_environment_policy, credentials=credential_variables(config)
        )

    @property
    def files(self) -> FileSink:
        """Where file edits go."""
        return self.parts.seams.files

    @property
    def terminals(self) -> Terminals:
        """The conversation's running terminals."""
        return self.parts.terminals

    async def run_command(
        self,
        request: CommandRequest,
        on_output: OutputSink | None,
    ) -> ExecResult:
        """Run a command with the conversation's runner; what it changed in the workspace is
        captured for undo (:meth:`captured`)."""
        commands = self.parts.seams.commands
        return await self.captured(request.sandbox, lambda: commands(request, on_output))

    async def captured(self, sandbox: Sandbox, work: Callable[[], Awaitable[_T]]) -> _T:
        """Run ``work`` (a command, or the stretch of a terminal a tool call waits on); what it
        changed in the workspace is captured for undo — not when its sandbox is read-only: it
        changed nothing."""
        if isinstance(sandbox.policy, ReadOnly):
            return await work()
        return await self.parts.shell_capture.around(sandbox.root, work, self.diff.record_captured)

    def record_preimage(self, paths: list[Path]) -> None:
        """Remember files' content before this turn first changes them."""
        self.diff.record(paths)

    def save_snapshot(self) -> bool:
        """Store what this turn changed so far, so undo survives a crash in the middle of it;
        True when undo can restore some of it."""
        snapshot = self.diff.snapshot(self.turn_id)
        self.parts.snapshots.save(snapshot, self.turn_id)
        return snapshot is not None and bool(snapshot.before)

    def emit_turn_diff(self) -> None:
        """Send the unified diff of everything this turn changed so far."""
        diff = self.diff.unified_diff()
        if diff:
            self.emit(TurnDiffEvent(turn_id=self.turn_id, unified_diff=diff))

    # -- the turn
    async def record_user_input(self, items: list[UserInputItem]) -> None:
        """Add the user's input to the history and show it to the client once it is stored."""
        converted = await asyncio.to_thread(convert_input, items, self.ctx.cwd)
        skills = await asyncio.to_thread(
            invoked_skills, items, self.ctx.cwd, self.parts.home, self.parts.config
        )
        converted.warnings += skills.warnings
        typed = "\n".join(i.text for i in items if isinstance(i, TextInput))
        self.inputs.append(typed)
        parts = self.parts
        parts.background(
            record_prompt(parts.config, parts.home, parts.conversation_id, typed), "history"
        )
        for warning in converted.warnings:
            self.emit(WarningEvent(message=warning))
        item_id = self.new_item_id()
        item = UserMessageItem(id=item_id, content=items)
        message = converted.message
        parts.history.append(message)
        parts.history.extend(skills.messages)
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
        await parts.recorder.emit_durable(
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
        parts = self.parts
        return Prompt(
            model=self.ctx.model,
            instructions=instructions or parts.base_instructions,
            input=history,
            tools=tools,
            effort=self.ctx.effort,
            summary=self.ctx.summary,
            cache_key=parts.conversation_id,
            verbosity=parts.config.model_verbosity,
            web_search=parts.config.web_search,
        )

    async def sample(self, prompt: Prompt, *, visible: bool = True) -> SampleResult:
        """One model request; usage is added to the turn's and the conversation's totals."""
        seams = self.parts.seams
        result = await sample(seams.client, prompt, seams.provider_info, self, visible=visible)
        if result.usage is not None:
            self.usage = self.usage + result.usage
            price = model_price(self.ctx.model, self.parts.config.model_price)
            window = self.ctx.model_context_window
            info = self.parts.usage.record(result.usage, price, window, self._compact_limit())
            self.emit(TokenCountEvent(info=info))
        return result

    async def step(
        self, history: list[HistoryItem], instructions: str | None = None
    ) -> SampleResult:
        """One model request on ``history``: its items, the outputs of the tools it called and
        any images they attached are appended to ``history``."""
        recorder, tools = self.parts.recorder, self.parts.seams.tools
        await recorder.checkpoint(self.turn_id)
        prompt = self.prompt(history, tools.specs(), instructions)
        prompt.output_schema = self.output_schema
        result = await self.sample(prompt)
        history.extend(result.items)
        if result.tool_calls:
            await recorder.checkpoint(self.turn_id)
        for call in result.tool_calls:
            history.append(await self.call_tool(call))
        if result.tool_calls:
            self.save_snapshot()
        history.extend(self.attachments)
        self.attachments.clear()
        return result

    async def fire_hook(
        self, event: str, payload: dict[str, Any], target: str | None = None
    ) -> HookOutcome:
        """Run the lifecycle hooks of ``event``; the ones that failed are reported as warnings."""
        parts = self.parts
        site = HookSite(
            session_id=parts.conversation_id,
            cwd=self.ctx.cwd,
            model=self.ctx.model,
            permission_mode=self.ctx.approval_policy.value,
            env=self.command_env(),
            turn_id=self.turn_id,
        )
        outcome = await parts.settings.hooks.fire(event, payload, site, target)
        for problem in outcome.problems:
            self.emit(WarningEvent(message=f"hook failed: {problem}"))
        return outcome

    async def call_tool(
        self, call: FunctionCall | CustomToolCall
    ) -> FunctionCallOutput | CustomToolCallOutput:
        """``PreToolUse`` hooks (which may deny the call; the model is told why), the call,
        then ``PostToolUse`` hooks with what the tool answered."""
        about = {
            "tool_name": call.name,
            "tool_input": tool_input(call),
            "tool_use_id": call.call_id,
        }
        pre = await self.fire_hook("PreToolUse", about, target=call.name)
        if pre.blocked:
            text = (
                f"a PreToolUse hook denied this {call.name} call: "
                f"{pre.reason or 'no reason given'}. Do not retry it as is."
            )
            if isinstance(call, CustomToolCall):
                return CustomToolCallOutput(call_id=call.call_id, output=text)
            return FunctionCallOutput(call_id=call.call_id, output=text, success=False)
        output = await self.parts.seams.tools.dispatch(self, call)
        await self.fire_hook("PostToolUse", {**about, "tool_response": output.output}, call.name)
        return output

    def context_full(self) -> bool:
        """True when the context has reached the auto-compaction limit."""
        return self.parts.usage.context_full(self._compact_limit())

    def _compact_limit(self) -> int | None:
        configured = self.parts.config.model_auto_compact_token_limit
        return auto_compact_limit(configured, self.ctx.model_context_window)
