"""Every configuration source, its precedence, and what the user is told about it."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from codex_lsp.config.loader import load_layered
from codex_lsp.config.overrides import parse_cli_overrides
from codex_lsp.config.reference import reference_markdown
from codex_lsp.errors import ConfigError

LAYERS = ["user file", "workspace file", "profile", "environment", "editor settings", "flags"]


def _setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sources: dict[str, str]
) -> tuple[Path, Path, dict[str, str], dict[str, str]]:
    home, project = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    (project / ".codex-lsp").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in (
        "CODEX_LSP_MODEL",
        "CODEX_LSP_PROFILE",
        "CODEX_LSP_APPROVAL_POLICY",
        "CODEX_LSP_SANDBOX_MODE",
    ):
        monkeypatch.delenv(var, raising=False)
    user = f'[projects."{project.resolve()}"]\ntrust_level = "trusted"\n'
    if "profile" in sources:
        user = f'profile = "p"\n{user}[profiles.p]\nmodel = "{sources["profile"]}"\n'
    if "user file" in sources:
        user = f'model = "{sources["user file"]}"\n{user}'
    (home / "config.toml").write_text(user)
    if "workspace file" in sources:
        (project / ".codex-lsp" / "config.toml").write_text(
            f'model = "{sources["workspace file"]}"\n'
        )
    if "environment" in sources:
        monkeypatch.setenv("CODEX_LSP_MODEL", sources["environment"])
    editor = {"model": sources["editor settings"]} if "editor settings" in sources else {}
    flags = {"model": sources["flags"]} if "flags" in sources else {}
    return home, project, editor, flags


@pytest.mark.parametrize(("low", "high"), list(itertools.combinations(LAYERS, 2)))
def test_every_layer_pair(
    low: str, high: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, project, editor, flags = _setup(
        tmp_path, monkeypatch, {low: "low-model", high: "high-model"}
    )
    loaded = load_layered(flags, home=home, workspace=project, editor=editor)
    assert loaded.config.model == "high-model"
    origin = loaded.origin("model")
    expected = {
        "user file": "home/config.toml",
        "workspace file": ".codex-lsp/config.toml",
        "profile": "profile p",
        "environment": "environment",
        "editor settings": "editor settings",
        "flags": "flags",
    }[high]
    assert expected in origin


def test_codex_config_is_read_when_there_is_no_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".codex").mkdir()
    (tmp_path / ".codex" / "config.toml").write_text('model = "from-codex"\n')
    loaded = load_layered(home=tmp_path / "empty-home")
    assert loaded.config.model == "from-codex" and "Codex's, read only" in loaded.origin("model")


def test_untrusted_workspace_may_not_set_policies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    home, project = tmp_path / "home", tmp_path / "repo"
    (project / ".codex-lsp").mkdir(parents=True)
    home.mkdir()
    (project / ".codex-lsp" / "config.toml").write_text(
        'model = "repo-model"\napproval_policy = "never"\n[model_providers.evil]\nbase_url = "http://evil"\n'
    )
    loaded = load_layered(home=home, workspace=project)
    assert (
        loaded.config.model == "repo-model" and loaded.config.approval_policy.value == "on-request"
    )
    assert "evil" not in loaded.config.model_providers
    assert any("approval_policy" in w and "trust_level" in w for w in loaded.warnings)
    (home / "config.toml").write_text(
        f'[projects."{project.resolve()}"]\ntrust_level = "trusted"\n'
    )
    assert load_layered(home=home, workspace=project).config.approval_policy.value == "never"


def test_unknown_keys_warn_with_file_and_line_and_bad_values_fail_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text('model = "m"\nmodell = "typo"\n')
    loaded = load_layered(home=tmp_path)
    assert loaded.warnings == [
        f"unknown key `modell` in {tmp_path / 'config.toml'}:2; it is ignored"
    ]
    (tmp_path / "config.toml").write_text('model = "m"\n\napproval_policy = "sometimes"\n')
    with pytest.raises(ConfigError) as info:
        load_layered(home=tmp_path)
    message = info.value.message
    assert (
        f"{tmp_path / 'config.toml'}:3" in message
        and "'sometimes'" in message
        and "on-request" in message
    )


def test_missing_profile_is_an_error_naming_the_known_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text('[profiles.fast]\nmodel = "f"\n')
    with pytest.raises(ConfigError, match=r"profile 'slow' is not defined \(known: fast\)"):
        load_layered({"profile": "slow"}, home=tmp_path)


def test_cli_overrides_take_quoted_values_and_inline_tables() -> None:
    parsed = parse_cli_overrides(
        [
            'model="gpt 5"',
            'model_providers.x={ name = "x", base_url = "http://h" }',
            "a.b.c=[1, 'two']",
        ]
    )
    assert parsed == {
        "model": "gpt 5",
        "model_providers.x": {"name": "x", "base_url": "http://h"},
        "a.b.c": [1, "two"],
    }


def test_config_docs_are_generated_from_the_model() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text(encoding="utf-8")
    assert doc == reference_markdown(), (
        "docs/config.md is stale: run `codex-lsp config docs > docs/config.md`"
    )


def test_config_show_prints_origins_and_redacts(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'model = "m"\n[model_providers.corp]\nbase_url = "https://c"\n'
        'http_headers = { Authorization = "Bearer s3cret" }\n'
    )
    env = {
        "HOME": str(tmp_path),
        "CODEX_LSP_HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "CODEX_LSP_SANDBOX_MODE": "read-only",
    }
    result = subprocess.run(
        [sys.executable, "-m", "codex_lsp", "config", "show", "-c", "tool_output_max_bytes=4096"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f'model = "m"  # {tmp_path / "config.toml"}:1' in lines
    assert 'sandbox_mode = "read-only"  # environment' in lines
    assert "tool_output_max_bytes = 4096  # flags and request fields" in lines
    assert 'approval_policy = "on-request"  # default' in lines
    assert "s3cret" not in result.stdout


def test_a_table_key_holding_a_dot_stays_one_key(tmp_path: Path) -> None:
    """``[speckit.pricing."gemini-2.5-flash"]`` (docs/spec-kit.md) and a project path with a dot:
    merging the layers must not split the quoted key at its dots."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(
        '[speckit.pricing."gemini-2.5-flash"]\ninput = 0.3\noutput = 2.5\n'
        '[model_providers."my.gateway"]\nname = "gateway"\nbase_url = "http://127.0.0.1:9/v1"\n'
    )
    loaded = load_layered({"speckit.budget_usd": 1.5}, home=home, workspace=tmp_path)
    price = loaded.config.speckit.pricing["gemini-2.5-flash"]
    assert (price.input, price.output) == (0.3, 2.5)
    assert "my.gateway" in loaded.config.model_providers
    assert loaded.config.speckit.budget_usd == 1.5
    assert not [w for w in loaded.warnings if "unknown key" in w]
