"""The model picker's list (``codex/listModels``): the provider's own models, each with the
context window and reasoning efforts codex-lsp knows for its family; the built-in list when the
provider cannot be asked or does not answer, with a note saying why."""

from __future__ import annotations

from collections.abc import Callable

from codex_lsp.config.loader import LoadedConfig
from codex_lsp.config.model import WireApi
from codex_lsp.core.model_info import BUILT_IN_MODELS, context_window, reasoning_efforts
from codex_lsp.errors import CodexError
from codex_lsp.protocol.requests import ListModelsResult, ModelEntry
from codex_lsp.providers.models import fetch_models, is_ollama
from codex_lsp.providers.registry import ResolvedProvider, resolve_provider


def _entry(model: str, display_name: str | None = None, window: int | None = None) -> ModelEntry:
    return ModelEntry(
        id=model,
        display_name=display_name,
        context_window=context_window(model, window),
        reasoning_efforts=reasoning_efforts(model),
    )


def _family(resolved: ResolvedProvider) -> str:
    if resolved.info.wire_api is WireApi.ANTHROPIC:
        return "anthropic"
    return "ollama" if is_ollama(resolved.provider_id, resolved.info) else "openai"


def _with_current(models: list[ModelEntry], current: str, window: int | None) -> list[ModelEntry]:
    """The configured model first when the list lacks it (a picker shows the current value)."""
    if not current or any(m.id == current for m in models):
        return models
    return [_entry(current, window=window), *models]


def _every_built_in(provider: str, model: str, window: int | None, why: str) -> ListModelsResult:
    every = [_entry(m) for family in BUILT_IN_MODELS.values() for m in family]
    return ListModelsResult(
        provider=provider,
        model=model,
        source="builtIn",
        models=_with_current(every, model, window),
        note=f"{why.splitlines()[0]} (showing the built-in list)",
    )


async def list_models(load: Callable[[], LoadedConfig]) -> ListModelsResult:
    """The models of the provider the configuration ``load`` gives names (or detects); a
    configuration or provider that fails gives the built-in list, never an error."""
    try:
        config = load().config
    except CodexError as exc:
        return _every_built_in("", "", None, exc.message)
    window = config.model_context_window
    try:
        resolved = await resolve_provider(config)
    except CodexError as exc:
        return _every_built_in(config.model_provider or "", config.model or "", window, exc.message)
    note = None
    try:
        listed = await fetch_models(resolved.provider_id, resolved.info)
    except CodexError as exc:
        listed, note = [], f"{exc.message} (showing the built-in list)"
    else:
        if not listed:
            note = f"{resolved.provider_id} lists no models (showing the built-in list)"
    if listed:
        current = resolved.model
        models = [_entry(m.id, m.display_name, window if m.id == current else None) for m in listed]
    else:
        models = [_entry(m) for m in BUILT_IN_MODELS[_family(resolved)]]
    return ListModelsResult(
        provider=resolved.provider_id,
        model=resolved.model,
        source="provider" if listed else "builtIn",
        models=_with_current(models, resolved.model, window),
        note=note,
    )
