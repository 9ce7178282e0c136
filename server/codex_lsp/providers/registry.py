"""Picks the model provider (configured, or detected) and builds its client."""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx

from codex_lsp.config.model import Config, ModelProviderInfo, WireApi
from codex_lsp.errors import NoProviderError
from codex_lsp.providers.base import ModelClient
from codex_lsp.providers.http import check_endpoint

NO_PROVIDER_HELP = """no model provider is configured and none was detected.
Configure one of these, then run the command again:
  1. OpenAI:  export OPENAI_API_KEY=sk-...
  2. Ollama:  install it (https://ollama.com), run `ollama serve` and `ollama pull gpt-oss:20b`
  3. Any OpenAI-compatible endpoint (vLLM, llama.cpp, LM Studio, OpenRouter): add to
     $CODEX_LSP_HOME/config.toml (default ~/.codex-lsp/config.toml):
       model = "your-model"
       model_provider = "local"
       [model_providers.local]
       name = "local"
       base_url = "http://127.0.0.1:8000/v1"
       wire_api = "chat"          # or "responses"
       env_key = "LOCAL_API_KEY"  # omit if the server needs no key
  4. Anthropic: export ANTHROPIC_API_KEY=sk-ant-..."""

OLLAMA_PROBE_TIMEOUT_S = 0.5


@dataclass(frozen=True)
class ResolvedProvider:
    """The provider a conversation will use, and the model on it."""

    provider_id: str
    info: ModelProviderInfo
    model: str


async def resolve_provider(config: Config) -> ResolvedProvider:
    """The configured provider, else OpenAI with a key, else a local Ollama that answers, else
    Anthropic with a key; raises :class:`NoProviderError` with setup steps otherwise."""
    providers = config.providers()
    provider_id = config.model_provider or await _detect(providers)
    info = providers.get(provider_id)
    if info is None:
        known = ", ".join(sorted(providers))
        raise NoProviderError(
            f"model_provider {provider_id!r} is not defined. Known providers: {known}. "
            f"Define it under [model_providers.{provider_id}] in config.toml."
        )
    if provider_id == "openai" and os.environ.get("OPENAI_BASE_URL"):
        info = info.model_copy(update={"base_url": os.environ["OPENAI_BASE_URL"]})
    model = config.model or info.default_model
    if not model:
        raise NoProviderError(
            f'no model is set for provider {provider_id!r}: set model = "..." in config.toml '
            "or pass --model"
        )
    return ResolvedProvider(provider_id, info, model)


async def _detect(providers: dict[str, ModelProviderInfo]) -> str:
    if os.environ.get("OPENAI_API_KEY"):
        return "openai"
    ollama = providers.get("ollama")
    if ollama and ollama.base_url and await _answers(ollama.base_url):
        return "ollama"
    if os.environ.get("ANTHROPIC_API_KEY"):
        return "anthropic"
    raise NoProviderError(NO_PROVIDER_HELP)


async def _answers(base_url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=OLLAMA_PROBE_TIMEOUT_S) as client:
            response = await client.get(f"{base_url.rstrip('/')}/models")
            return response.status_code == 200
    except httpx.HTTPError:
        return False


def check_provider(resolved: ResolvedProvider) -> None:
    """Raise what creating ``resolved``'s client would (no base_url, a bad one, an API key
    variable that is not set), without creating it: a reload is refused like a start."""
    check_endpoint(resolved.provider_id, resolved.info)


def create_client(resolved: ResolvedProvider, config: Config) -> ModelClient:
    """A client for ``resolved``'s wire API. Only that wire's module is imported: a process
    talks to one or two wires, and each of the others is ~5 ms of its start."""
    wire = resolved.info.wire_api
    if wire is WireApi.RESPONSES:
        from codex_lsp.providers.responses import ResponsesClient

        return ResponsesClient(resolved.provider_id, resolved.info)
    if wire is WireApi.ANTHROPIC:
        from codex_lsp.providers.anthropic import AnthropicClient

        return AnthropicClient(resolved.provider_id, resolved.info, config.model_max_output_tokens)
    from codex_lsp.providers.chat import ChatClient

    return ChatClient(resolved.provider_id, resolved.info)
