"""spec-kit in a real, headless Neovim with no plugin: ``/speckit.auto`` started through
``workspace/executeCommand``, the clarify gate's critical question a ``speckit`` diagnostic on
spec.md, ``vim.lsp.buf.code_action`` answering it, the run going on; then the plugin's
``:CodexSpec`` completing its subcommands and the workspace's SPEC ids."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from codex_lsp.testing import FakeModelServer
from tests.neovim.test_neovim import NVIM, run_nvim
from tests.speckit.agents import agents_toml, answering
from tests.speckit.conftest import make_fork_repo, make_fork_spec
from tests.speckit.pipeline import AGENTS, STAGES, THREE, asked, enqueue
from tests.speckit.test_gates import GATES, clarify_answer, issue

QUESTION = "Which identity provider does sign-in use?"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(NVIM is None, reason="no nvim on PATH or beside Python"),
]


class _Agents:
    def __init__(self, servers: dict[str, FakeModelServer]) -> None:
        self.servers = servers


@pytest.fixture
def servers() -> Iterator[dict[str, FakeModelServer]]:
    with ExitStack() as stack:
        yield {name: stack.enter_context(FakeModelServer()) for name in ("main", *AGENTS)}


def test_a_gate_question_is_answered_from_neovim_s_code_action_and_the_run_goes_on(
    clean_env: Path, tmp_path: Path, servers: dict[str, FakeModelServer]
) -> None:
    agents = _Agents({n: s for n, s in servers.items() if n != "main"})
    clean_env.mkdir(parents=True, exist_ok=True)
    toml = agents_toml(
        agents.servers, servers["main"].base_url, extra=GATES, top='approval_policy = "never"\n'
    )
    (clean_env / "config.toml").write_text(toml, "utf-8")
    root = make_fork_repo(tmp_path / "fork")
    spec = make_fork_spec(root)
    answers = {
        "gemini": issue("CLR-009", QUESTION, "Okta", "critical", "need-human", "redirect"),
        "claude": issue("CLR-009", QUESTION, "Auth0", "critical", "need-human", "redirect"),
        "gpt_pro": issue("CLR-009", QUESTION, "Okta", "important", "suggest-fix", "redirect"),
    }
    for name in THREE:
        agents.servers[name].enqueue(answering(clarify_answer(name, answers[name])))
    for stage in STAGES:
        enqueue(agents, stage)
    report = run_nvim("speckit_flow.lua", clean_env, root)
    assert report["initialized"] and report["diagnostic"], report
    assert QUESTION in report["message"] and report["severity"] == 1  # ERROR
    assert report["shown"] == 1  # once, not pushed and pulled
    assert report["lnum"] == 15 and report["plan_before"] == 0
    assert report["titles"][:3] == [
        "Answer CLR-009: Okta",
        "Answer CLR-009: Auth0",
        "Answer CLR-009…",
    ]
    assert report["answered"] and report["cleared"], report
    assert report["notes"] == []  # no error shown
    assert report["went_on"], report
    assert (
        "- CLR-009: Which identity provider does sign-in use? → Okta"
        in (spec / "spec.md").read_text()
    )
    assert asked(agents).count("plan") == 3
    assert report["subcommands"] == ["analyze", "audit", "auto"]
    assert report["spec_ids"] == ["SPEC-KIT-065", "SPEC-KIT-070", "SPEC-KIT-071"]
    assert report["spec_ids_071"] == ["SPEC-KIT-070", "SPEC-KIT-071"]
