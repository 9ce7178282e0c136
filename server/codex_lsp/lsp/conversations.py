"""The conversations feature: start, resume, fork, list, archive, rename and delete
conversations, submit the Op of every Op method (``codex/userInput``, ``codex/interrupt``…), and
switch a conversation's approval preset (``codex/listModes``, ``codex/setMode``)."""

from __future__ import annotations

from functools import partial

from codex_lsp.config.sandbox import sandbox_policy
from codex_lsp.core import ConversationManager, info
from codex_lsp.core.mcp_prompts import expand_prompt_command
from codex_lsp.lsp.rpc import Handler, one_table
from codex_lsp.protocol import method_names as names
from codex_lsp.protocol import requests as r
from codex_lsp.protocol.events import WarningEvent
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.methods import METHODS, METHODS_BY_NAME, Method
from codex_lsp.protocol.modes import MODES, MODES_BY_ID, exact_mode
from codex_lsp.protocol.ops import OverrideTurnContextOp, UserInputOp, UserTurnOp
from codex_lsp.protocol.requests import ConversationScoped


class Conversations:
    """The conversation methods, over the manager."""

    def __init__(self, manager: ConversationManager) -> None:
        self._manager = manager

    def methods(self) -> dict[str, Handler]:
        """Method → handler, for the conversation methods and every Op method."""
        ops: dict[str, Handler] = {m.name: partial(self.submit, m) for m in METHODS if m.op}
        return one_table(
            ops,
            {
                names.NEW_CONVERSATION: self.new_conversation,
                names.RESUME_CONVERSATION: self._resume,
                names.FORK_CONVERSATION: self._fork,
                names.LIST_CONVERSATIONS: self.list_conversations,
                names.ARCHIVE_CONVERSATION: self._archive,
                names.RENAME_CONVERSATION: self._rename,
                names.DELETE_CONVERSATION: self._delete,
                names.LIST_MODES: self._list_modes,
                names.SET_MODE: self._set_mode,
            },
        )

    async def submit(self, method: Method, params: ConversationScoped) -> r.SubmissionResult:
        """An Op method: the params without the conversation id are the Op (a message that is
        an MCP prompt command carries the prompt's text instead)."""
        assert method.op is not None
        op = method.op.model_validate(params.model_dump(exclude={"conversation_id"}))
        conversation = self._manager.get(params.conversation_id)
        if isinstance(op, UserInputOp | UserTurnOp):
            items = await expand_prompt_command(op.items, self._manager.mcp)
            op = op.model_copy(update={"items": items})
        return r.SubmissionResult(submission_id=conversation.submit(op))  # type: ignore[arg-type]

    async def _list_modes(self, params: r.ListModesParams) -> r.ListModesResult:
        current = None
        if params.conversation_id is not None:
            ctx = self._manager.get(params.conversation_id).ctx
            current = exact_mode(ctx.approval_policy, ctx.sandbox_policy)
        return r.ListModesResult(modes=list(MODES), current=current)

    async def _set_mode(self, params: r.SetModeParams) -> r.SetModeResult:
        """Switch the preset from the next turn on (a running turn keeps its policies); full
        access is also announced in the conversation, as a warning every client shows."""
        conversation = self._manager.get(params.conversation_id)
        mode = MODES_BY_ID[params.mode]
        policy = sandbox_policy(mode.sandbox_mode, conversation.config)
        op = OverrideTurnContextOp(approval_policy=mode.approval_policy, sandbox_policy=policy)
        submission_id = conversation.submit(op)
        if mode.warning:
            conversation.emit(submission_id, WarningEvent(message=mode.warning))
        return r.SetModeResult(submission_id=submission_id, mode=mode, warning=mode.warning)

    async def new_conversation(self, params: r.NewConversationParams) -> r.ConversationInfo:
        """``codex/newConversation``."""
        return info(await self._manager.new_conversation(params))

    async def list_conversations(
        self, params: r.ListConversationsParams
    ) -> r.ListConversationsResult:
        """``codex/listConversations``."""
        return await self._manager.list_conversations(params)

    async def start_turn(
        self, prompt: str, conversation_id: str | None
    ) -> tuple[str, r.SubmissionResult]:
        """Send ``prompt`` to the conversation (the most recent one, else a new one); the
        conversation's id and the submission."""
        conversation_id = conversation_id or self.latest()
        if conversation_id is None:
            started = await self.new_conversation(r.NewConversationParams())
            conversation_id = started.conversation_id
        params = r.UserInputParams(conversation_id=conversation_id, items=[TextInput(text=prompt)])
        return conversation_id, await self.submit(METHODS_BY_NAME[names.USER_INPUT], params)

    def is_live(self, conversation_id: str) -> bool:
        """``conversation_id`` is open in this server."""
        return any(c.id == conversation_id for c in self._manager.live())

    def latest(self) -> str | None:
        """The most recently updated conversation open in this server."""
        live = self._manager.live()
        return max(live, key=lambda c: c.updated_at).id if live else None

    async def _resume(self, params: r.ResumeConversationParams) -> r.ResumeConversationResult:
        return await self._manager.resume(params.conversation_id)

    async def _fork(self, params: r.ForkConversationParams) -> r.ConversationInfo:
        return info(await self._manager.fork(params.conversation_id, params.turn_id))

    async def _archive(self, params: r.ArchiveConversationParams) -> r.EmptyResult:
        await self._manager.archive(params.conversation_id, params.archived)
        return r.EmptyResult()

    async def _rename(self, params: r.RenameConversationParams) -> r.EmptyResult:
        await self._manager.rename(params.conversation_id, params.title)
        return r.EmptyResult()

    async def _delete(self, params: r.DeleteConversationParams) -> r.EmptyResult:
        await self._manager.delete(params.conversation_id)
        return r.EmptyResult()
