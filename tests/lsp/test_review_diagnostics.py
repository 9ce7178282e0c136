"""Review findings in the editor, over a real server under pytest-lsp: published as diagnostics
(``source: "codex-review"``) on their files and lines, "Fix this" on each starts a turn on it in
the reviewing conversation, a later review replaces them, a finding outside the workspace is not
published, and a reviewer's garbage answer publishes nothing and leaves the server serving."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types

from codex_lsp.testing import Answer, FakeModelServer, Reply, Text, ToolCall
from tests.core.test_review_findings import answer, finding
from tests.lsp.conftest import Session
from tests.lsp.test_code_actions import actions, command

APP = "def div(a, b):\n    return a / b\n\n\ndef mean(xs):\n    return div(sum(xs), len(xs))\n"
PATCH = (
    "*** Begin Patch\n*** Update File: app.py\n@@\n def div(a, b):\n-    return a / b\n"
    "+    return a / b if b else 0.0\n*** End Patch\n"
)


async def review(lsp: Session, conversation_id: str, count: int = 1) -> dict[str, object]:
    """Run a custom review and wait for its end."""
    target = {"type": "custom", "instructions": "review app.py"}
    await lsp.request(
        "codex/review", {"conversationId": conversation_id, "reviewRequest": {"target": target}}
    )
    exited = await lsp.log.wait_for("exitedReviewMode", conversation_id, count=count)
    await lsp.log.wait_for("taskComplete", conversation_id, count=count)
    return exited


async def diagnostics_of(
    lsp: Session, path: Path, count: int | None = None
) -> Sequence[types.Diagnostic]:
    """The diagnostics the client holds for ``path`` once there are ``count`` (any, if None)."""
    uri = path.as_uri()
    async with asyncio.timeout(10):
        while True:
            held = lsp.client.diagnostics.get(uri)
            if held is not None and (count is None or len(held) == count):
                return held
            await asyncio.sleep(0.02)


async def test_findings_are_diagnostics_and_fix_this_starts_a_turn_on_one(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    app = workspace / "app.py"
    app.write_text(APP)
    lsp.open_document(app, APP)
    model_server.enqueue(
        Reply(
            (
                Answer(
                    answer(
                        finding("Guard the division", 1, "app.py", 2, 2),
                        finding("Name the helper", 3, "app.py", 5, 6),
                        finding("Outside", 0, "../outside.py", 1, 1),
                    )
                ),
            )
        )
    )
    conv = await lsp.new_conversation()
    await review(lsp, conv)
    guard, name = await diagnostics_of(lsp, app, 2)
    assert guard.source == "codex-review" and guard.code == "P1"
    assert guard.severity == types.DiagnosticSeverity.Error
    assert name.severity == types.DiagnosticSeverity.Information
    assert guard.range == types.Range(types.Position(1, 0), types.Position(2, 0))
    assert guard.message.startswith("[P1] Guard the division\n\nGuard the division: it breaks")
    assert not any("outside" in uri for uri in lsp.client.diagnostics)

    cursor = types.Range(start=types.Position(1, 4), end=types.Position(1, 4))
    [fix] = await actions(lsp, app, cursor, [guard])
    assert fix.title == "Fix this: [P1] Guard the division"
    if fix.command is None:
        fix = await lsp.client.code_action_resolve_async(fix)
    assert fix.command is not None
    model_server.enqueue(Reply((ToolCall("apply_patch", {"input": PATCH}),)), Reply((Text("ok"),)))
    started = await command(lsp, fix.command.command, *(fix.command.arguments or []))
    assert started["conversationId"] == conv  # the conversation that found it
    await lsp.log.wait_for("taskComplete", conv, count=2)
    prompt = json.dumps(model_server.requests[-2].body["input"])
    assert "Guard the division: it breaks when x is 0." in prompt and "codex-review" in prompt
    assert lsp.buffers[app.as_uri()][0].splitlines()[1] == "    return a / b if b else 0.0"


async def test_a_later_review_replaces_the_findings(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    app = workspace / "app.py"
    app.write_text(APP)
    other = workspace / "other.py"
    other.write_text("x = 1\n")
    model_server.enqueue(
        Reply((Answer(answer(finding("One", 2, "app.py", 1, 1), finding("Two", 2, "other.py"))),)),
        Reply((Answer(answer(finding("Still", 2, "app.py", 5, 5))),)),
    )
    conv = await lsp.new_conversation()
    await review(lsp, conv)
    await diagnostics_of(lsp, other, 1)
    await review(lsp, conv, count=2)
    assert [d.message.splitlines()[0] for d in await diagnostics_of(lsp, other, 0)] == []
    (still,) = await diagnostics_of(lsp, app, 1)
    assert still.message.startswith("[P2] Still") and still.range.start.line == 4


async def test_a_garbage_answer_publishes_nothing_and_the_server_serves_on(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    model_server.enqueue(Reply((Text("{not json"),)), Reply((Text("fine"),)))
    conv = await lsp.new_conversation()
    exited = await review(lsp, conv)
    assert "review" not in exited
    (error,) = lsp.log.msgs(conv, "error")
    assert "not JSON" in str(error["message"]) and "Traceback" not in str(error["message"])
    assert lsp.client.diagnostics == {}
    await lsp.say(conv, "hello")
    done = await lsp.log.wait_for("taskComplete", conv, count=2)
    assert done["lastAgentMessage"] == "fine"
