"""Codex CLI rollout files (``~/.codex/sessions/**/rollout-*.jsonl``): read one into a
conversation, and write a conversation as one.

A rollout is JSON Lines of ``{timestamp, type, payload}``: ``session_meta`` (id, cwd, model
provider, instructions), ``response_item`` (the model-visible history in Responses API shape),
``turn_context`` (model and policies of a turn), ``event_msg`` (what the user saw) and
``compacted`` (a summary, with the history it replaced the old one with). Unknown entries and
item kinds are skipped, so files from newer Codex versions still import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codex_lsp.errors import StoreError, UnknownConversationError
from codex_lsp.protocol.history import HistoryItem, InputText, UserMessage
from codex_lsp.protocol.responses_items import parse_responses_item, responses_item, text_parts
from codex_lsp.store.conversations import ConversationStore
from codex_lsp.store.records import PREVIEW_MAX_CHARS, title_from

SESSIONS_GLOB = "**/rollout-*.jsonl"


@dataclass
class Rollout:
    """A conversation as read from (or to be written to) a rollout file. ``events`` are our
    wire events (JSON objects) for redrawing it."""

    id: str
    cwd: Path
    created_at: float
    model: str = "gpt-5-codex"
    provider: str | None = None
    instructions: str | None = None
    history: list[HistoryItem] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    turn_count: int = 0
    turn_id: str = "imported-0"


def find_rollouts(root: Path) -> list[Path]:
    """Rollout files under ``root`` (a file is returned as itself), oldest name first."""
    if root.is_file():
        return [root]
    return sorted(root.glob(SESSIONS_GLOB))


def read_rollout(path: Path) -> Rollout:
    """Parse one rollout file; :class:`StoreError` names the file and line that is wrong."""
    rollout: Rollout | None = None
    for number, entry in _lines(path):
        kind, payload = entry.get("type"), entry.get("payload")
        if not isinstance(payload, dict):
            continue
        if kind == "session_meta":
            meta = payload.get("meta", payload)
            rollout = Rollout(
                id=str(meta.get("id") or path.stem.rsplit("-", 5)[-1]),
                cwd=Path(meta.get("cwd") or "."),
                created_at=_timestamp(meta.get("timestamp") or entry.get("timestamp")),
                provider=meta.get("model_provider"),
                instructions=_instructions(meta),
            )
            continue
        if rollout is None:
            raise StoreError(f"{path}:{number}: no session_meta line before the conversation")
        if kind == "response_item":
            item = parse_responses_item(payload)
            if item is not None:
                rollout.history.append(item)
        elif kind == "turn_context":
            rollout.model = str(payload.get("model") or rollout.model)
        elif kind == "compacted":
            _apply_compaction(rollout, payload)
        elif kind == "event_msg":
            _apply_event(rollout, payload)
    if rollout is None:
        raise StoreError(f"{path}: not a Codex rollout (no session_meta line)")
    return rollout


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise StoreError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if isinstance(entry, dict):
            yield number, entry


def _timestamp(value: Any) -> float:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    return datetime.now(UTC).timestamp()


def _instructions(meta: dict[str, Any]) -> str | None:
    value = meta.get("base_instructions") or meta.get("instructions")
    if isinstance(value, dict):
        value = value.get("text")
    return value if isinstance(value, str) and value else None


def _apply_compaction(rollout: Rollout, payload: dict[str, Any]) -> None:
    replacement = payload.get("replacement_history")
    summary = str(payload.get("message") or "")
    if isinstance(replacement, list):
        items = [parse_responses_item(p) for p in replacement if isinstance(p, dict)]
        rollout.history = [i for i in items if i is not None]
    else:
        rollout.history = [UserMessage(content=[InputText(text=summary)])]
    rollout.events.append(
        {
            "type": "contextCompacted",
            "turnId": "imported",
            "item": {
                "type": "contextCompaction",
                "id": f"compaction-{len(rollout.events)}",
                "summary": summary,
            },
        }
    )


_EVENT_KINDS = {
    "user_message": "userMessage",
    "agent_message": "agentMessage",
    "agent_reasoning": "agentReasoning",
}
_ITEM_KINDS = {
    "UserMessage": "user_message",
    "AgentMessage": "agent_message",
    "Reasoning": "agent_reasoning",
}


def _apply_event(rollout: Rollout, payload: dict[str, Any]) -> None:
    """Turn a Codex event into the event a codex-lsp client redraws from. Older Codex wrote
    ``user_message`` / ``agent_message`` events; newer writes ``item_completed`` items."""
    kind = payload.get("type")
    if kind == "item_completed" and isinstance(payload.get("item"), dict):
        item = payload["item"]
        text = "".join(text_parts(item.get("content")) or text_parts(item.get("summary_text")))
        if item.get("type") in _ITEM_KINDS:
            payload = {"type": _ITEM_KINDS[item["type"]], "message": text, "text": text}
            kind = payload["type"]
    if kind in ("task_started", "turn_started"):
        rollout.turn_count += 1
        rollout.turn_id = str(payload.get("turn_id") or f"imported-{rollout.turn_count}")
        rollout.events.append({"type": "taskStarted", "turnId": rollout.turn_id})
    elif kind in ("task_complete", "turn_complete"):
        event = {"type": "taskComplete", "turnId": rollout.turn_id}
        if payload.get("last_agent_message"):
            event["lastAgentMessage"] = payload["last_agent_message"]
        rollout.events.append(event)
    elif kind == "turn_aborted":
        rollout.events.append(
            {"type": "turnAborted", "turnId": rollout.turn_id, "reason": "interrupted"}
        )
    elif kind in _EVENT_KINDS:
        text = str(payload.get("message") or payload.get("text") or "")
        field_name = "text" if kind == "agent_reasoning" else "message"
        rollout.events.append(
            {
                "type": _EVENT_KINDS[kind],
                "turnId": rollout.turn_id,
                "itemId": f"item-{len(rollout.events)}",
                field_name: text,
            }
        )


def write_rollout(rollout: Rollout, path: Path) -> None:
    """Write ``rollout`` as a Codex rollout file the Codex CLI can resume."""
    stamp = datetime.fromtimestamp(rollout.created_at, UTC).isoformat(timespec="milliseconds")
    stamp = stamp.replace("+00:00", "Z")

    def line(kind: str, payload: dict[str, Any]) -> str:
        return json.dumps({"timestamp": stamp, "type": kind, "payload": payload})

    out = [
        line(
            "session_meta",
            {
                "id": rollout.id,
                "timestamp": stamp,
                "cwd": str(rollout.cwd),
                "originator": "codex-lsp",
                "cli_version": "0.0.0",
                "instructions": rollout.instructions,
                "model_provider": rollout.provider or "openai",
            },
        ),
        line(
            "turn_context",
            {
                "cwd": str(rollout.cwd),
                "approval_policy": "on-request",
                "sandbox_policy": {"type": "workspace-write"},
                "model": rollout.model,
                "summary": "auto",
            },
        ),
    ]
    out += [line("response_item", responses_item(i)) for i in rollout.history]
    out += [line("event_msg", e) for e in _codex_events(rollout.events)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _codex_events(events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Our stored events that Codex keeps in rollouts, in its snake_case shape."""
    for event in events:
        kind = event.get("type")
        if kind == "userMessage":
            yield {"type": "user_message", "message": event.get("message", ""), "images": None}
        elif kind == "agentMessage":
            yield {"type": "agent_message", "message": event.get("message", "")}
        elif kind == "agentReasoning":
            yield {"type": "agent_reasoning", "text": event.get("text", "")}


