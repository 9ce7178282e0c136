"""The Neovim plugin's skills completion (``:Codex $<Tab>``) and mode switch (``:CodexMode``) in a
real, headless Neovim."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_lsp.exec import sandbox
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.codex_peer import input_texts
from tests.neovim.test_neovim import pytestmark as neovim_marks
from tests.neovim.test_neovim import run_nvim

pytestmark = neovim_marks


def test_codex_completes_skills_after_a_dollar(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    for name, description in (("deploy", "Deploy to staging"), ("debug", "Debug a failure")):
        path = workspace / ".agents" / "skills" / name / "SKILL.md"
        path.parent.mkdir(parents=True)
        path.write_text(f"---\nname: {name}\ndescription: {description}\n---\nBODY {name}\n")
    model_server.enqueue(Reply((Text("deployed"),)))
    report = run_nvim("skills_flow.lua", codex_home, workspace)
    assert report["started"] and report["finished"], report
    assert report["completed"] == ["$debug", "$deploy"]
    assert report["none"] == []
    sent = input_texts(model_server.requests[0].body)
    assert any(t.startswith("<skill>\n<name>deploy</name>") for t in sent)
    assert not any("BODY debug" in t for t in sent)


@pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support")
def test_codex_mode_switches_the_preset_for_the_next_turn(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", str(workspace / "ro.txt")]}),)),
        Reply((Text("refused"),)),
    )
    report = run_nvim("modes_flow.lua", codex_home, workspace)
    assert report["completion"] == ["read-only", "auto", "full-access"]
    assert report["initial"] == "auto" and report["prompt"] == "Approval mode (now auto)"
    assert report["picked_from"] == ["read-only", "auto", "full-access"]
    assert report["picked"] == "full-access"
    assert any("without a sandbox" in n for n in report["notified"]), report["notified"]
    assert "mode Read Only from the next turn on" in " ".join(report["notified"])
    assert report["statusline"] == "codex: idle [read-only]"
    assert report["finished"] and not report["written"]


def test_codex_model_picks_from_the_provider_s_list_and_its_efforts(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.models = ["o3", "fake-model"]
    model_server.enqueue(Reply((Text("hi"),)))
    report = run_nvim("model_flow.lua", codex_home, workspace)
    assert report["prompts"] == ["Model (provider)", "Reasoning effort for o3"]
    assert report["offered"] == [["o3 — O3", "fake-model — FAKE-MODEL"], ["low", "medium", "high"]]
    assert report["notified"] == "codex-lsp: o3, effort high from the next turn on"
    assert report["finished"]
    body = model_server.requests[-1].body
    assert body["model"] == "o3" and body["reasoning"]["effort"] == "high"
