"""The tool registry: offers tool specs to the model and dispatches its calls.

A handler gets a :class:`ToolSession` (what the conversation lends it: settings, events,
approvals) and returns a :class:`ToolOutput` for the model. Malformed calls never raise: the
model is told what was wrong so it can fix the call.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar, cast

from pydantic import BaseModel, ConfigDict, ValidationError

from codex_lsp.errors import CodexError
from codex_lsp.exec.rules import CommandRules
from codex_lsp.exec.runner import ExecResult, OutputSink
from codex_lsp.protocol.answers import ApprovalResult, RequestUserInputResult
from codex_lsp.protocol.events import (
    ApplyPatchApprovalRequestEvent,
    EventMsg,
    ExecApprovalRequestEvent,
    RequestUserInputEvent,
)
from codex_lsp.protocol.history import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
)
from codex_lsp.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    ReviewDecision,
    WorkspaceWrite,
)
from codex_lsp.protocol.tool_specs import FunctionToolSpec, ToolSpec
from codex_lsp.tools.commands import CommandRequest, Sandbox
from codex_lsp.tools.files import FileSink

if TYPE_CHECKING:
    from codex_lsp.tools.terminals import Terminals


class ToolArgs(BaseModel):
    """The base of a tool's arguments: its validator is built at the tool's first call, not
    when its module loads, so a turn that never calls the tool never pays for it."""

    model_config = ConfigDict(defer_build=True)


ArgsT = TypeVar("ArgsT", bound=BaseModel)
_T = TypeVar("_T")


class TurnAbortRequested(CodexError):
    """The user answered an approval with ``abort``: the turn stops now."""


class TurnFailedError(CodexError):
    """The front end cannot do what a tool needs (``exec`` without a terminal cannot ask the
    user): the turn fails with this message instead of the model guessing on."""


class ToolSession(Protocol):
    """What a running turn lends a tool."""

    @property
    def cwd(self) -> Path:
        """The turn's working directory."""
        ...

    @property
    def approval_policy(self) -> AskForApproval:
        """When to ask the user."""
        ...

    @property
    def sandbox_policy(self) -> DangerFullAccess | ReadOnly | WorkspaceWrite:
        """What commands may touch."""
        ...

    @property
    def turn_id(self) -> str:
        """The running turn."""
        ...

    @property
    def tool_output_max_bytes(self) -> int:
        """How much tool output the model may see."""
        ...

    @property
    def review_patches(self) -> bool:
        """Every patch waits for the user's review, whatever the policy (except never)."""
        ...

    @property
    def approved_for_session(self) -> set[tuple[str, ...]]:
        """Commands the user approved for the rest of the conversation."""
        ...

    @property
    def denied_for_session(self) -> set[tuple[str, ...]]:
        """What the user rejected for the rest of the conversation (refused unasked)."""
        ...

    def emit(self, msg: EventMsg) -> None:
        """Send an event to the conversation's subscribers."""
        ...

    def new_item_id(self) -> str:
        """A fresh item id."""
        ...

    async def request_exec_approval(self, request: ExecApprovalRequestEvent) -> ReviewDecision:
        """Ask the user; resolves with their decision."""
        ...

    async def request_patch_approval(
        self, request: ApplyPatchApprovalRequestEvent
    ) -> ApprovalResult:
        """Ask the user about a patch; resolves with their decision and the hunks rejected."""
        ...

    async def request_user_input(
        self, request: RequestUserInputEvent
    ) -> RequestUserInputResult | None:
        """Ask the user the model's questions; ``None`` when they were dismissed or nobody can
        answer."""
        ...

    async def open_url(self, url: str) -> bool:
        """Have the front end open an http(s) link for the user; False when it cannot."""
        ...

    def record_preimage(self, paths: list[Path]) -> None:
        """Remember these files' content before the turn first changes them."""
        ...

    def emit_turn_diff(self) -> None:
        """Send the turn's unified diff so far."""
        ...

    def attach_image(self, path: str, data_url: str) -> None:
        """Show an image to the model after this step's tool outputs."""
        ...

    def command_env(self) -> dict[str, str]:
        """The environment commands run with (the shell environment policy applied)."""
        ...

    async def run_command(
        self,
        request: CommandRequest,
        on_output: OutputSink | None,
    ) -> ExecResult:
        """Run a command under its sandbox where the front end runs commands."""
        ...

    async def captured(self, sandbox: Sandbox, work: Callable[[], Awaitable[_T]]) -> _T:
        """Run ``work`` (a terminal's stretch a tool call waits on) with what it changes in the
        workspace captured for undo, as :meth:`run_command` does for a command."""
        ...

    @property
    def command_rules(self) -> CommandRules:
        """Persisted allow/deny command prefixes."""
        ...

    @property
    def files(self) -> FileSink:
        """Where file edits go (the editor's buffers, or the disk)."""
        ...

    @property
    def terminals(self) -> Terminals:
        """The conversation's running ``exec_command`` terminals."""
        ...


