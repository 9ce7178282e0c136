"""The one place a spec-kit command typed in a conversation is carried out, whatever the front
end (LSP ``codex/userInput`` / ``userTurn``, ``codex-lsp exec``, the MCP server's ``codex``
tool, ACP): every front end builds its :class:`~codex_lsp.core.manager.ConversationManager`
with :func:`speckit_router`, and the conversation hands a message that is a ``/speckit.*``
command (or one of its aliases) to it instead of the model.

The command runs as a task of that conversation (as a review does): its events (the stage's
``speckit*`` events, the agent message with the result) are the conversation's, an interrupt
stops it, the stage file is written through the conversation's file sink (the editor) and
undone with its turn, ``/speckit.implement``'s patch and ``/speckit.validate``'s commands take
the conversation's apply_patch and shell paths (approvals, sandbox)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from codex_lsp.core.manager import ConversationManager
from codex_lsp.core.supervisor import CommandRouter, TurnBody
from codex_lsp.core.turn import TurnRunner
from codex_lsp.errors import CodexError
from codex_lsp.protocol.events import (
    AgentMessageEvent,
    ErrorEvent,
    ItemCompletedEvent,
    ItemStartedEvent,
)
from codex_lsp.protocol.history import AssistantMessage
from codex_lsp.protocol.items import AgentMessageItem, TextInput, UserInputItem
from codex_lsp.speckit.agent_runner import ConversationRunner
from codex_lsp.speckit.dispatch import NeedsAgents, execute
from codex_lsp.speckit.engine import StageRun
from codex_lsp.speckit.implement import apply_chosen_patch
from codex_lsp.speckit.orchestrator import run_stage
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.result import CommandResult
from codex_lsp.speckit.routing import Invocation, RouteError, route
from codex_lsp.speckit.validation import report, run_validation, validation_commands
from codex_lsp.speckit.workspace import Workspace, find_root
from codex_lsp.speckit.writer import SessionWriter
from codex_lsp.store.speckit_runs import SpeckitRuns


def typed_command(items: list[UserInputItem]) -> str | None:
    """The text of a message that starts with a slash command (its first item is text that
    starts with ``/``), else None."""
    first = items[0] if items else None
    if isinstance(first, TextInput) and first.text.lstrip().startswith("/"):
        return first.text.strip()
    return None


@dataclass(frozen=True)
class _Said:
    """A command's answer: whether it succeeded, and the text (Markdown or JSON)."""

    ok: bool
    text: str


def speckit_router(manager: ConversationManager) -> CommandRouter:
    """The router ``manager``'s conversations hand typed messages to."""

    def router(items: list[UserInputItem]) -> TurnBody | None:
        text = typed_command(items)
        if text is None or route(text) is None:
            return None

        async def body(runner: TurnRunner) -> str | None:
            return await CommandTask(manager, runner, text).run(items)

        return body

    return router


class CommandTask:
    """One typed spec-kit command, carried out in ``runner``'s turn."""

    def __init__(self, manager: ConversationManager, runner: TurnRunner, text: str) -> None:
        self.manager = manager
        self.runner = runner
        self.text = text

    async def run(self, items: list[UserInputItem]) -> str | None:
        """Show the command as the user's message, carry it out, answer (or report the error)."""
        await self.runner.record_user_input(items)
        try:
            said = await self._carry_out()
        except CodexError as exc:
            said = _Said(False, exc.message)
        if not said.ok:
            self.runner.emit(ErrorEvent(message=said.text, turn_id=self.runner.turn_id))
            return None
        self._say(said.text)
        return said.text

    def _say(self, text: str) -> None:
        runner = self.runner
        item_id = runner.new_item_id()
        turn_id = runner.turn_id
        runner.emit(ItemStartedEvent(turn_id=turn_id, item=AgentMessageItem(id=item_id, text="")))
        runner.emit(AgentMessageEvent(turn_id=turn_id, item_id=item_id, message=text))
        runner.emit(
            ItemCompletedEvent(turn_id=turn_id, item=AgentMessageItem(id=item_id, text=text))
        )
        runner.parts.history.append(AssistantMessage(text=text))

    async def _carry_out(self) -> _Said:
        config = self.runner.parts.config
        root = await asyncio.to_thread(find_root, self.runner.cwd)
        workspace = await asyncio.to_thread(Workspace.open, root, config, self.manager.home)
        current = await asyncio.to_thread(workspace.layout.current)
        routed = route(self.text, current=current)
        assert routed is not None  # the router hands over spec-kit commands only
        if isinstance(routed, RouteError):
            return _Said(False, routed.message)
        runs = await SpeckitRuns.open(workspace.state_db)
        try:
            result = await execute(routed, workspace, runs)
            if isinstance(result, CommandResult):
                return _Said(result.ok, result.render(routed.json))
            return await self._stages(result, workspace, runs)
        finally:
            await runs.close()

    async def _stages(self, needs: NeedsAgents, workspace: Workspace, runs: SpeckitRuns) -> _Said:
        """Each stage in turn; the first that does not stand ends the command."""
        packet = needs.packet or _project_packet(workspace)
        pipeline = len(needs.stages) > 1
        reports: list[dict[str, Any]] = []
        ok = True
        for stage in needs.stages:
            done = await self._stage(stage, packet, needs.invocation, workspace, runs, pipeline)
            reports.append(done)
            ok = bool(done["ok"])
            if not ok:
                break
        if needs.invocation.json:
            return _Said(ok, json.dumps({"ok": ok, "stages": reports}, indent=2))
        return _Said(ok, "\n\n".join(str(r["message"]) for r in reports))

    async def _stage(
        self,
        stage: str,
        packet: SpecPacket,
        invocation: Invocation,
        workspace: Workspace,
        runs: SpeckitRuns,
        pipeline: bool,
    ) -> dict[str, Any]:
        runner = self.runner
        user_text = invocation.text
        if stage == "validate":
            commands = await asyncio.to_thread(validation_commands, packet, workspace.root)
            results = await run_validation(runner, commands)
            user_text = "\n\n".join(t for t in (user_text, report(results)) if t)
        run = await StageRun.prepare(
            workspace,
            packet,
            stage,
            emitter=runner.emit,
            runs=runs,
            session_id=runner.parts.conversation_id,
            user_text=user_text,
            task=invocation.task,
            pipeline=pipeline,
        )
        agents = ConversationRunner(self.manager, f"spec-kit {packet.id} {stage}")
        try:
            result = await run_stage(run, agents, SessionWriter(runner, workspace.root))
        finally:
            await asyncio.shield(agents.aclose())
        outcome = result.outcome
        message = result.synthesis.report if result.synthesis else outcome.message
        ok = outcome.stands
        if stage == "implement" and ok:
            patched = await apply_chosen_patch(runner, outcome, run.answers)
            message, ok = f"{message}\n\n{patched.message}", patched.applied
        return {
            "ok": ok,
            "specId": packet.id,
            "stage": stage,
            "status": outcome.status.value,
            "files": [workspace.relative(p) for p in result.files],
            "message": message,
            "resume": None if outcome.stands else outcome.resume,
            "conversations": run.conversations,
            "runId": result.record.id if result.record else None,
        }


def _project_packet(workspace: Workspace) -> SpecPacket:
    """The packet a stage about the whole project (the constitution) runs on."""
    constitution = workspace.layout.constitution
    return SpecPacket("constitution", 0, constitution.parent, workspace.layout.kind)
