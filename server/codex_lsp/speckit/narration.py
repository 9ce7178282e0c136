"""One line per spec-kit event, for the places that show a stage as it goes: ``$/progress`` in
the editor, the event stream ``codex-lsp exec`` prints (a stage takes minutes: the user sees
which agent is asked, which answered, which is asked again, the consensus and the cost)."""

from __future__ import annotations

from codex_lsp.protocol.speckit_events import (
    SpeckitAgentAnsweredEvent,
    SpeckitAgentRetryEvent,
    SpeckitAgentStartedEvent,
    SpeckitAutoProgressEvent,
    SpeckitConsensusEvent,
    SpeckitCostEvent,
    SpeckitStageCompletedEvent,
    SpeckitStageStartedEvent,
)


def narrate(msg: object) -> str | None:
    """One line for a spec-kit event (None for other events)."""
    where = f"/speckit.{getattr(msg, 'stage', '')}"
    if isinstance(msg, SpeckitAutoProgressEvent):
        where = f"/speckit.auto {msg.spec_id}: stage {msg.stage_number} of {msg.stage_count}"
        answered = f", {msg.agents_answered} of {msg.agents} agents answered" if msg.agents else ""
        why = f" ({msg.reason})" if msg.reason else ""
        return f"{where} ({msg.stage}), {msg.state}{why}{answered}, ${msg.cost_usd:.4f} so far"
    if isinstance(msg, SpeckitStageStartedEvent):
        return f"{where} {msg.spec_id}: {len(msg.agents)} agent(s), {msg.mode}"
    if isinstance(msg, SpeckitAgentStartedEvent):
        again = f" (attempt {msg.attempt})" if msg.attempt > 1 else ""
        return f"{where}: asking {msg.agent}{again}"
    if isinstance(msg, SpeckitAgentAnsweredEvent):
        return f"{where}: {msg.agent} {'answered' if msg.ok else 'gave no usable answer'}"
    if isinstance(msg, SpeckitAgentRetryEvent):
        return f"{where}: asking {msg.agent} again ({msg.attempt} of {msg.max_attempts})"
    if isinstance(msg, SpeckitConsensusEvent):
        return f"{where}: consensus {msg.status}"
    if isinstance(msg, SpeckitCostEvent) and msg.message:
        return msg.message
    if isinstance(msg, SpeckitStageCompletedEvent):
        return f"{where}: {msg.status}"
    return None
