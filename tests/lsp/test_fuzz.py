"""Fuzzing the connection (issue 15, "Done when"): for a bounded time, bursts of random and
truncated frames, broken headers, random JSON-RPC objects and random params to every codex
method, command and LSP method are thrown at a real server; after each burst it must still
answer a well-formed request, every request sent in a clean burst must have been answered, and
no answer may carry Python internals or be an internal error. Then the lifecycle ends with
``shutdown`` (random params) and ``exit``.

Seeds: a fixed one, and a new one per run, both printed; ``CODEX_LSP_FUZZ_SEED=N`` replays one,
``CODEX_LSP_FUZZ_SECONDS`` sets the time per seed.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from codex_lsp.protocol.method_names import CLIENT_REQUESTS, COMMANDS
from codex_lsp.protocol.methods import METHODS_BY_NAME
from codex_lsp.testing import FakeModelServer, Reply, Text
from tests.lsp.wire_client import WireClient, frame, notification, probe_params, request

pytestmark = pytest.mark.slow

FIXED_SEED = 20261201
SECONDS = float(os.environ.get("CODEX_LSP_FUZZ_SECONDS", "4"))
LSP_REQUESTS = ("textDocument/codeAction", "codeAction/resolve", "initialize", "no/suchMethod")
NOTIFICATIONS = (
    "initialized",
    "workspace/didChangeConfiguration",
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didClose",
    "$/cancelRequest",
    "$/setTrace",
    "codex/userInput",
    "codex/nope",
)
BROKEN_HEADERS = (
    b"Content-Length: abc\r\n\r\n",
    b"Content-Length: -1\r\n\r\n",
    b"Content-Length: 99999999999\r\n\r\n",
    b"Content-Type: x\r\n\r\n",
    b"no colon\r\n",
    b"\r\n\r\n\n\n",
    b"X: " + b"y" * 9000 + b"\r\n",
)
EXCEPTION_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback")


def seeds() -> list[int]:
    if "CODEX_LSP_FUZZ_SEED" in os.environ:
        return [int(os.environ["CODEX_LSP_FUZZ_SEED"])]
    return [FIXED_SEED, random.SystemRandom().randrange(2**32)]


class Fuzzer:
    """Random messages; ``conversation`` and ``workspace`` make some of them reach deep."""

    def __init__(self, rng: random.Random, conversation: str, workspace: Path) -> None:
        self.rng = rng
        self.conversation = conversation
        self.workspace = workspace
        self.ids = 0

    def text(self) -> str:
        rng = self.rng
        alphabet = "abc xyz/.-_\n\t\"'\\{}[]:é€𝄞\x00\x7f"
        return "".join(rng.choice(alphabet) for _ in range(rng.choice((0, 1, 5, 40, 300))))

    def value(self, depth: int = 0) -> Any:
        rng = self.rng
        kinds = ["none", "bool", "int", "float", "text"]
        if depth < 3:
            kinds += ["list", "dict"]
        kind = rng.choice(kinds)
        if kind == "none":
            return None
        if kind == "bool":
            return rng.random() < 0.5
        if kind == "int":
            return rng.choice((0, -1, 1, 7, 2**31, -(2**63), 10**30))
        if kind == "float":
            return rng.choice((0.5, -1e308, 1e-9))
        if kind == "text":
            return self.text()
        if kind == "list":
            return [self.value(depth + 1) for _ in range(rng.randrange(4))]
        return {self.text()[:12]: self.value(depth + 1) for _ in range(rng.randrange(4))}

    def fitting(self, key: str) -> Any:
        """A plausible value for a field, so validation passes often enough to go deeper."""
        rng = self.rng
        plausible: dict[str, list[Any]] = {
            "conversationId": [self.conversation, "0" * 32],
            "cwd": [str(self.workspace), str(self.workspace / "missing"), "relative"],
            "items": [[{"type": "text", "text": self.text() or "hi"}], []],
            "roots": [[str(self.workspace)]],
            "query": ["a", ""],
            "title": ["t", "   "],
            "turnId": ["turn-1"],
            "numTurns": [1, 0, -1],
        }
        return rng.choice(plausible[key]) if key in plausible else self.value()

    def params_for(self, model: type[BaseModel] | None) -> Any:
        rng = self.rng
        if model is None or rng.random() < 0.15:
            return rng.choice([None, [], "x", 5, self.value()])
        params: dict[str, Any] = {}
        for name, field in model.model_fields.items():
            key = field.alias or name
            if rng.random() < 0.7:
                params[key] = self.fitting(key) if rng.random() < 0.7 else self.value()
        if rng.random() < 0.2:
            params[self.text()[:8]] = self.value()
        return params

    def codex_request(self) -> tuple[str, Any]:
        name = self.rng.choice(CLIENT_REQUESTS)
        return name, self.params_for(METHODS_BY_NAME[name].params)

    def lsp_request(self) -> tuple[str, Any]:
        rng = self.rng
        if rng.random() < 0.4:
            args = [rng.choice([self.text(), self.conversation, self.value()]) for _ in range(2)]
            command = rng.choice([*COMMANDS, "codex-lsp.nope"])
            return "workspace/executeCommand", {"command": command, "arguments": args}
        method = rng.choice(LSP_REQUESTS)
        if method == "textDocument/codeAction" and rng.random() < 0.5:
            return method, probe_params()
        return method, self.value() if rng.random() < 0.5 else {"textDocument": self.value()}

    def next_id(self) -> Any:
        self.ids += 1
        return self.rng.choice([self.ids, f"f{self.ids}"])

    def clean_message(self) -> tuple[bytes, Any]:
        """A well-framed message: ``(bytes, id to expect an answer for, or None)``."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            msg_id = self.next_id()
            method, params = self.codex_request()
            return frame(request(msg_id, method, params)), msg_id
        if roll < 0.75:
            msg_id = self.next_id()
            method, params = self.lsp_request()
            return frame(request(msg_id, method, params)), msg_id
        method = rng.choice(NOTIFICATIONS)
        return frame(notification(method, self.value())), None

    def dirty_message(self) -> tuple[bytes, int]:
        """A broken frame: ``(bytes, how many body bytes the server may still wait for)``."""
        rng = self.rng
        message, _ = self.clean_message()
        roll = rng.random()
        if roll < 0.25:  # truncated anywhere
            cut = rng.randrange(1, len(message))
            return message[:cut], len(message)
        if roll < 0.45:  # a wrong Content-Length
            body = message.split(b"\r\n\r\n", 1)[1]
            length = max(0, len(body) + rng.choice((-5, -1, 1, 40)))
            return b"Content-Length: %d\r\n\r\n%s" % (length, body), length
        if roll < 0.6:
            return rng.choice(BROKEN_HEADERS) + message.split(b"\r\n\r\n", 1)[1], 0
        if roll < 0.75:  # random bytes
            noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
            return noise.replace(b"ength", b"xxxxx"), 0
        if roll < 0.9:  # a random object that is almost JSON-RPC
            obj = {k: self.value() for k in rng.sample(["jsonrpc", "id", "method", "params"], 3)}
            return frame(obj), 0
        body = json.dumps(self.value()).encode()  # JSON that is not an object
        return b"Content-Length: %d\r\n\r\n%s" % (len(body), body), 0


