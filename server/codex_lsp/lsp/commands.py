"""The ``workspace/executeCommand`` commands, for clients without a codex-lsp plugin: each one's
positional arguments become the typed params of a feature's handler, which it calls directly.
The conversation defaults to the most recent one (``sendPrompt`` starts one when there is none)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from pydantic import ValidationError
from pygls.exceptions import JsonRpcInvalidParams

from codex_lsp.errors import ProtocolError
from codex_lsp.lsp.approvals import ApprovalAnswer, ApprovalTarget, ClientApprover
from codex_lsp.lsp.code_action_turns import CodeActionTurns
from codex_lsp.lsp.conversations import Conversations
from codex_lsp.lsp.rpc import (
    CommandHandler,
    built_from_arguments,
    conversation_arg,
    parse_params,
    wire,
)
from codex_lsp.lsp.workspace_files import WorkspaceFiles
from codex_lsp.protocol import method_names as names
from codex_lsp.protocol import requests as r
from codex_lsp.protocol.methods import METHODS_BY_NAME
from codex_lsp.protocol.policies import ReviewDecision
from codex_lsp.protocol.requests import ApprovalResult, ConversationScoped


class Commands:
    """Command → handler, over the features the commands drive."""

    def __init__(
        self,
        conversations: Conversations,
        files: WorkspaceFiles,
        code_actions: CodeActionTurns,
        approver: ClientApprover,
    ) -> None:
        self._conversations = conversations
        self._files = files
        self._code_actions = code_actions
        self._approver = approver

    def table(self) -> dict[str, CommandHandler]:
        """Every advertised command → its handler."""
        return {
            "codex-lsp.newConversation": self._new_conversation,
            "codex-lsp.sendPrompt": self._send_prompt,
            "codex-lsp.interrupt": partial(self._op, "codex-lsp.interrupt", names.INTERRUPT),
            "codex-lsp.compact": partial(self._op, "codex-lsp.compact", names.COMPACT),
            "codex-lsp.undoTurn": partial(self._op, "codex-lsp.undoTurn", names.UNDO_TURN),
            "codex-lsp.listConversations": self._list_conversations,
            "codex-lsp.approve": partial(self._answer_approval, "approve"),
            "codex-lsp.deny": partial(self._answer_approval, "deny"),
            "codex-lsp.runCodeAction": self._run_code_action,
            "codex-lsp.openChangedFiles": self._open_changed_files,
        }

    async def _new_conversation(self, args: list[Any]) -> dict[str, Any]:
        """``codex-lsp.newConversation [params]``."""
        options = args[0] if args and isinstance(args[0], dict) else {}
        params = parse_params(r.NewConversationParams, options)
        return wire(await self._conversations.new_conversation(params))

    async def _list_conversations(self, args: list[Any]) -> dict[str, Any]:
        """``codex-lsp.listConversations``."""
        listed = await self._conversations.list_conversations(r.ListConversationsParams())
        return wire(listed)

    async def _send_prompt(self, args: list[Any]) -> dict[str, Any]:
        """``codex-lsp.sendPrompt text [conversationId]``."""
        if not args or not isinstance(args[0], str) or not args[0].strip():
            raise JsonRpcInvalidParams(
                "codex-lsp.sendPrompt needs the prompt text as its first argument"
            )
        conversation_id = conversation_arg("codex-lsp.sendPrompt", args, 1)
        return _submitted(*await self._conversations.start_turn(args[0], conversation_id))

    async def _op(self, command: str, method_name: str, args: list[Any]) -> dict[str, Any]:
        """``codex-lsp.interrupt|compact [conversationId]``, ``codex-lsp.undoTurn
        [conversationId] [numTurns | turnId]``."""
        given = args[0] if args and isinstance(args[0], str) else None
        conversation_id = given or self._conversations.latest()
        if conversation_id is None:
            raise JsonRpcInvalidParams(
                f"{command}: there is no conversation; start one with codex-lsp.sendPrompt"
            )
        method = METHODS_BY_NAME[method_name]
        fields: dict[str, Any] = {"conversation_id": conversation_id}
        if method_name == names.UNDO_TURN and len(args) > 1:
            fields["turn_id" if isinstance(args[1], str) else "num_turns"] = args[1]
        with built_from_arguments():
            params = method.params(**fields)
        assert isinstance(params, ConversationScoped)
        return _submitted(conversation_id, await self._conversations.submit(method, params))

    async def _open_changed_files(self, args: list[Any]) -> dict[str, Any]:
        """``codex-lsp.openChangedFiles [conversationId]``."""
        conversation_id = conversation_arg("codex-lsp.openChangedFiles", args, 0)
        conversation_id = conversation_id or self._conversations.latest()
        if conversation_id is None:
            raise JsonRpcInvalidParams("codex-lsp.openChangedFiles: there is no conversation")
        opened = await self._files.open_changed(conversation_id)
        return {"conversationId": conversation_id, "opened": opened}

    async def _run_code_action(self, args: list[Any]) -> dict[str, Any]:
        """``codex-lsp.runCodeAction data``."""
        return _submitted(*await self._code_actions.run(args[0] if args else None))

    async def _answer_approval(self, command: str, args: list[Any]) -> dict[str, str]:
        """``codex-lsp.approve`` / ``codex-lsp.deny``: answer the pending approval request that
        ``{callId, conversationId?, itemId?, decision?, rejectedHunks?}`` names, or, from a
        keybinding (``approve [decision] [conversationId] [rejectedHunks]``, ``deny
        [conversationId]``), the only pending one."""
        answer: Callable[[], None]
        if args and isinstance(args[0], dict):
            if command == "approve":
                target = parse_params(ApprovalAnswer, args[0])
            else:
                denial = parse_params(ApprovalTarget, args[0])
                target = ApprovalAnswer(**denial.model_dump(), decision=ReviewDecision.DENIED)
            result = ApprovalResult(decision=target.decision, rejected_hunks=target.rejected_hunks)
            answer = partial(self._approver.answer, result, target)
        else:
            decision, conversation_id, hunks = _positional(command, args)
            try:
                result = ApprovalResult(decision=decision, rejected_hunks=hunks)
            except ValidationError as exc:
                raise JsonRpcInvalidParams(
                    f"codex-lsp.approve: rejectedHunks must map file paths to hunk indices: {exc}"
                ) from exc
            answer = partial(self._approver.answer_only, result, conversation_id)
        try:
            answer()
        except ProtocolError as exc:
            raise JsonRpcInvalidParams(f"codex-lsp.{command}: {exc.message}") from exc
        return {"decision": result.decision.value}


def _submitted(conversation_id: str, result: r.SubmissionResult) -> dict[str, Any]:
    """A command's answer for a submitted Op: ``{conversationId, submissionId}``."""
    return {"conversationId": conversation_id, **wire(result)}


def _positional(command: str, args: list[Any]) -> tuple[ReviewDecision, str | None, Any]:
    """The decision, conversationId and rejectedHunks of ``codex-lsp.approve [decision]
    [conversationId] [rejectedHunks]`` / ``codex-lsp.deny [conversationId]``."""
    if command == "deny":
        decision, rest = ReviewDecision.DENIED, args
    else:
        first = args[0] if args else "approved"
        try:
            decision, rest = ReviewDecision(first), args[1:]
        except ValueError:
            decision, rest = ReviewDecision.APPROVED, args
    conversation_id = rest[0] if rest and isinstance(rest[0], str) else None
    return decision, conversation_id, rest[1] if len(rest) > 1 and command == "approve" else {}
