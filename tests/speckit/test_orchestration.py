"""How a stage's agents are driven, with real agent conversations: a parallel stage asks its
proposing agents at once, a sequential one in turn; a slow agent runs into its timeout and the
stage's total; an interrupt of the conversation the command was typed in stops every agent."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import InterruptOp, UserInputOp
from codex_lsp.protocol.requests import ListConversationsParams, NewConversationParams
from codex_lsp.testing import Reply, Stall
from tests.speckit.agents import answering, running_agents
from tests.speckit.answers import audit_answer, plan_answer

AGENTS = ("gemini", "claude", "gpt_pro")


def _order(events: list[dict[str, object]]) -> list[str]:
    return [
        f"{e['agent']}:{'asked' if e['type'] == 'speckitAgentStarted' else 'answered'}"
        for e in events
        if e["type"] in ("speckitAgentStarted", "speckitAgentAnswered")
    ]


async def test_a_parallel_stage_asks_its_agents_at_once_and_a_sequential_one_in_turn(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    async with running_agents(clean_env, fork_repo, AGENTS) as agents:
        for name in AGENTS:
            agents.servers[name].enqueue(answering(audit_answer(name), frame_delay_s=0.05))
            agents.servers[name].enqueue(answering(plan_answer(name)))
        conversation = await agents.command("/speckit.audit SPEC-KIT-071")
        order = _order(agents.speckit(conversation))
        assert set(order[:2]) == {"gemini:asked", "claude:asked"}
        assert order[-2:] == ["gpt_pro:asked", "gpt_pro:answered"]
        conversation = await agents.command("/speckit.plan SPEC-KIT-071", conversation)
        plan = _order(agents.speckit(conversation))[len(order) :]
        assert plan == [
            "gemini:asked",
            "gemini:answered",
            "claude:asked",
            "claude:answered",
            "gpt_pro:asked",
            "gpt_pro:answered",
        ]


async def test_an_agent_past_its_timeout_is_left_out(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    extra = "[speckit.timeouts]\nagent = 0.5\n"
    async with running_agents(clean_env, fork_repo, AGENTS, extra) as agents:
        agents.servers["gemini"].default_reply = Reply((Stall(3), *answering({}).steps))
        for name in ("claude", "gpt_pro"):
            agents.servers[name].enqueue(answering(plan_answer(name)))
        started = time.monotonic()
        conversation = await agents.command("/speckit.plan SPEC-KIT-071")
        assert time.monotonic() - started < 5
        consensus = agents.speckit(conversation, "speckitConsensus")[0]
        assert consensus["status"] == "degraded"
        assert "no answer within 0.5 s" in consensus["missingAgents"]["gemini"]
        assert len(agents.requests("gemini")) == 3


async def test_the_stages_total_timeout_stops_asking(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    extra = "[speckit.timeouts]\ntotal = 1\n"
    async with running_agents(clean_env, fork_repo, AGENTS, extra) as agents:
        for name in AGENTS:
            agents.servers[name].default_reply = Reply((Stall(5), *answering({}).steps))
        started = time.monotonic()
        conversation = await agents.command("/speckit.plan SPEC-KIT-071")
        assert time.monotonic() - started < 4
        (error,) = agents.errors(conversation)
        assert "failed" in error and "total timeout" in error
        assert len(agents.requests("claude")) == 0


async def test_an_interrupt_stops_the_stage_and_its_agents(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    async with running_agents(clean_env, fork_repo, AGENTS) as agents:
        agents.servers["gemini"].enqueue(answering(plan_answer("gemini")))
        agents.servers["claude"].default_reply = Reply((Stall(20), *answering({}).steps))
        conv = await agents.manager.new_conversation(NewConversationParams(cwd=fork_repo))
        conv.submit(UserInputOp(items=[TextInput(text="/speckit.plan SPEC-KIT-071")]))
        await agents.log.wait_for(
            "speckitAgentStarted", conv.id, predicate=lambda m: m["agent"] == "claude"
        )
        await asyncio.sleep(0.2)
        started = time.monotonic()
        conv.submit(InterruptOp())
        aborted = await agents.log.wait_for("turnAborted", conv.id)
        assert aborted["reason"] == "interrupted" and time.monotonic() - started < 5
        assert not (fork_spec / "plan.md").exists()
        assert agents.requests("gpt_pro") == []
        listed = await agents.manager.list_conversations(
            ListConversationsParams(cwd=fork_repo, archived=True)
        )
        titles = sorted(item.title for item in listed.items)
        assert titles == [
            "spec-kit SPEC-KIT-071 plan: claude (agent, attempt 1)",
            "spec-kit SPEC-KIT-071 plan: gemini (agent, attempt 1)",
        ]
        assert not any(item.running for item in listed.items)
