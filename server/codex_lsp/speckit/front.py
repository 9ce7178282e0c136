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
from codex_lsp.errors import CodexError, SpeckitError
from codex_lsp.protocol.events import (
    AgentMessageEvent,
    ErrorEvent,
    ItemCompletedEvent,
    ItemStartedEvent,
)
from codex_lsp.protocol.history import AssistantMessage
from codex_lsp.protocol.items import AgentMessageItem, TextInput, UserInputItem
from codex_lsp.speckit.agent_runner import ConversationRunner
from codex_lsp.speckit.agents import stage_agents
from codex_lsp.speckit.auto import GateOutcome, StageDone
from codex_lsp.speckit.auto_run import AutoDriver
from codex_lsp.speckit.commands import Kind
from codex_lsp.speckit.dispatch import NeedsAgents, execute
from codex_lsp.speckit.engine import StageRun
from codex_lsp.speckit.files import read_text
from codex_lsp.speckit.gate_native import native_answers
from codex_lsp.speckit.gate_run import GateAnswers, GateKeeper
from codex_lsp.speckit.gates import CHECKPOINTS, gate_for
from codex_lsp.speckit.implement import apply_chosen_patch
from codex_lsp.speckit.orchestrator import run_stage
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.result import CommandResult
from codex_lsp.speckit.routing import Invocation, RouteError, route
from codex_lsp.speckit.stage_finish import StageResult
from codex_lsp.speckit.stage_sinks import Emitter
from codex_lsp.speckit.stage_state import RunOptions
from codex_lsp.speckit.tasks_md import first_open, tick
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
        """Each stage in turn; the first that does not stand ends the command. /speckit.auto
        is the durable state machine's (:class:`~codex_lsp.speckit.auto_run.AutoDriver`)."""
        invocation = needs.invocation
        pipeline = invocation.command.kind is Kind.PIPELINE
        spec = _Spec(
            needs.packet or _project_packet(workspace), workspace, runs, invocation, pipeline
        )
        if pipeline:
            return await self._auto(spec)
        (stage,) = needs.stages
        done = await self._stage(spec, stage)
        ok = bool(done["ok"])
        if invocation.json:
            return _Said(ok, json.dumps({"ok": ok, "stages": [done]}, indent=2))
        return _Said(ok, str(done["message"]))

    async def _auto(self, spec: _Spec) -> _Said:
        """/speckit.auto: claimed, driven and summarised by the state machine's driver."""

        async def stage_fn(stage: str, goal: str, emit: Emitter) -> StageDone:
            return stage_done(await self._stage(spec, stage, emit, goal))

        async def gate_fn(stage: str, gate: str, run_id: str, emit: Emitter) -> GateOutcome:
            return await self._gate(spec, stage, gate, run_id, emit)

        invocation = spec.invocation
        settings = spec.workspace.config.speckit.quality_gates
        checkpoints = {s: g for s in CHECKPOINTS if (g := gate_for(s, settings)) is not None}
        driver = AutoDriver(
            spec.runs,
            spec.workspace,
            spec.packet.id,
            emit=self.runner.emit,
            run_stage=stage_fn,
            hold_gate=gate_fn,
            checkpoints=checkpoints,
            conversation_id=self.runner.parts.conversation_id,
        )
        result = await driver.run(invocation.from_stage, invocation.text)
        return _Said(result.ok, result.render(invocation.json))

    async def _agents(
        self, spec: _Spec, stage: str, emit: Emitter, user_text: str, task: str | None
    ) -> tuple[StageRun, StageResult]:
        """One stage run by its agents, each a conversation of its own."""
        run = await StageRun.prepare(
            spec.workspace,
            spec.packet,
            stage,
            emitter=emit,
            options=RunOptions(
                runs=spec.runs,
                session_id=self.runner.parts.conversation_id,
                user_text=user_text,
                task=task,
                pipeline=spec.pipeline,
            ),
        )
        agents = ConversationRunner(self.manager, f"spec-kit {spec.packet.id} {stage}")
        try:
            writer = SessionWriter(self.runner, spec.workspace.root)
            result = await run_stage(run, agents, writer)
        finally:
            await asyncio.shield(agents.aclose())
        return run, result

    async def _tick(self, spec: _Spec, task: str) -> str:
        """Tick ``task`` in tasks.md through the editor; what to tell the user."""
        path = spec.packet.file("tasks.md")
        writer = SessionWriter(self.runner, spec.workspace.root)
        ticked = tick(await writer.read(path) or "", task)
        if ticked is None:
            return f"{task} was ticked already (or is no longer in tasks.md)."
        await writer.write({path: ticked}, f"/speckit.implement {spec.packet.id} {task}: done")
        return f"{task} is ticked in {spec.workspace.relative(path)}."

    async def _gate(
        self, spec: _Spec, stage: str, gate: str, run_id: str, emit: Emitter
    ) -> GateOutcome:
        """The quality gate ``gate`` before ``stage``: its agents (the native heuristics when
        its stage has none, :mod:`codex_lsp.speckit.gate_native`), then the decisions."""
        checkpoint = CHECKPOINTS[stage]
        plan = stage_agents(spec.workspace.config)[gate]
        writer = SessionWriter(self.runner, spec.workspace.root)
        keeper = GateKeeper(spec.workspace, spec.packet, spec.runs, writer, emit)
        if plan.native or not plan.agents:
            found = await asyncio.to_thread(native_answers, gate, spec.workspace, spec.packet)
            return await keeper.hold(run_id, stage, gate, found, native=True)
        run, result = await self._agents(spec, gate, emit, "", None)
        if not result.outcome.stands:
            raise SpeckitError(
                f"quality gate {checkpoint} ({gate}) failed: {result.outcome.message}"
            )
        arbiter = plan.arbiter.name if plan.arbiter else None
        return await keeper.hold(run_id, stage, gate, GateAnswers(run.answers, arbiter))

    async def _stage(
        self, spec: _Spec, stage: str, emit: Emitter | None = None, goal: str | None = None
    ) -> dict[str, Any]:
        runner = self.runner
        packet, workspace, invocation = spec.packet, spec.workspace, spec.invocation
        user_text = invocation.text if goal is None else goal
        task = invocation.task
        if stage == "implement" and not spec.pipeline and task is None:
            task = await asyncio.to_thread(_first_open_task, packet, workspace)
        if stage == "validate":
            commands = await asyncio.to_thread(validation_commands, packet, workspace.root)
            results = await run_validation(runner, commands)
            user_text = "\n\n".join(t for t in (user_text, report(results)) if t)
        run, result = await self._agents(spec, stage, emit or runner.emit, user_text, task)
        outcome = result.outcome
        message = result.synthesis.report if result.synthesis else outcome.message
        ok = outcome.stands
        if stage == "implement" and ok:
            patched = await apply_chosen_patch(runner, outcome, run.answers)
            message, ok = f"{message}\n\n{patched.message}", patched.applied
            if ok and task is not None:
                message += "\n\n" + await self._tick(spec, task)
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
            "costUsd": round(sum(o.cost for o in result.record.outputs), 6) if result.record else 0,
            "agreements": len(outcome.agreements),
            "conflicts": len(outcome.conflicts),
            "decision": _decision(stage, outcome.arbiter, run.answers),
        }


