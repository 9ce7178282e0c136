"""The ACP front end's pure parts: diffs, prompt content, slash commands, modes, client
capabilities, and events rendered as updates (each checked against the SDK's schema)."""

from __future__ import annotations

import base64
import difflib
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from acp.schema import (
    AudioContentBlock,
    BlobResourceContents,
    EmbeddedResourceContentBlock,
    ImageContentBlock,
    ResourceContentBlock,
    SessionNotification,
    TextContentBlock,
    TextResourceContents,
)

from codex_lsp.acp import commands, diffs, prompt
from codex_lsp.acp.capabilities import ClientFeatures, initialize_result
from codex_lsp.acp.content import LIVE_OUTPUT_MAX, chunk_json, text_chunk
from codex_lsp.acp.modes import Settings, mode_of
from codex_lsp.acp.updates import Renderer
from codex_lsp.errors import ProtocolError
from codex_lsp.protocol.events import (
    AgentMessageDeltaEvent,
    ExecCommandBeginEvent,
    ExecCommandEndEvent,
    ExecCommandOutputDeltaEvent,
    McpToolCallEndEvent,
    PlanUpdateEvent,
)
from codex_lsp.protocol.items import (
    AddFile,
    DeleteFile,
    ExecOutputStream,
    ItemStatus,
    McpInvocation,
    ParsedRead,
    PlanItem,
    PlanStatus,
    TextInput,
    UpdateFile,
)
from codex_lsp.protocol.ops import CompactOp, ReviewOp, UndoTurnOp, UserInputOp
from codex_lsp.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    ReasoningEffort,
    WorkspaceWrite,
)

CWD = Path("/work/project")


def valid(update: dict[str, Any]) -> dict[str, Any]:
    """``update`` is a session update the SDK's schema accepts."""
    SessionNotification.model_validate({"sessionId": "s", "update": update})
    return update


def unified(old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), n=3)
    )


# ---------------------------------------------------------------- diffs


def test_unified_diffs_apply_back_to_the_new_text() -> None:
    rng = random.Random(7)
    for _ in range(200):
        old_lines = [f"line {rng.randrange(50)}\n" for _ in range(rng.randrange(0, 60))]
        new_lines = list(old_lines)
        for _ in range(rng.randrange(1, 6)):
            at = rng.randrange(0, len(new_lines) + 1)
            if new_lines and rng.random() < 0.5:
                del new_lines[min(at, len(new_lines) - 1)]
            else:
                new_lines.insert(at, f"new {rng.randrange(1000)}\n")
        old, new = "".join(old_lines), "".join(new_lines)
        assert diffs.apply_unified(old, unified(old, new)) == new


def test_a_diff_that_does_not_fit_is_refused() -> None:
    diff = unified("a\nb\nc\n", "a\nB\nc\n")
    assert diffs.apply_unified("x\ny\nz\n", diff) is None
    glued = unified("a\nlast", "a\nlast\nmore\n")  # no newline at the end: lines run together
    assert diffs.apply_unified("a\nlast", glued) in (None, "a\nlast\nmore\n")


def test_file_changes_as_diff_content() -> None:
    old = "def f():\n    return 1\n"
    changes = {
        "new.txt": AddFile(content="hello\n"),
        "gone.txt": DeleteFile(content="bye\n"),
        "a.py": UpdateFile(unified_diff=unified(old, old.replace("1", "2"))),
        "/elsewhere/b.py": UpdateFile(unified_diff=unified(old, old.replace("1", "3"))),
    }
    known = {CWD / "a.py": old}
    blocks = diffs.diff_content(changes, CWD, known.get)
    assert blocks[0] == {"type": "diff", "path": "/work/project/new.txt", "newText": "hello\n"}
    assert blocks[1] == {
        "type": "diff",
        "path": "/work/project/gone.txt",
        "oldText": "bye\n",
        "newText": "",
    }
    assert blocks[2] == {
        "type": "diff",
        "path": "/work/project/a.py",
        "oldText": old,
        "newText": old.replace("1", "2"),
    }
    assert blocks[3]["path"] == "/elsewhere/b.py"  # old text unknown: the hunk only
    assert blocks[3]["oldText"] == old and blocks[3]["newText"] == old.replace("1", "3")
    assert [loc["path"] for loc in diffs.locations(changes, CWD)] == [
        "/work/project/new.txt",
        "/work/project/gone.txt",
        "/work/project/a.py",
        "/elsewhere/b.py",
    ]


