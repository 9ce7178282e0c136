"""The model picker's list (``codex/listModels``'s core) against the scripted model server on
127.0.0.1: the provider's own list in each wire's shape (OpenAI-compatible ``/v1/models``,
Anthropic's with its headers, Ollama's ``/api/tags``), each model with what is known of it, and
every way the provider can fail degrading to the built-in list with a note."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from codex_lsp.config.loader import LoadedConfig, load_layered
from codex_lsp.core.model_info import BUILT_IN_MODELS
from codex_lsp.core.model_list import list_models
from codex_lsp.errors import ConfigError
from codex_lsp.protocol.requests import ListModelsResult
from codex_lsp.providers import models as provider_models
from codex_lsp.testing import FakeModelServer
from tests.helpers import SECRET_KEY, write_config


def _load(home: Path, workspace: Path) -> LoadedConfig:
    return load_layered({}, home=home, workspace=workspace)


async def _listed(home: Path, workspace: Path) -> ListModelsResult:
    return await list_models(lambda: _load(home, workspace))


async def test_the_providers_own_list_with_windows_and_efforts(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url)
    model_server.models = ["gpt-5-codex", "gpt-4.1-mini", "my-finetune", "fake-model"]
    result = await _listed(clean_env, workspace)
    assert (result.provider, result.model, result.source, result.note) == (
        "fake",
        "fake-model",
        "provider",
        None,
    )
    by_id = {m.id: m for m in result.models}
    assert list(by_id) == ["gpt-5-codex", "gpt-4.1-mini", "my-finetune", "fake-model"]
    assert by_id["gpt-5-codex"].context_window == 272_000
    assert by_id["gpt-5-codex"].reasoning_efforts == ["low", "medium", "high"]
    assert by_id["gpt-4.1-mini"].reasoning_efforts == []  # known not to reason
    assert by_id["my-finetune"].reasoning_efforts is None  # unknown: the picker offers all
    assert by_id["gpt-5-codex"].display_name == "GPT-5-CODEX"
    request = model_server.requests[-1]
    assert (request.method, request.path) == ("GET", "/v1/models")
    assert request.headers["authorization"] == f"Bearer {SECRET_KEY}"


async def test_anthropic_is_asked_with_its_own_headers(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url, wire_api="anthropic")
    model_server.models = ["claude-sonnet-4-5-20250929"]
    result = await _listed(clean_env, workspace)
    assert [m.id for m in result.models] == ["fake-model", "claude-sonnet-4-5-20250929"]
    assert result.models[1].context_window == 200_000
    headers = model_server.requests[-1].headers
    assert headers["x-api-key"] == SECRET_KEY and headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in headers


async def test_ollama_lists_what_is_installed_at_api_tags(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    clean_env.mkdir(parents=True, exist_ok=True)
    (clean_env / "config.toml").write_text(
        'model = "gpt-oss:20b"\nmodel_provider = "ollama"\n'
        f'[model_providers.ollama]\nbase_url = "{model_server.base_url}"\n'
    )
    model_server.models = ["gpt-oss:20b", "qwen3-coder:30b"]
    result = await _listed(clean_env, workspace)
    assert model_server.requests[-1].path == "/api/tags"
    assert [m.id for m in result.models] == ["gpt-oss:20b", "qwen3-coder:30b"]
    assert result.models[0].context_window == 131_072
    assert result.source == "provider"


@pytest.mark.parametrize(
    ("status", "said"),
    [(401, "HTTP 401; check FAKE_MODEL_KEY"), (500, "HTTP 500")],
)
async def test_an_error_status_gives_the_built_in_list_with_a_note(
    clean_env: Path, workspace: Path, model_server: FakeModelServer, status: int, said: str
) -> None:
    write_config(clean_env, model_server.base_url)
    model_server.models_status = status
    result = await _listed(clean_env, workspace)
    assert result.source == "builtIn"
    assert result.note is not None and said in result.note and "built-in list" in result.note
    assert [m.id for m in result.models] == ["fake-model", *BUILT_IN_MODELS["openai"]]
    assert SECRET_KEY not in result.model_dump_json()


async def test_a_slow_provider_costs_the_short_timeout_only(
    clean_env: Path, workspace: Path, model_server: FakeModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(clean_env, model_server.base_url)
    monkeypatch.setattr(provider_models, "LIST_TIMEOUT_S", 0.3)
    model_server.models_delay_s = 5
    started = time.monotonic()
    result = await _listed(clean_env, workspace)
    assert time.monotonic() - started < 2
    assert result.source == "builtIn" and result.note and "cannot reach" in result.note


async def test_garbage_and_huge_answers_are_refused(
    clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url)
    model_server.models = ["ok-model", *("x" * 300,)]  # an id past 200 characters is dropped
    result = await _listed(clean_env, workspace)
    assert [m.id for m in result.models] == ["fake-model", "ok-model"]
    model_server.models = [f"m{n:05d}-{'y' * 150}" for n in range(8000)]  # over 1 MiB of JSON
    result = await _listed(clean_env, workspace)
    assert result.source == "builtIn" and result.note and "more than" in result.note


async def test_no_provider_or_a_broken_config_still_gives_a_list(
    clean_env: Path, workspace: Path
) -> None:
    result = await _listed(clean_env, workspace)  # no config, no key, no Ollama
    assert result.source == "builtIn" and result.provider == ""
    assert result.note and result.note.startswith("no model provider is configured")
    every = [m for family in BUILT_IN_MODELS.values() for m in family]
    assert [m.id for m in result.models] == every

    def broken() -> LoadedConfig:
        raise ConfigError("config.toml line 3: expected '=' after a key")

    result = await list_models(broken)
    assert result.note and "line 3" in result.note and result.source == "builtIn"
