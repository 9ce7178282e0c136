"""The ``/speckit.auto`` state machine alone: every path through :func:`advance`, and the state
surviving the store's JSON."""

from __future__ import annotations

import pytest

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.auto import (
    AutoState,
    Interrupted,
    Resumed,
    RunStatus,
    StageDone,
    StageEnded,
    advance,
    next_stage,
)


def _ok(stage: str, decision: str | None = None) -> StageEnded:
    return StageEnded(StageDone(stage, "ok", True, (f"{stage}.md",), 0.01, decision=decision))


def test_stages_follow_in_order_to_completion() -> None:
    state = AutoState.start("SPEC-KIT-071", None, "")
    seen = []
    while (stage := next_stage(state)) is not None:
        seen.append(stage)
        state = advance(state, _ok(stage, "pass" if stage == "validate" else None))
    assert seen == ["plan", "tasks", "implement", "validate", "audit", "unlock"]
    assert state.status is RunStatus.COMPLETED and state.cost_usd == 0.06
    assert state.resume_command() is None


def test_a_stage_that_does_not_stand_stops_and_resuming_runs_it_again() -> None:
    state = advance(
        AutoState.start("S", "tasks", ""),
        StageEnded(StageDone("tasks", "failed", False, message="two agents failed")),
    )
    assert state.status is RunStatus.STOPPED and state.reason == "two agents failed"
    assert next_stage(state) is None
    again = advance(state, Resumed())
    assert next_stage(again) == "tasks" and again.reason is None


def test_validate_goes_back_to_implement_twice_then_stops() -> None:
    state = AutoState.start("S", "implement", "")
    for _ in range(2):
        state = advance(state, _ok("implement"))
        state = advance(state, _ok("validate", "needs-work"))
        assert next_stage(state) == "implement"
    state = advance(state, _ok("implement"))
    state = advance(state, _ok("validate", "fail"))
    assert state.status is RunStatus.STOPPED and state.validate_retries == 2
    assert "after 3 implementation(s)" in (state.reason or "")


def test_from_validate_a_failure_has_no_implement_to_go_back_to() -> None:
    state = advance(AutoState.start("S", "validate", ""), _ok("validate", "fail"))
    assert state.status is RunStatus.STOPPED


def test_an_interrupt_keeps_the_position_and_a_completed_run_stays_completed() -> None:
    state = advance(
        advance(AutoState.start("S", None, ""), _ok("plan")), Interrupted("interrupted")
    )
    assert state.status is RunStatus.INTERRUPTED and state.current == "tasks"
    assert advance(advance(state, Resumed()), Resumed()).current == "tasks"
    done = AutoState.start("S", "unlock", "")
    done = advance(done, _ok("unlock"))
    assert advance(done, Interrupted("late")).status is RunStatus.COMPLETED


def test_an_end_of_another_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="run is at plan"):
        advance(AutoState.start("S", None, ""), _ok("tasks"))


def test_the_state_survives_the_stores_json() -> None:
    state = advance(AutoState.start("S", None, "goal"), _ok("plan"))
    assert AutoState.from_json(state.to_json()) == state


def test_a_stored_state_this_codex_lsp_cannot_read_is_a_clear_error() -> None:
    for bad in ({}, {"spec_id": "S", "stages": []}, {"spec_id": "S", "stages": ["deploy"]}):
        with pytest.raises(SpeckitError, match="start a new run with --from <stage>"):
            AutoState.from_json(bad)
    with pytest.raises(SpeckitError, match="not one this codex-lsp reads"):
        AutoState.from_json({"spec_id": "S", "stages": ["plan"], "status": "exploded"})