def test_big_files_go_hunk_by_hunk_and_kinds_follow_the_change() -> None:
    old = "".join(f"row {i}\n" for i in range(diffs.WHOLE_FILE_MAX // 4))
    new = old.replace("row 10\n", "ROW 10\n").replace("row 9000\n", "ROW 9000\n")
    change = {"big.txt": UpdateFile(unified_diff=unified(old, new))}
    blocks = diffs.diff_content(change, CWD, {CWD / "big.txt": old}.get)
    assert len(blocks) == 2 and all(len(b["oldText"]) < 200 for b in blocks)
    assert diffs.kind({"a": DeleteFile(content="x")}) == "delete"
    assert diffs.kind({"a": UpdateFile(unified_diff="", move_path="b")}) == "move"
    assert diffs.kind({"a": AddFile(content="x"), "b": DeleteFile(content="y")}) == "edit"


# ---------------------------------------------------------------- prompt content


PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 16).decode()


def test_prompt_blocks_become_user_input(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("n")
    os.mkfifo(tmp_path / "pipe")
    items = prompt.to_input(
        [
            TextContentBlock(type="text", text="hi"),
            ImageContentBlock(type="image", data=PNG, mime_type="image/png"),
            ResourceContentBlock(
                type="resource_link", name="notes", uri=(tmp_path / "notes.md").as_uri()
            ),
            ResourceContentBlock(
                type="resource_link", name="pipe", uri=(tmp_path / "pipe").as_uri()
            ),
            ResourceContentBlock(type="resource_link", name="web", uri="https://x.test/a"),
            EmbeddedResourceContentBlock(
                type="resource",
                resource=TextResourceContents(uri=(tmp_path / "b.py").as_uri(), text="code"),
            ),
            EmbeddedResourceContentBlock(
                type="resource",
                resource=BlobResourceContents(
                    uri="file:///x.bin", blob=PNG, mime_type="application/zip"
                ),
            ),
        ],
        tmp_path,
    )
    wire = [i.to_wire() for i in items]
    assert wire[0] == {"type": "text", "text": "hi"}
    assert wire[1] == {"type": "image", "imageUrl": f"data:image/png;base64,{PNG}"}
    assert wire[2] == {"type": "mention", "path": str(tmp_path / "notes.md"), "name": "notes"}
    assert wire[3]["type"] == "text"  # a FIFO is never read
    assert wire[4] == {"type": "text", "text": "[@web](https://x.test/a)"}
    assert wire[5] == {"type": "context", "name": "b.py", "text": "code"}
    assert "left out" in wire[6]["text"]


@pytest.mark.parametrize(
    ("block", "said"),
    [
        (AudioContentBlock(type="audio", data="AAAA", mime_type="audio/wav"), "audio"),
        (ImageContentBlock(type="image", data="not base64!", mime_type="image/png"), "base64"),
        (ImageContentBlock(type="image", data=PNG, mime_type="text/html"), "not an image"),
    ],
)
def test_blocks_that_cannot_be_taken_say_why(block: Any, said: str) -> None:
    with pytest.raises(ProtocolError, match=said):
        prompt.to_input([block], CWD)
    with pytest.raises(ProtocolError, match="empty"):
        prompt.to_input([], CWD)


# ---------------------------------------------------------------- commands and modes


def test_slash_commands_route_and_announce() -> None:
    known = commands.slash_commands()
    review = commands.parse("/review focus on tests", known)
    assert review is not None and review[1] == "focus on tests"
    op = review[0].build(review[1])
    assert isinstance(op, ReviewOp) and op.review_request.target.instructions == "focus on tests"
    plain = commands.parse("/review", known)
    assert plain is not None and isinstance(plain[0].build(plain[1]), ReviewOp)
    assert plain[0].build("").review_request.target.type == "uncommittedChanges"  # type: ignore[attr-defined]
    compact = commands.parse("  /compact  ", known)
    assert compact is not None and isinstance(compact[0].build(""), CompactOp)
    undo = commands.parse("/undo", known)
    assert undo is not None and isinstance(undo[0].build(""), UndoTurnOp)
    assert commands.parse("/frobnicate", known) is None
    assert commands.parse("please /review", known) is None
    assert commands.parse(None, known) is None
    announced = [c.announced() for c in known]
    valid({"sessionUpdate": "available_commands_update", "availableCommands": announced})
    init = commands.parse("/init", known)
    assert init is not None and init[0].build("") == UserInputOp(items=[TextInput(text="/init")])
    assert "init" in {c["name"] for c in announced}  # the core turns it into the AGENTS.md ask


def test_modes_follow_the_policies_and_changes_are_checked() -> None:
    assert mode_of(AskForApproval.ON_REQUEST, ReadOnly()).id == "read-only"
    assert mode_of(AskForApproval.NEVER, DangerFullAccess()).id == "full-access"
    assert mode_of(AskForApproval.UNTRUSTED, WorkspaceWrite()).id == "auto"
    settings = Settings(
        mode_of(AskForApproval.ON_REQUEST, WorkspaceWrite()), "m1", None, ["m1", "m2"]
    )
    for option in settings.options():
        valid({"sessionUpdate": "config_option_update", "configOptions": [option]})
    assert settings.change("model", "m2") is not None and settings.model == "m2"
    effort = settings.change("reasoning_effort", "high")
    assert effort is not None and effort.effort is ReasoningEffort.HIGH
    for config_id, value in (
        ("model", "m3"),
        ("mode", "yolo"),
        ("reasoning_effort", "max"),
        ("x", "y"),
    ):
        with pytest.raises(ProtocolError):
            settings.change(config_id, value)


def test_client_capabilities_are_read_defensively() -> None:
    assert ClientFeatures.from_params(None) == ClientFeatures()
    assert ClientFeatures.from_params({"clientCapabilities": {"fs": "yes", "_meta": 3}}) == (
        ClientFeatures()
    )
    features = ClientFeatures.from_params(
        {
            "clientCapabilities": {
                "fs": {"readTextFile": True, "writeTextFile": False},
                "terminal": True,
                "_meta": {"terminal_output": True},
            }
        }
    )
    assert features == ClientFeatures(True, False, True, True)
    assert initialize_result()["protocolVersion"] == 1


# ---------------------------------------------------------------- events as updates


def _begin() -> ExecCommandBeginEvent:
    return ExecCommandBeginEvent(
        turn_id="t",
        item_id="i",
        call_id="c",
        command=["cat", "a.py"],
        cwd=str(CWD),
        parsed_cmd=[ParsedRead(cmd="cat a.py", name="a.py", path="a.py")],
    )


def _output(chunk: str) -> ExecCommandOutputDeltaEvent:
    return ExecCommandOutputDeltaEvent(
        turn_id="t", item_id="i", call_id="c", stream=ExecOutputStream.STDOUT, chunk=chunk
    )


def _end(output: str, code: int) -> ExecCommandEndEvent:
    return ExecCommandEndEvent(
        turn_id="t",
        item_id="i",
        call_id="c",
        command=["cat", "a.py"],
        cwd=str(CWD),
        stdout=output,
        stderr="",
        aggregated_output=output,
        exit_code=code,
        duration_ms=3,
        formatted_output=output,
        status=ItemStatus.COMPLETED if code == 0 else ItemStatus.FAILED,
    )


def test_commands_stream_their_output_as_content() -> None:
    renderer = Renderer(CWD, ClientFeatures(), lambda _: None)
    [begin] = renderer.render(_begin())
    assert valid(begin)["kind"] == "read" and begin["title"] == "cat a.py"
    assert begin["locations"] == [{"path": "/work/project/a.py"}]
    renderer.render(_output("x" * LIVE_OUTPUT_MAX))
    [live] = renderer.render(_output("tail\n"))
    text = valid(live)["content"][0]["content"]["text"]
    assert text.startswith("```sh\n[… earlier output left out …]") and "tail" in text
    assert len(text) < LIVE_OUTPUT_MAX + 100
    [end] = renderer.render(_end("done\n", 1))
    assert valid(end)["status"] == "failed" and end["rawOutput"]["exit_code"] == 1
    assert renderer.open_calls() == []


def test_zed_gets_terminal_output_through_meta() -> None:
    renderer = Renderer(CWD, ClientFeatures(terminal_output_meta=True), lambda _: None)
    [begin] = renderer.render(_begin())
    assert valid(begin)["content"] == [{"type": "terminal", "terminalId": "c"}]
    assert begin["_meta"]["terminal_info"] == {"terminal_id": "c", "cwd": str(CWD)}
    [delta] = renderer.render(_output("ok\n"))
    assert valid(delta)["_meta"] == {"terminal_output": {"terminal_id": "c", "data": "ok\n"}}
    assert "content" not in delta
    [end] = renderer.render(_end("ok\n", 0))
    assert valid(end)["_meta"]["terminal_exit"] == {
        "terminal_id": "c",
        "exit_code": 0,
        "signal": None,
    }


def test_chunks_plans_and_mcp_results_are_valid_updates() -> None:
    renderer = Renderer(CWD, ClientFeatures(), lambda _: None)
    delta = AgentMessageDeltaEvent(turn_id="t", item_id="m1", delta='say "hi"\n…')
    encoded = json.loads(renderer.delta_json("s", delta))
    assert encoded["params"]["update"] == text_chunk("agent_message_chunk", 'say "hi"\n…', "m1")
    SessionNotification.model_validate(encoded["params"])
    assert (
        json.loads(chunk_json("s", "agent_thought_chunk", "x", "m"))["method"] == "session/update"
    )
    [plan] = renderer.render(
        PlanUpdateEvent(
            turn_id="t",
            item_id="p",
            plan=[
                PlanItem(step="read", status=PlanStatus.COMPLETED),
                PlanItem(step="write", status=PlanStatus.IN_PROGRESS),
            ],
        )
    )
    assert [e["status"] for e in valid(plan)["entries"]] == ["completed", "in_progress"]
    result = {
        "content": [
            {"type": "text", "text": "5"},
            {"type": "image", "data": PNG, "mimeType": "image/png"},
            {"type": "weird"},
        ],
        "isError": False,
    }
    [end] = renderer.render(
        McpToolCallEndEvent(
            turn_id="t",
            item_id="i",
            call_id="m",
            invocation=McpInvocation(server="s", tool="t"),
            duration_ms=1,
            result=result,
        )
    )
    assert valid(end)["status"] == "completed" and len(end["content"]) == 2


def test_the_delete_route_fails_loudly_if_the_sdk_moved_its_router() -> None:
    """``session/delete`` is routed through the pinned SDK's private router; an SDK that keeps
    it elsewhere stops the agent at start-up instead of answering -32601 silently."""
    from acp.router import MessageRouter

    from codex_lsp.acp.agent import add_delete_route

    class Moved:
        _conn = None

    with pytest.raises(RuntimeError, match=r"agent-client-protocol==0\.12\.1"):
        add_delete_route(Moved(), lambda params: None)

    class Connection:
        _handler = MessageRouter()

    class Pinned:
        _conn = Connection()

    add_delete_route(Pinned(), lambda params: None)
    assert "session/delete" in Pinned._conn._handler._requests


def test_diff_content_stays_under_a_clients_frame_limit() -> None:
    huge = "x" * (diffs.DIFF_CONTENT_MAX // 2 + 1) + "\n"
    changes = {f"f{i}.txt": AddFile(content=huge) for i in range(3)}
    blocks = diffs.diff_content(changes, CWD, lambda _: None)
    assert [b["type"] for b in blocks] == ["diff", "content"]
    assert "f1.txt, f2.txt" in blocks[-1]["content"]["text"]
    valid({"sessionUpdate": "tool_call", "toolCallId": "c", "title": "t", "content": blocks})


def test_zed_gets_the_terminal_even_after_an_approval() -> None:
    from codex_lsp.protocol.events import ExecApprovalRequestEvent

    renderer = Renderer(CWD, ClientFeatures(terminal_output_meta=True), lambda _: None)
    asked = ExecApprovalRequestEvent(
        turn_id="t", item_id="i", call_id="c", command=["cat", "a.py"], cwd=str(CWD), reason="why"
    )
    [announced] = renderer.render(asked)
    assert announced["sessionUpdate"] == "tool_call" and announced["status"] == "pending"
    [begin] = renderer.render(_begin())
    assert valid(begin)["sessionUpdate"] == "tool_call_update"
    assert begin["content"] == [{"type": "terminal", "terminalId": "c"}]
