"""Reading config.toml and -c overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_lsp.config.layers import Layer, merge
from codex_lsp.config.loader import load_config
from codex_lsp.config.model import WireApi
from codex_lsp.config.overrides import parse_cli_overrides
from codex_lsp.errors import ConfigError
from codex_lsp.protocol.policies import AskForApproval


def test_overrides_take_dotted_keys_and_toml_values() -> None:
    parsed = parse_cli_overrides(
        [
            'model="o3"',
            "model_providers.x.request_max_retries=7",
            "sandbox_mode=read-only",
            "x=[1, 2]",
        ]
    )
    assert parsed == {
        "model": "o3",
        "model_providers.x.request_max_retries": 7,
        "sandbox_mode": "read-only",
        "x": [1, 2],
    }
    with pytest.raises(ConfigError, match="key=value"):
        parse_cli_overrides(["novalue"])


def test_codex_config_is_read_and_overrides_win(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'model = "gpt-5"\napproval_policy = "untrusted"\n'
        "[model_providers.local]\n"
        'name = "local"\nbase_url = "http://127.0.0.1:8000/v1"\nwire_api = "chat"\n'
    )
    config = load_config(
        {"model": "o3", "model_providers.local.stream_max_retries": 9}, home=tmp_path
    )
    assert config.model == "o3" and config.approval_policy is AskForApproval.UNTRUSTED
    local = config.providers()["local"]
    assert (
        local.wire_api is WireApi.CHAT
        and local.stream_max_retries == 9
        and local.base_url == "http://127.0.0.1:8000/v1"
    )
    assert set(config.providers()) >= {"openai", "ollama", "anthropic", "local"}


def test_merge_rules_tables_merge_scalars_and_lists_replace() -> None:
    low = Layer("low", {"a": {"x": 1, "y": [1]}, "b": 1})
    high = Layer("high", {"a": {"y": [2]}, "b": 2})
    merged = merge([low, high])
    assert merged.tree == {"a": {"x": 1, "y": [2]}, "b": 2}
    assert merged.origins["a.x"] is low and merged.origins["a.y"] is high


def test_errors_name_the_file_and_the_key(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("model = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(home=tmp_path)
    (tmp_path / "config.toml").write_text('approval_policy = "sometimes"\n')
    with pytest.raises(ConfigError, match="approval_policy"):
        load_config(home=tmp_path)
