"""``/speckit.auto``'s runs in the store: claimed by one live process at a time (a second
server on the same file is refused, a killed one's run is free to resume), the state written
only by the owner, the quality-gate issues answered once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.store.run_owner import owner_alive, owner_token
from codex_lsp.store.speckit_auto import IssueRow
from codex_lsp.store.speckit_runs import SpeckitRuns

WORKSPACE = Path("/work/project")
_HOLDER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from codex_lsp.store.speckit_runs import SpeckitRuns

    async def main() -> None:
        runs = await SpeckitRuns.open(Path(sys.argv[1]))
        claim = await runs.auto.claim(
            Path("/work/project"), "SPEC-KIT-071", fresh=False, new_id="run-other",
            new_state={"stage": "plan"}, conversation_id=None,
        )
        print("busy" if claim.busy else "claimed", flush=True)
        await asyncio.sleep(60)

    asyncio.run(main())
    """
)


@pytest.fixture
async def runs(tmp_path: Path) -> AsyncIterator[SpeckitRuns]:
    store = await SpeckitRuns.open(tmp_path / "state.db")
    yield store
    await store.close()


async def _claim(runs: SpeckitRuns, run_id: str, *, fresh: bool = False) -> object:
    return await runs.auto.claim(
        WORKSPACE,
        "SPEC-KIT-071",
        fresh=fresh,
        new_id=run_id,
        new_state={"stage": "plan"},
        conversation_id="conv-1",
    )


async def test_a_run_is_single_flight_in_this_process_and_resumed_once_released(
    runs: SpeckitRuns,
) -> None:
    first = await runs.auto.claim(
        WORKSPACE,
        "SPEC-KIT-071",
        fresh=False,
        new_id="r1",
        new_state={"n": 1},
        conversation_id=None,
    )
    assert not first.busy and not first.resumed and first.run.mine
    second = await runs.auto.claim(
        WORKSPACE,
        "SPEC-KIT-071",
        fresh=True,
        new_id="r2",
        new_state={"n": 2},
        conversation_id=None,
    )
    assert second.busy and second.run.id == "r1"
    await runs.auto.save("r1", "interrupted", {"n": 3})
    await runs.auto.release("r1")
    again = await runs.auto.claim(
        WORKSPACE,
        "SPEC-KIT-071",
        fresh=False,
        new_id="r3",
        new_state={},
        conversation_id=None,
    )
    assert again.resumed and again.run.id == "r1" and again.run.state == {"n": 3}


async def test_from_a_stage_supersedes_the_unfinished_run(runs: SpeckitRuns) -> None:
    await _claim(runs, "r1")
    await runs.auto.release("r1")
    fresh = await runs.auto.claim(
        WORKSPACE,
        "SPEC-KIT-071",
        fresh=True,
        new_id="r2",
        new_state={"from": "tasks"},
        conversation_id=None,
    )
    assert fresh.run.id == "r2" and not fresh.resumed
    old = await runs.auto.get("r1")
    assert old is not None and old.status == "superseded"
    assert [r.id for r in await runs.auto.unfinished(WORKSPACE)] == ["r2"]


async def test_only_the_owner_writes_the_state(runs: SpeckitRuns) -> None:
    await _claim(runs, "r1")
    await runs.auto.release("r1")
    with pytest.raises(Exception, match="no longer this server's"):
        await runs.auto.save("r1", "running", {"stage": "tasks"})


@pytest.mark.slow
async def test_a_second_process_on_the_store_is_refused_until_it_is_killed(
    tmp_path: Path, runs: SpeckitRuns
) -> None:
    """Two servers on one store: the live one keeps the run; ``kill -9`` frees it."""
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _HOLDER,
        str(tmp_path / "state.db"),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ},
    )
    try:
        assert holder.stdout is not None
        line = await asyncio.wait_for(holder.stdout.readline(), 30)
        assert line.strip() == b"claimed"
        busy = await runs.auto.claim(
            WORKSPACE,
            "SPEC-KIT-071",
            fresh=False,
            new_id="mine",
            new_state={},
            conversation_id=None,
        )
        assert busy.busy and busy.run.id == "run-other" and not busy.run.mine
        holder.send_signal(signal.SIGKILL)
        await asyncio.wait_for(holder.wait(), 10)
        assert not owner_alive(busy.run.owner)
        taken = await runs.auto.claim(
            WORKSPACE,
            "SPEC-KIT-071",
            fresh=False,
            new_id="mine",
            new_state={},
            conversation_id=None,
        )
        assert taken.resumed and taken.run.id == "run-other" and taken.run.mine
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()


def test_a_reused_pid_is_not_taken_for_the_dead_owner() -> None:
    pid = os.getpid()
    assert owner_alive(owner_token())
    assert not owner_alive(f"{pid}:1")  # this pid, but a process started at another time
    assert not owner_alive(None) and not owner_alive("garbage")


async def test_an_issue_is_answered_once(runs: SpeckitRuns) -> None:
    await _claim(runs, "r1")
    issue = IssueRow(
        run_id="r1",
        checkpoint="clarify",
        issue_id="Q1",
        status="open",
        magnitude="critical",
        file="docs/SPEC-KIT-071-login/spec.md",
        line=12,
        data={"question": "Which IdP?"},
    )
    await runs.auto.put_issues([issue])
    assert [i.issue_id for i in await runs.auto.open_issues(WORKSPACE)] == ["Q1"]
    assert await runs.auto.close_issue("r1", "clarify", "Q1", status="answered", answer="Okta")
    assert not await runs.auto.close_issue("r1", "clarify", "Q1", status="answered", answer="x")
    (stored,) = await runs.auto.issues("r1", "clarify")
    assert stored.answer == "Okta" and stored.status == "answered"
    assert await runs.auto.open_issues(WORKSPACE) == []