class ToolInvocation(NamedTuple):
    """One call of a tool by the model."""

    call_id: str
    name: str
    payload: str
    freeform: bool


class ToolOutput(NamedTuple):
    """What goes back to the model."""

    text: str
    success: bool = True


Handler = Callable[[ToolSession, ToolInvocation], Awaitable[ToolOutput]]


class LazyHandler:
    """A handler named ``"module:function"``, imported at the tool's first call: every
    request offers the tool's spec, but a turn that never calls it never loads its module (its
    approvals, sandbox, parsers). With ``factory_args`` the function makes the handler from
    them (``web_search_handler(url)``)."""

    def __init__(self, target: str, *factory_args: str) -> None:
        self.target = target
        self._factory_args = factory_args
        self._handler: Handler | None = None

    def resolve(self) -> Handler:
        """The handler, its module imported on the first call."""
        if self._handler is None:
            module, _, name = self.target.partition(":")
            found = getattr(importlib.import_module(module), name)
            self._handler = cast(
                Handler, found(*self._factory_args) if self._factory_args else found
            )
        return self._handler

    async def __call__(self, session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
        """Run the call with the handler."""
        return await self.resolve()(session, invocation)


REJECTED_FOR_GOOD = "the user rejected this for the rest of the conversation; do not try it again"


def json_arguments(invocation: ToolInvocation) -> Any:
    """A function call's arguments decoded; :class:`ToolInvocationError` when not JSON."""
    try:
        return json.loads(invocation.payload or "{}")
    except ValueError as exc:
        raise ToolInvocationError(
            f"arguments of {invocation.name} are not valid JSON: {exc}"
        ) from exc


def parse_arguments(model: type[ArgsT], invocation: ToolInvocation) -> ArgsT:
    """Validate a function call's JSON arguments; raises ToolError naming the bad field."""
    raw = json_arguments(invocation)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        raise ToolInvocationError(f"invalid arguments for {invocation.name}: {problems}") from exc


class ToolInvocationError(CodexError):
    """The model called a tool wrongly; the message is returned to it."""


class ToolSource(Protocol):
    """Tools that come and go while a conversation runs (MCP servers)."""

    def specs(self) -> list[FunctionToolSpec]:
        """What is offered now."""
        ...

    def lookup(self, name: str) -> Handler | None:
        """The handler of ``name``, if this source has it."""
        ...


class ToolRegistry:
    """Tools by name, in the order they are offered; then those of the sources."""

    def __init__(self) -> None:
        self._tools: dict[str, tuple[ToolSpec, Handler]] = {}
        self._sources: list[ToolSource] = []

    def add_source(self, source: ToolSource) -> None:
        """Offer a source's tools after the built-in ones (a built-in name wins)."""
        self._sources.append(source)

    def register(self, spec: ToolSpec, handler: Handler) -> None:
        """Add a tool; a second registration of a name replaces the first."""
        self._tools[spec.name] = (spec, handler)

    def specs(self) -> list[ToolSpec]:
        """What the model is offered."""
        specs: list[ToolSpec] = [spec for spec, _ in self._tools.values()]
        for source in self._sources:
            specs += [s for s in source.specs() if s.name not in self._tools]
        return specs

    def _handler(self, name: str) -> Handler | None:
        tool = self._tools.get(name)
        if tool is not None:
            return tool[1]
        for source in self._sources:
            handler = source.lookup(name)
            if handler is not None:
                return handler
        return None

    async def dispatch(
        self, session: ToolSession, call: FunctionCall | CustomToolCall
    ) -> FunctionCallOutput | CustomToolCallOutput:
        """Run ``call`` and wrap its output for the history."""
        freeform = isinstance(call, CustomToolCall)
        payload = call.input if isinstance(call, CustomToolCall) else call.arguments
        invocation = ToolInvocation(call.call_id, call.name, payload, freeform)
        handler = self._handler(call.name)
        if handler is None:
            known = ", ".join(s.name for s in self.specs())
            output = ToolOutput(
                f"unknown tool {call.name!r}; available tools: {known}", success=False
            )
        else:
            try:
                output = await handler(session, invocation)
            except (TurnAbortRequested, TurnFailedError):
                raise
            except CodexError as exc:
                output = ToolOutput(exc.message, success=False)
        if freeform:
            return CustomToolCallOutput(call_id=call.call_id, output=output.text)
        return FunctionCallOutput(call_id=call.call_id, output=output.text, success=output.success)