def assert_clean_answers(messages: list[dict[str, Any]]) -> None:
    for message in messages:
        error = message.get("error")
        if error is None or "method" in message:
            continue
        assert isinstance(error, dict) and set(error) <= {"code", "message", "data"}, message
        assert error["code"] != -32603, f"an internal error (a bug): {message}"
        assert "data" not in error, message
        assert not EXCEPTION_NAME.search(error["message"]), message


@pytest.mark.parametrize("seed", seeds())
async def test_the_server_survives_random_input(
    seed: int, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    print(f"fuzz seed {seed}: replay with CODEX_LSP_FUZZ_SEED={seed}")
    model_server.default_reply = Reply((Text("ok"),))
    (workspace / "app.py").write_text("x = 1\n")
    client = await WireClient.start(codex_home, workspace)
    try:
        await client.initialize(workspace)
        created = await client.call("codex/newConversation", {})
        fuzzer = Fuzzer(random.Random(seed), created["result"]["conversationId"], workspace)
        deadline = time.monotonic() + SECONDS
        bursts = 0
        while time.monotonic() < deadline:
            bursts += 1
            if fuzzer.rng.random() < 0.5:
                burst = [fuzzer.clean_message() for _ in range(fuzzer.rng.randrange(1, 8))]
                await client.send_raw(b"".join(data for data, _ in burst))
                for _, msg_id in burst:
                    if msg_id is not None:
                        await client.answer(msg_id)
            else:
                dirty = [fuzzer.dirty_message() for _ in range(fuzzer.rng.randrange(1, 5))]
                owed = max(debt for _, debt in dirty)
                await client.send_raw(b"".join(data for data, _ in dirty) + b" " * owed)
            await client.probe()
            assert client.process.returncode is None, client.stderr_text[-2000:]
        assert_clean_answers(client.messages)

        last = fuzzer.next_id()
        await client.send(request(last, "shutdown", fuzzer.value()))
        await client.answer(last)
        refused = await client.call(*fuzzer.codex_request())
        assert refused["error"]["code"] == -32600, refused
        await client.send(notification("exit"))
        assert await client.wait_exit(3.0) == 0
        print(f"{bursts} bursts, {len(client.messages)} messages from the server")
    finally:
        await client.stop()
