"""``codex/listSpecs`` against a real server process: the workspace's SPECs with their folders
and tracker rows, for a composer's ``/speckit.<name> <SPEC>`` completion."""

from __future__ import annotations

from pathlib import Path

from tests.lsp.conftest import open_session
from tests.speckit.conftest import make_fork_repo, make_fork_spec


async def test_list_specs_gives_every_spec_folder_with_its_tracker_row(
    codex_home: Path, tmp_path: Path
) -> None:
    repo = make_fork_repo(tmp_path / "fork")
    make_fork_spec(repo)
    async with open_session(codex_home, repo, "visual-studio-code", True) as lsp:
        listed = await lsp.request("codex/listSpecs", {})
    by_id = {s["specId"]: s for s in listed["specs"]}
    assert set(by_id) == {"SPEC-KIT-065", "SPEC-KIT-070", "SPEC-KIT-071"}
    assert by_id["SPEC-KIT-070"] == {
        "specId": "SPEC-KIT-070",
        "directory": "docs/SPEC-KIT-070-b/",
        "title": "B",
        "status": "In Progress",
    }
    assert by_id["SPEC-KIT-071"]["directory"] == "docs/SPEC-KIT-071-login/"