@dataclass(frozen=True)
class _Spec:
    """What a command works on: its SPEC, the workspace, the store, what was typed, and
    whether it is /speckit.auto."""

    packet: SpecPacket
    workspace: Workspace
    runs: SpeckitRuns
    invocation: Invocation
    pipeline: bool


def _first_open_task(packet: SpecPacket, workspace: Workspace) -> str | None:
    """The first unticked task of the SPEC's tasks.md (None: no tasks.md, or all ticked).
    Blocking."""
    text = read_text(packet.file("tasks.md"), workspace.root)
    found = first_open(text) if text else None
    return found.id if found else None


def _decision(stage: str, arbiter: str | None, answers: dict[str, dict[str, Any]]) -> str | None:
    """validate's decision: the arbiter's, else the worst an agent gave."""
    if stage != "validate":
        return None
    if arbiter is not None and arbiter in answers:
        return str(answers[arbiter].get("decision") or "") or None
    given = {str(a.get("decision")) for a in answers.values()}
    return next((d for d in ("fail", "needs-work", "pass") if d in given), None)


def stage_done(report: dict[str, Any]) -> StageDone:
    """A stage command's report, as the state machine records it."""
    return StageDone(
        stage=str(report["stage"]),
        status=str(report["status"]),
        ok=bool(report["ok"]),
        files=tuple(report["files"]),
        cost_usd=float(report["costUsd"]),
        agreements=int(report["agreements"]),
        conflicts=int(report["conflicts"]),
        decision=report["decision"],
        message=str(report["message"]),
        record_id=report["runId"],
    )


def _project_packet(workspace: Workspace) -> SpecPacket:
    """The packet a stage about the whole project (the constitution) runs on."""
    constitution = workspace.layout.constitution
    return SpecPacket("constitution", 0, constitution.parent, workspace.layout.kind)