async def import_rollout(store: ConversationStore, rollout: Rollout) -> bool:
    """Store a conversation read from a Codex rollout under its Codex id; False when that id
    is already stored (importing twice changes nothing)."""
    try:
        await store.get(rollout.id)
        return False
    except UnknownConversationError:
        pass
    first = next((e["message"] for e in rollout.events if e["type"] == "userMessage"), "")
    store.writes.enqueue(
        "INSERT INTO conversations (id, created_at, updated_at, cwd, model, provider, title, "
        "preview, base_instructions, turn_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            rollout.id,
            rollout.created_at,
            rollout.created_at,
            str(rollout.cwd),
            rollout.model,
            rollout.provider or "openai",
            title_from(first) if first else None,
            first[:PREVIEW_MAX_CHARS],
            rollout.instructions,
            rollout.turn_count,
        ),
    )
    for seq, item in enumerate(rollout.history):
        store.add_item(rollout.id, 0, seq, None, item.to_wire_json())
    for seq, event in enumerate(rollout.events):
        store.add_event(rollout.id, seq, event.get("turnId"), json.dumps(event))
    await store.writes.flush()
    return True


async def export_rollout(store: ConversationStore, conversation_id: str) -> Rollout:
    """A stored conversation (its current history) as a Codex rollout."""
    stored = await store.load(conversation_id)
    row = stored.row
    return Rollout(
        id=row.id,
        cwd=row.cwd,
        created_at=row.created_at,
        model=row.model,
        provider=row.provider,
        instructions=row.base_instructions,
        history=stored.history,
        events=stored.event_objects(),
        turn_count=row.turn_count,
    )
