"""Carrying out a routed command: the native ones here and now (new, status, constitution, and
clarify / analyze / checklist when their stage has no agents); for the others the SPEC is
resolved (a wrong one fails here, before any model is asked) and a :class:`NeedsAgents` says
what the agents runner is to run."""

from __future__ import annotations

from dataclasses import dataclass

from codex_lsp.speckit.agents import StageAgents, stage_agents
from codex_lsp.speckit.auto_run import cancel_run
from codex_lsp.speckit.commands import Kind
from codex_lsp.speckit.constitution import speckit_constitution
from codex_lsp.speckit.heuristics import run_native
from codex_lsp.speckit.new import speckit_new
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.result import CommandResult
from codex_lsp.speckit.routing import Invocation
from codex_lsp.speckit.stages import PIPELINE
from codex_lsp.speckit.status import speckit_overview, speckit_status
from codex_lsp.speckit.status_render import render_overview, render_status
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.store.speckit_runs import SpeckitRuns


@dataclass(frozen=True)
class NeedsAgents:
    """A command that runs on agents: the invocation, its SPEC, the stages and their agents."""

    invocation: Invocation
    packet: SpecPacket | None
    stages: tuple[str, ...]
    agents: dict[str, StageAgents]

    def describe(self) -> str:
        """What would run, for a front end that cannot run agents."""
        target = f" {self.packet.id}" if self.packet else ""
        lines = [f"{self.invocation.command.slash}{target} runs on agents:"]
        lines += [f"- {self.agents[s].describe()}" for s in self.stages]
        return "\n".join(lines)


async def execute(
    invocation: Invocation, workspace: Workspace, runs: SpeckitRuns | None
) -> CommandResult | NeedsAgents:
    """Run ``invocation`` natively, or say which agents it needs. Raises
    :class:`~codex_lsp.errors.SpeckitError` with what to do (an unknown SPEC, …)."""
    command = invocation.command
    plans = stage_agents(workspace.config)
    if command.name == "speckit.new":
        return await speckit_new(workspace, invocation.text)
    if command.name == "speckit.cancel":
        assert invocation.spec is not None
        packet = workspace.layout.resolve(invocation.spec)
        if runs is None:
            return CommandResult(False, f"{packet.id}: the store is not open, nothing to cancel.")
        return await cancel_run(runs, workspace, packet.id)
    if command.name == "speckit.status":
        if invocation.spec is None or invocation.all_specs:
            overview = await speckit_overview(workspace, runs)
            return CommandResult(True, render_overview(overview), overview.to_wire())
        packet = workspace.layout.resolve(invocation.spec)
        report = await speckit_status(workspace, packet, runs, invocation.stale_hours)
        return CommandResult(True, render_status(report), report.to_wire())
    stage = command.stage
    if command.kind is Kind.AGENTS_OR_NATIVE and stage is not None and plans[stage].native:
        if stage == "constitution":
            return await speckit_constitution(workspace)
        assert invocation.spec is not None
        return await run_native(stage, workspace, workspace.layout.resolve(invocation.spec))
    target = workspace.layout.resolve(invocation.spec) if invocation.spec else None
    if command.kind is Kind.PIPELINE:
        start = PIPELINE.index(invocation.from_stage) if invocation.from_stage else 0
        stages: tuple[str, ...] = PIPELINE[start:]
    else:
        assert stage is not None
        stages = (stage,)
    return NeedsAgents(invocation, target, stages, {s: plans[s] for s in stages})
