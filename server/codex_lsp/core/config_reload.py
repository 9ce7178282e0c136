"""Config reload: each live conversation's configuration is read again when one of its files
changes (:class:`ConfigWatcher`) or the editor's settings do. What changed applies from the next
turn, and the conversation says so; a configuration that no longer loads is refused, and the
conversation (and the front end) says why while the old one stays in effect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path

from codex_lsp.background import create_task
from codex_lsp.config.layers import leaves
from codex_lsp.core.assembly import ConfigInputs, ConfigSources, turn_context
from codex_lsp.core.config_watch import ConfigWatcher
from codex_lsp.core.conversation import Conversation
from codex_lsp.core.recorder import SESSION_SUBMISSION_ID
from codex_lsp.errors import CodexError
from codex_lsp.protocol.events import ConfigReloadedEvent, ErrorEvent
from codex_lsp.providers.registry import check_provider, resolve_provider


class ConfigReloader:
    """Reloads the configuration of one manager's conversations."""

    def __init__(
        self,
        sources: ConfigSources,
        conversations: Mapping[str, Conversation],
        on_error: Callable[[str], None] | None,
        before: Callable[[], None],
    ) -> None:
        """``before`` runs at the start of every reload (the manager reconciles its MCP
        servers); ``on_error`` hears each refused configuration."""
        self._sources = sources
        self._conversations = conversations
        self._on_error = on_error
        self._before = before
        self._inputs: dict[str, ConfigInputs] = {}
        self._watcher: ConfigWatcher | None = None
        self._reloads: set[asyncio.Task[None]] = set()

    def track(self, conversation_id: str, inputs: ConfigInputs) -> None:
        """Reload ``conversation_id`` from ``inputs`` from now on."""
        self._inputs[conversation_id] = inputs

    def inputs(self, conversation_id: str) -> ConfigInputs | None:
        """What ``conversation_id`` is reloaded from (a fork of a live one copies it)."""
        return self._inputs.get(conversation_id)

    def forget(self, conversation_id: str) -> None:
        """Stop reloading a closed conversation."""
        self._inputs.pop(conversation_id, None)

    def watch(self) -> None:
        """Watch the user's config files and every tracked workspace's (when the sources say
        so: the language server)."""
        if not self._sources.watch:
            return
        if self._watcher is None:
            self._watcher = ConfigWatcher(self.schedule)
        home = self._sources.home
        files = {Path.home() / ".codex" / "config.toml"}
        files |= {home / "config.toml"} if home is not None else set()
        files |= {
            workspace / ".codex-lsp" / "config.toml" for _, workspace in self._inputs.values()
        }
        self._watcher.watch(files)

    def schedule(self) -> None:
        """Reload in the background."""
        create_task(self.reload(), name="config-reload", owner=self._reloads)

    def stop(self) -> None:
        """Stop watching and cancel the reloads under way (server exit)."""
        if self._watcher is not None:
            self._watcher.stop()
        for reload in list(self._reloads):
            reload.cancel()

    async def reload(self) -> None:
        """Re-read every live conversation's configuration; apply what changed from the next
        turn and say so, or keep the old one and say why."""
        self._before()
        for conversation_id, inputs in list(self._inputs.items()):
            conv = self._conversations.get(conversation_id)
            if conv is not None and not conv.closed:
                await self._reload_one(conv, inputs)

    async def _reload_one(self, conv: Conversation, inputs: ConfigInputs) -> None:
        try:
            loaded = self._sources.load(inputs)
            resolved = await resolve_provider(loaded.config)
            check_provider(resolved)
        except CodexError as exc:
            message = (
                "the configuration was not reloaded (the previous one stays in effect): "
                f"{exc.message}"
            )
            conv.emit(SESSION_SUBMISSION_ID, ErrorEvent(message=message))
            if self._on_error is not None:
                self._on_error(message)
            return
        before = leaves(conv.config.model_dump(mode="json"))
        after = leaves(loaded.config.model_dump(mode="json"))
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        if not changed:
            return
        note, ctx = "", None
        if resolved.provider_id != conv.ctx.provider_id:
            note = "; a different provider applies to new conversations only"
        else:
            ctx = turn_context(loaded.config, resolved, conv.ctx.cwd)
            if resolved.info != conv.provider_info:
                entry = f"[model_providers.{resolved.provider_id}]"
                note = f"; the changed {entry} applies to new conversations only"
        conv.apply_config(loaded.config, ctx)
        conv.emit(
            SESSION_SUBMISSION_ID,
            ConfigReloadedEvent(
                changed_keys=changed,
                message=f"configuration reloaded: {', '.join(changed)}{note}",
            ),
        )
