"""Approvals are answered by ``callId`` (Codex's ``ExecApproval { id, decision }``), against a
real server whose client answers by command (``approvals: "commands"``, as Neovim's plugin and
the VS Code extension do): the named request is answered, never "the oldest pending one"; a
wrong or stale id answers nothing and says which ones are pending; a keybinding without an id
answers only when exactly one request is pending."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from codex_lsp.lsp.approvals import ApprovalAnswer
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import plain
from tests.lsp.conftest import Session, open_session
from tests.protocol.test_docs import DOC

pytestmark = pytest.mark.slow

INVALID_PARAMS = -32602


@pytest.fixture
async def lsp(codex_home: Path, workspace: Path) -> AsyncIterator[Session]:
    """A client that answers approvals with codex-lsp.approve / deny only."""
    async with open_session(codex_home, workspace, "neovim", custom_approvals="commands") as s:
        yield s


def touch(
    model_server: FakeModelServer, stem: str, call_id: str | None = None, answer: bool = True
) -> None:
    """The prompt ``make STEM`` runs ``touch STEM.txt`` (call ``call_id``); once the model has
    the outcome (the file name is in the request), it answers ``STEM handled``."""
    call = ToolCall("shell", {"command": ["touch", f"{stem}.txt"]}, call_id=call_id)
    model_server.enqueue(Reply((call,), match=f"make {stem}"))
    if answer:
        model_server.enqueue(Reply((Text(f"{stem} handled"),), match=f"{stem}.txt"))


async def ask(lsp: Session, stem: str) -> tuple[str, str]:
    """A conversation whose turn waits for approval of ``touch STEM.txt``: its id, the callId."""
    conv = await lsp.new_conversation(approvalPolicy="untrusted")
    await lsp.say(conv, f"make {stem}")
    event = await lsp.log.wait_for("execApprovalRequest", conv)
    assert event["command"] == ["touch", f"{stem}.txt"]
    return conv, str(event["callId"])


async def command(lsp: Session, name: str, *arguments: Any) -> Any:
    params = types.ExecuteCommandParams(command=name, arguments=list(arguments))
    return plain(await lsp.client.workspace_execute_command_async(params))


async def refused(lsp: Session, name: str, *arguments: Any) -> str:
    """The -32602 message the command is refused with."""
    with pytest.raises(JsonRpcException) as info:
        await command(lsp, name, *arguments)
    assert info.value.code == INVALID_PARAMS, info.value
    message = str(info.value)
    assert "Traceback" not in message and "ValidationError" not in message
    return message


async def finished(lsp: Session, conv: str) -> str:
    return str((await lsp.log.wait_for("taskComplete", conv))["lastAgentMessage"])


async def test_the_named_request_is_answered_not_the_oldest(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    touch(model_server, "alpha")
    touch(model_server, "bravo")
    first, first_call = await ask(lsp, "alpha")
    second, second_call = await ask(lsp, "bravo")
    assert first_call != second_call

    answered = await command(lsp, "codex-lsp.approve", {"callId": second_call})
    assert answered == {"decision": "approved"}
    assert await finished(lsp, second) == "bravo handled"
    assert (workspace / "bravo.txt").exists()
    assert not (workspace / "alpha.txt").exists()
    assert lsp.log.msgs(first, "taskComplete") == []  # the older request still waits

    denied = await command(lsp, "codex-lsp.deny", {"callId": first_call, "conversationId": first})
    assert denied == {"decision": "denied"}
    assert await finished(lsp, first) == "alpha handled"
    assert not (workspace / "alpha.txt").exists()


async def test_a_wrong_or_stale_call_id_answers_nothing_and_names_the_pending_ones(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    touch(model_server, "alpha", call_id="call_alpha", answer=False)  # it is interrupted
    conv, call = await ask(lsp, "alpha")
    assert call == "call_alpha"

    wrong = await refused(lsp, "codex-lsp.approve", {"callId": "call_nope"})
    assert "callId 'call_nope'" in wrong and f"pending: call_alpha (conversation {conv})" in wrong
    elsewhere = await refused(lsp, "codex-lsp.approve", {"callId": call, "conversationId": "c9"})
    assert "in conversation c9" in elsewhere and "call_alpha" in elsewhere

    await lsp.request("codex/interrupt", {"conversationId": conv})  # the dialog is withdrawn
    await lsp.log.wait_for("turnAborted", conv)
    stale = await refused(lsp, "codex-lsp.approve", {"callId": call})
    assert stale.endswith(
        "no approval request with callId 'call_alpha' is pending "
        "(it was answered, withdrawn, or never asked)"
    )

    # The next request of the same conversation: a late answer to the closed dialog must not
    # answer it (under "the oldest pending one" it would run bravo.txt's command).
    touch(model_server, "bravo", call_id="call_bravo")
    await lsp.say(conv, "make bravo")
    await lsp.log.wait_for("execApprovalRequest", conv, lambda m: m["callId"] == "call_bravo")
    late = await refused(lsp, "codex-lsp.approve", {"callId": call, "conversationId": conv})
    assert f"pending: call_bravo (conversation {conv})" in late
    await command(lsp, "codex-lsp.deny", {"callId": "call_bravo"})
    assert await finished(lsp, conv) == "bravo handled"
    assert not (workspace / "alpha.txt").exists() and not (workspace / "bravo.txt").exists()


async def test_a_reused_call_id_is_told_apart_by_the_item_id(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    # A provider that reuses call ids (Chat-wire servers that send none get call_0 each time).
    touch(model_server, "alpha", call_id="call_0", answer=False)
    conv, _ = await ask(lsp, "alpha")
    stale_item = lsp.log.msgs(conv, "execApprovalRequest")[0]["itemId"]
    await lsp.request("codex/interrupt", {"conversationId": conv})
    await lsp.log.wait_for("turnAborted", conv)
    touch(model_server, "bravo", call_id="call_0")
    await lsp.say(conv, "make bravo")
    asked = await lsp.log.wait_for("execApprovalRequest", conv, count=2)
    assert asked["callId"] == "call_0" and asked["itemId"] != stale_item

    late = {"callId": "call_0", "conversationId": conv, "itemId": stale_item}
    message = await refused(lsp, "codex-lsp.approve", late)
    assert f"callId 'call_0' and itemId {stale_item!r} is pending" in message
    assert f"pending: call_0 (conversation {conv})" in message
    assert not (workspace / "bravo.txt").exists()
    answer = {"callId": "call_0", "itemId": asked["itemId"], "decision": "approved"}
    assert await command(lsp, "codex-lsp.approve", answer) == {"decision": "approved"}
    assert await finished(lsp, conv) == "bravo handled"
    assert (workspace / "bravo.txt").exists() and not (workspace / "alpha.txt").exists()


async def test_a_keybinding_without_an_id_answers_only_a_single_pending_request(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    assert (await refused(lsp, "codex-lsp.approve")).endswith("no approval request is pending")
    touch(model_server, "alpha")
    touch(model_server, "bravo")
    first, first_call = await ask(lsp, "alpha")
    second, second_call = await ask(lsp, "bravo")

    several = await refused(lsp, "codex-lsp.approve")
    assert several.startswith("codex-lsp.approve: 2 approval requests are pending")
    assert f"{first_call} (conversation {first})" in several
    assert f"{second_call} (conversation {second})" in several
    assert "by its callId" in several
    assert "2 approval requests are pending" in await refused(lsp, "codex-lsp.deny")
    assert lsp.log.msgs(first, "taskComplete") == lsp.log.msgs(second, "taskComplete") == []

    # Scoped to a conversation, its one request is answered; then only one is left anywhere.
    assert await command(lsp, "codex-lsp.deny", second) == {"decision": "denied"}
    assert await finished(lsp, second) == "bravo handled"
    assert await command(lsp, "codex-lsp.approve", "approvedForSession") == {
        "decision": "approvedForSession"
    }
    assert await finished(lsp, first) == "alpha handled"
    assert (workspace / "alpha.txt").exists() and not (workspace / "bravo.txt").exists()


async def test_one_call_id_in_two_conversations_needs_the_conversation(
    lsp: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    touch(model_server, "alpha", call_id="call_same")
    touch(model_server, "bravo", call_id="call_same")
    first, _ = await ask(lsp, "alpha")
    second, _ = await ask(lsp, "bravo")
    both = await refused(lsp, "codex-lsp.approve", {"callId": "call_same"})
    assert "callId 'call_same' is pending in 2 conversations" in both
    assert first in both and second in both and "name the conversationId too" in both

    await command(lsp, "codex-lsp.approve", {"callId": "call_same", "conversationId": second})
    assert await finished(lsp, second) == "bravo handled"
    await command(lsp, "codex-lsp.deny", {"callId": "call_same"})  # now it names one request
    assert await finished(lsp, first) == "alpha handled"
    assert (workspace / "bravo.txt").exists() and not (workspace / "alpha.txt").exists()


@pytest.mark.parametrize(
    ("name", "argument", "says"),
    [
        ("codex-lsp.approve", {"decision": "approved"}, "callId: Field required"),
        ("codex-lsp.approve", {"callId": ""}, "callId: String should have at least 1 character"),
        ("codex-lsp.approve", {"callId": 5}, "callId: Input should be a valid string"),
        ("codex-lsp.approve", {"callId": "c", "decision": "maybe"}, "decision: Input should be"),
        (
            "codex-lsp.approve",
            {"callId": "c", "rejectedHunks": {"a.py": "x"}},
            "rejectedHunks.a.py",
        ),
        ("codex-lsp.approve", {"callId": "c", "id": "c"}, "id: Extra inputs are not permitted"),
        ("codex-lsp.deny", {"callId": "c", "decision": "approved"}, "decision: Extra inputs"),
    ],
)
async def test_a_malformed_answer_names_the_field(
    lsp: Session, name: str, argument: dict[str, Any], says: str
) -> None:
    assert says in await refused(lsp, name, argument)


def test_the_documented_answer_by_id_is_what_the_server_reads() -> None:
    section = DOC.split("\n## Commands", 1)[1].split("\n## ", 1)[0]
    examples = re.findall(r"```json\n(.*?)\n```", section, re.S)
    assert examples, "docs/protocol.md shows no codex-lsp.approve example"
    sent = json.loads(examples[0])
    assert sent["command"] == "codex-lsp.approve"
    answer = ApprovalAnswer.model_validate(sent["arguments"][0])
    assert answer.call_id == "call_1" and answer.decision == "approvedForSession"
    assert answer.item_id == "item-3"
