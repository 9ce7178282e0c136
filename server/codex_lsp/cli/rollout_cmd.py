"""``codex-lsp import-codex`` and ``codex-lsp export``: move conversations between the Codex
CLI (rollout files) and codex-lsp's store, so a user can continue either one in the other."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from codex_lsp.config.overrides import ConfigOverrides
from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.errors import CodexError
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.store.rollout import (
    export_rollout,
    find_rollouts,
    import_rollout,
    read_rollout,
    write_rollout,
)


def codex_sessions_dir() -> Path:
    """Where the Codex CLI keeps rollouts: ``$CODEX_HOME/sessions`` (``~/.codex/sessions``)."""
    home = os.environ.get("CODEX_HOME")
    return (Path(home) if home else Path.home() / ".codex") / "sessions"


def _manager(overrides: ConfigOverrides) -> ConversationManager:
    """A manager for its store alone: nobody hears its events."""
    return ConversationManager(
        FrontEnd(lambda _event: None), ConfigSources(cli_overrides=overrides)
    )


async def _import(path: Path, overrides: ConfigOverrides) -> int:
    files = await asyncio.to_thread(find_rollouts, path)
    if not files:
        print(f"codex-lsp import-codex: no rollout-*.jsonl files under {path}", file=sys.stderr)
        return 1
    manager = _manager(overrides)
    default_provider = manager.load_config(NewConversationParams()).config.model_provider
    imported = skipped = failed = 0
    try:
        store = await manager.store()
        for file in files:
            try:
                rollout = await asyncio.to_thread(read_rollout, file)
                rollout.provider = rollout.provider or default_provider or "openai"
                if await import_rollout(store, rollout):
                    imported += 1
                    print(f"imported {rollout.id}  {file}")
                else:
                    skipped += 1
            except CodexError as exc:
                failed += 1
                print(f"skipped {file}: {exc.message}", file=sys.stderr)
    finally:
        await manager.shutdown_all()
    print(f"{imported} imported, {skipped} already there, {failed} unreadable")
    return 1 if failed and not imported else 0


async def _export(conversation_id: str, out: Path | None, overrides: ConfigOverrides) -> int:
    manager = _manager(overrides)
    try:
        store = await manager.store()
        rollout = await export_rollout(store, conversation_id)
    finally:
        await manager.shutdown_all()
    if out is None:
        created = datetime.fromtimestamp(rollout.created_at, UTC)
        name = f"rollout-{created:%Y-%m-%dT%H-%M-%S}-{rollout.id}.jsonl"
        out = codex_sessions_dir() / f"{created:%Y/%m/%d}" / name
    await asyncio.to_thread(write_rollout, rollout, out)
    print(out)
    return 0


def run_import(path: str | None, overrides: ConfigOverrides) -> int:
    """Entry point of ``codex-lsp import-codex``."""
    try:
        return asyncio.run(_import(Path(path) if path else codex_sessions_dir(), overrides))
    except CodexError as exc:
        print(f"codex-lsp import-codex: {exc.message}", file=sys.stderr)
        return 1


def run_export(conversation_id: str, out: str | None, overrides: ConfigOverrides) -> int:
    """Entry point of ``codex-lsp export``."""
    try:
        return asyncio.run(_export(conversation_id, Path(out) if out else None, overrides))
    except CodexError as exc:
        print(f"codex-lsp export: {exc.message}", file=sys.stderr)
        return 1
