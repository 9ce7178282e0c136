"""docs/protocol.md is the clients' contract: it must cover every method and event."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import TypeAdapter

from codex_lsp.protocol.events import EventMsg
from codex_lsp.protocol.methods import METHODS
from tests.protocol.test_models import event_types

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")


def test_every_method_is_documented() -> None:
    missing = [m.name for m in METHODS if f"`{m.name}`" not in DOC]
    assert not missing, f"docs/protocol.md does not document {missing}"


def test_every_event_is_documented() -> None:
    missing = sorted(t for t in event_types() if f"`{t}`" not in DOC)
    assert not missing, f"docs/protocol.md does not document events {missing}"


def _sections() -> dict[str, list[str]]:
    """Fenced JSON blocks per ``###`` section (keyed by the backticked name, else the title)."""
    sections: dict[str, list[str]] = {}
    current = ""
    block: list[str] | None = None
    for line in DOC.splitlines():
        if line.startswith("### "):
            current = line.split("`")[1] if "`" in line else line[4:]
            sections.setdefault(current, [])
        elif line.strip() == "```json":
            block = []
        elif line.strip() == "```" and block is not None:
            sections.setdefault(current, []).append("\n".join(block))
            block = None
        elif block is not None:
            block.append(line)
    return sections


def test_method_examples_validate_against_the_models() -> None:
    sections = _sections()
    for method in METHODS:
        if method.name == "codex/event":
            continue
        blocks = sections[method.name]
        method.params.model_validate(json.loads(blocks[0]))
        if len(blocks) > 1 and method.result is not None:
            method.result.model_validate(json.loads(blocks[1]))


def test_event_examples_validate_against_the_models() -> None:
    adapter = TypeAdapter(EventMsg)
    seen = set()
    for name, blocks in _sections().items():
        if name.startswith("codex/") and name != "codex/event":
            continue
        for block in blocks:
            data = json.loads(block)
            if isinstance(data, dict) and data.get("type") in event_types():
                adapter.validate_python(data)
                seen.add(data["type"])
            elif isinstance(data, dict) and "msg" in data:
                adapter.validate_python(data["msg"])
    assert seen == event_types(), f"events without a JSON example: {sorted(event_types() - seen)}"
