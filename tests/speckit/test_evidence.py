"""Evidence: one naming scheme for writer and reader, the footprint and its limits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.evidence import SCHEMA_VERSION, Evidence, Level, Telemetry
from tests.speckit.conftest import open_workspace


def test_written_run_files_are_what_status_finds(
    fork_spec: Path, fork_repo: Path, tmp_path: Path
) -> None:
    ws = open_workspace(fork_repo, tmp_path / "home")
    evidence = Evidence(ws)
    early, late = datetime(2025, 11, 1, tzinfo=UTC), datetime(2025, 11, 2, 3, 4, 5, 6, tzinfo=UTC)
    for moment in (early, late):
        paths = evidence.run_paths("SPEC-KIT-071", "plan", moment)
        doc = Telemetry(
            spec_id="SPEC-KIT-071",
            stage="plan",
            session_id="s1",
            moment=moment,
            artifacts=["docs/x/plan.md"],
            baseline={"mode": "agents", "status": "passed"},
            hooks={"session": {"start": "a"}},
        ).document()
        evidence.write_json(paths["telemetry"], doc)
        evidence.write_json(paths["verdict"], {"status": "ok"})
    found = evidence.stage_files("SPEC-KIT-071")
    assert found.telemetry["plan"].moment == late and found.verdicts["plan"].moment == late
    assert found.telemetry["plan"].path.name == "spec-plan_20251102T030405000006Z.json"
    data = evidence.read_json(found.telemetry["plan"].path)
    assert data is not None
    assert {
        k: data[k] for k in ("schemaVersion", "command", "specId", "sessionId", "timestamp")
    } == {
        "schemaVersion": SCHEMA_VERSION,
        "command": "spec-plan",
        "specId": "SPEC-KIT-071",
        "sessionId": "s1",
        "timestamp": "2025-11-02T03:04:05.000006Z",
    }
    assert (
        data["artifacts"] == [{"path": "docs/x/plan.md"}] and "baseline" in data and "hooks" in data
    )


def test_limits_warn_then_refuse(fork_spec: Path, fork_repo: Path, tmp_path: Path) -> None:
    ws = open_workspace(
        fork_repo,
        tmp_path / "home",
        "[speckit]\nevidence_soft_limit_mb = 0.01\nevidence_hard_limit_mb = 0.02\n",
    )
    evidence = Evidence(ws)
    packet = ws.layout.resolve("SPEC-KIT-071")
    assert evidence.check_limits(packet).level is Level.OK
    folder = evidence.commands_dir("SPEC-KIT-071")
    folder.mkdir(parents=True)
    (folder / "big.json").write_bytes(b"x" * 15_000)
    warn = evidence.check_limits(packet)
    assert warn.level is Level.WARN and "over the soft limit of 0.01 MB" in warn.message
    (packet.folder / "evidence").mkdir()
    (packet.folder / "evidence" / "more.bin").write_bytes(b"y" * 10_000)
    refuse = evidence.check_limits(packet)
    assert refuse.level is Level.REFUSE and refuse.footprint.total_bytes == 25_000
    assert refuse.footprint.largest[0][0].endswith("commands/SPEC-KIT-071/big.json")
    with pytest.raises(SpeckitError, match=r"over the hard limit of 0\.02 MB"):
        evidence.refuse_if_over(packet)
