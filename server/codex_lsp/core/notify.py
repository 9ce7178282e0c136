"""After-turn side effects a user configures: the ``notify`` program (Codex's payload) and the
prompt history file. Both run off the event loop and never fail a turn."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

from codex_lsp.config.model import Config, HistoryPersistence

log = logging.getLogger(__name__)

HISTORY_FILE = "history.jsonl"
NOTIFY_TIMEOUT_S = 30.0


async def run_notify(
    config: Config, turn_id: str, inputs: list[str], last_message: str | None
) -> None:
    """Run ``notify`` with ``{"type": "agent-turn-complete", ...}`` as its last argument."""
    if not config.notify:
        return
    payload = json.dumps(
        {
            "type": "agent-turn-complete",
            "turn-id": turn_id,
            "input-messages": inputs,
            "last-assistant-message": last_message,
        }
    )
    try:
        proc = await asyncio.create_subprocess_exec(
            *config.notify,
            payload,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.wait_for(proc.wait(), NOTIFY_TIMEOUT_S)
    except TimeoutError:
        proc.kill()
        log.warning(
            "notify program %s took longer than %ss and was killed",
            config.notify[0],
            NOTIFY_TIMEOUT_S,
        )
    except OSError as exc:
        log.warning("notify program %s could not run: %s", config.notify[0], exc)


def _append(path: Path, line: str, max_bytes: int | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line)
    if max_bytes is not None and path.stat().st_size > max_bytes:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        while lines and sum(len(x.encode()) for x in lines) > max_bytes:
            lines.pop(0)
        path.write_text("".join(lines), encoding="utf-8")


async def record_prompt(config: Config, home: Path | None, conversation_id: str, text: str) -> None:
    """Append a prompt to ``history.jsonl`` unless history is off."""
    if home is None or config.history.persistence is HistoryPersistence.NONE or not text:
        return
    line = json.dumps({"session_id": conversation_id, "ts": int(time.time()), "text": text}) + "\n"
    try:
        await asyncio.to_thread(_append, home / HISTORY_FILE, line, config.history.max_bytes)
    except OSError as exc:
        log.warning("could not write the prompt history: %s", exc)
