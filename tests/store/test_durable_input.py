"""What the client was shown is what the store keeps: a user message is committed to SQLite
before its events go out, so killing the server the moment a client reads them loses nothing."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.protocol.history import UserMessage
from codex_lsp.store import ConversationStore
from codex_lsp.store.records import StoredConversation
from codex_lsp.testing import FakeModelServer, Reply, Stall
from tests.helpers import subprocess_env

pytestmark = pytest.mark.slow


class RawClient:
    """A bare LSP client on a server's stdio: it reads every frame itself, so it can kill the
    server the instant a frame arrives (a real client's read loop is no faster)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.next_id = 0

    def send(self, method: str, params: Any, *, notify: bool = False) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if not notify:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    async def frame(self) -> dict[str, Any]:
        stdout = self.proc.stdout
        assert stdout is not None
        length = 0
        while (line := await stdout.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        message: dict[str, Any] = json.loads(await stdout.readexactly(length))
        return message

    async def result(self) -> Any:
        """The result of the last request (server requests get a null answer)."""
        while True:
            message = await self.frame()
            if message.get("id") == self.next_id and "method" not in message:
                return message["result"]
            if "id" in message and "method" in message:
                answer = {"jsonrpc": "2.0", "id": message["id"], "result": None}
                body = json.dumps(answer).encode()
                assert self.proc.stdin is not None
                self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


async def stored(db_path: Path, conversation_id: str) -> StoredConversation:
    store = await ConversationStore.open(db_path)
    try:
        return await store.load(conversation_id)
    finally:
        await store.close()


@pytest.mark.parametrize("size", [1000, 1 << 20], ids=["1 KB", "the limit"])
async def test_a_message_the_client_showed_survives_a_kill(
    size: int, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.default_reply = Reply((Stall(30),))  # the turn never ends on its own
    text = "show me " + "x" * (size - 8)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codex_lsp",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=subprocess_env(codex_home),
        limit=4 << 20,
    )
    try:
        client = RawClient(proc)
        client.send(
            "initialize",
            {"processId": os.getpid(), "rootUri": workspace.as_uri(), "capabilities": {}},
        )
        await client.result()
        client.send("initialized", {}, notify=True)
        client.send("codex/newConversation", {})
        conv = (await client.result())["conversationId"]
        items = [{"type": "text", "text": text}]
        client.send("codex/userInput", {"conversationId": conv, "items": items})
        while True:
            message = await asyncio.wait_for(client.frame(), 30)
            msg = message.get("params", {}).get("msg", {})
            if message.get("method") == "codex/event" and msg.get("type") == "itemStarted":
                proc.kill()  # the client has it on screen: the server dies now
                break
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
    kept = await stored(codex_home / "state.db", conv)
    events = kept.event_objects()
    assert [e["message"] for e in events if e["type"] == "userMessage"] == [text]
    started = [e["item"]["content"] for e in events if e["type"] == "itemStarted"]
    assert started == [[{"type": "text", "text": text}]]
    assert isinstance(kept.history[-1], UserMessage)  # the model's history has it too
    assert kept.history[-1].text() == text
