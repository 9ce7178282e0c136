"""The error examples in docs/protocol.md ("## Errors") are exactly what a real server answers:
each request block is sent (before ``initialize`` when its answer is -32002, after ``shutdown``
when it says so, otherwise in between) and the answer must equal the block that follows it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.testing import FakeModelServer
from tests.lsp.wire_client import WireClient, frame, request

pytestmark = pytest.mark.slow

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def error_examples() -> list[tuple[Any, dict[str, Any]]]:
    """(what is sent, what is answered) pairs of the Errors section."""
    section = DOC.read_text(encoding="utf-8").split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    blocks = [part.split("\n```", 1)[0] for part in section.split("```json\n")[1:]]
    decoded = [json.loads(block) for block in blocks]
    assert len(decoded) % 2 == 0, "every request example needs its answer"
    return list(zip(decoded[::2], decoded[1::2], strict=True))


async def answer_to(wire: WireClient, sent: Any) -> dict[str, Any]:
    seen = len(wire.messages)
    await wire.send_raw(frame(sent))
    found = await wire.wait_for(
        lambda m: m in wire.messages[seen:] and "method" not in m and "error" in m
    )
    return found


async def test_the_documented_errors_are_the_real_ones(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    pairs = error_examples()
    assert len(pairs) >= 5
    before = [p for p in pairs if p[1]["error"]["code"] == -32002]
    after = [p for p in pairs if "shutting down" in p[1]["error"]["message"]]
    between = [p for p in pairs if p not in before and p not in after]
    wire = await WireClient.start(codex_home, workspace)
    try:
        for phase, examples in (("before", before), ("between", between), ("after", after)):
            if phase == "between":
                await wire.initialize(workspace)
            if phase == "after":
                await wire.send(request("bye", "shutdown"))
                await wire.answer("bye")
            for sent, expected in examples:
                assert await answer_to(wire, sent) == expected
    finally:
        await wire.stop()
