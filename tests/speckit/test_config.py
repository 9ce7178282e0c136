"""``[[agents]]`` and ``[speckit]``: the errors a bad agent list gets, and which agents each
stage uses (what doctor and status say)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_lsp.config.loader import load_layered
from codex_lsp.errors import ConfigError
from codex_lsp.speckit.agents import stage_agents
from tests.speckit.conftest import write_home

AGENTS = """
[model_providers.google]
base_url = "http://127.0.0.1:9/v1"

[[agents]]
name = "gemini"
provider = "google"
model = "gemini-2.5-flash"

[[agents]]
name = "claude"
provider = "anthropic"
model = "claude-haiku-4-5"
reasoning_effort = "low"

[[agents]]
name = "gpt_pro"
provider = "openai"
model = "gpt-5"
"""


def _load(tmp_path: Path, toml: str) -> object:
    home = write_home(tmp_path / "home", toml)
    return load_layered(home=home, workspace=tmp_path).config


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            AGENTS + '[speckit.stages]\nplan = ["gemini", "grok"]\n',
            "speckit.stages.plan names agent 'grok', which is not in [[agents]] (known: claude, "
            "gemini, gpt_pro)",
        ),
        (
            AGENTS.replace('name = "claude"', 'name = "claude"\nenabled = false')
            + '[speckit.stages]\nvalidate = ["claude", "gemini"]\n',
            "speckit.stages.validate names agent 'claude', which is disabled (enabled = false)",
        ),
        (
            '[speckit.stages]\naudit = ["gemini"]\n',
            "speckit.stages.audit names agent 'gemini', which is not in [[agents]] (known: none "
            "are defined)",
        ),
        (
            AGENTS + '[speckit]\narbiter = "judge"\n',
            "speckit.arbiter names agent 'judge', which is not in [[agents]]",
        ),
        (
            AGENTS + "[speckit.stages]\nplan = []\n",
            "speckit.stages.plan is empty, but plan has no native implementation",
        ),
        (
            AGENTS + '[[agents]]\nname = "gemini"\nprovider = "openai"\n',
            "[[agents]] defines 'gemini' twice",
        ),
        (
            '[[agents]]\nname = "x"\nprovider = "nowhere"\n',
            "[[agents]] 'x' uses provider 'nowhere', which is not defined",
        ),
        (
            "[speckit]\nevidence_soft_limit_mb = 30\nevidence_hard_limit_mb = 20\n",
            "evidence_hard_limit_mb (20) is below speckit.evidence_soft_limit_mb (30)",
        ),
    ],
)
def test_a_bad_agent_list_is_a_config_error_naming_the_stage_and_the_name(
    tmp_path: Path, toml: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, toml)
    assert expected in caught.value.message
    assert "Traceback" not in caught.value.message


def test_a_bad_value_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"speckit\.layout"):
        _load(tmp_path, '[speckit]\nlayout = "gitlab"\n')
    with pytest.raises(ConfigError, match=r"agents\.0\.name"):
        _load(tmp_path, '[[agents]]\nname = "no spaces allowed"\n')


def test_without_agents_every_stage_runs_on_the_users_model(tmp_path: Path) -> None:
    config = _load(tmp_path, 'model = "qwen3-coder"\nmodel_provider = "ollama"\n')
    plans = stage_agents(config)  # type: ignore[arg-type]
    for stage in ("specify", "plan", "tasks", "implement", "validate", "audit", "unlock"):
        plan = plans[stage]
        assert [a.name for a in plan.agents] == ["default"]
        assert (plan.agents[0].model, plan.agents[0].provider) == ("qwen3-coder", "ollama")
        assert plan.arbiter == plan.agents[0] and plan.required == 1
    for stage in ("clarify", "analyze", "checklist"):
        assert plans[stage].native
    assert (
        "plan: default (ollama/qwen3-coder); arbiter default; needs 1 of 1"
        in plans["plan"].describe()
    )


def test_default_tiers_keep_the_defined_agents(tmp_path: Path) -> None:
    config = _load(tmp_path, AGENTS + '[speckit.stages]\nclarify = ["claude", "gemini"]\n')
    plans = stage_agents(config)  # type: ignore[arg-type]
    plan = plans["plan"]
    assert [a.name for a in plan.agents] == ["gemini", "claude", "gpt_pro"]
    assert plan.arbiter is not None and plan.arbiter.name == "gpt_pro" and plan.required == 2
    implement = plans["implement"]
    assert [a.name for a in implement.agents] == ["gemini", "claude", "gpt_pro"]
    assert "gpt_codex (not defined)" in implement.notes[0]
    clarify = plans["clarify"]
    assert [a.name for a in clarify.agents] == ["claude", "gemini"] and not clarify.native
    assert clarify.arbiter is not None and clarify.arbiter.name == "gpt_pro"
    assert plans["analyze"].native


def test_agents_with_other_names_fill_the_default_tiers(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        '[[agents]]\nname = "fast"\nmodel = "m1"\n[[agents]]\nname = "smart"\nmodel = "m2"\n'
        '[[agents]]\nname = "off"\nenabled = false\n',
    )
    plan = stage_agents(config)["plan"]  # type: ignore[arg-type]
    assert [a.name for a in plan.agents] == ["fast", "smart"]
    assert plan.source == "every enabled agent"
    assert plan.arbiter is not None and plan.arbiter.name == "smart"
