"""A codex-lsp subprocess spoken to in raw bytes (frames exactly as a test writes them, broken
ones included), and what the tests of the connection and its shutdown check afterwards: is the
process gone (by pid), and is the conversation stored and resumable."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.helpers import subprocess_env
from tests.lsp.conftest import open_session

ANSWER_TIMEOUT_S = 10.0
PROBE = {"textDocument": {"uri": "file:///probe.py"}, "range": {}, "context": {"diagnostics": []}}


def frame(message: Any) -> bytes:
    """One well-formed LSP frame."""
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def request(msg_id: int | str, method: str, params: Any = None) -> dict[str, Any]:
    """A JSON-RPC request object."""
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str, params: Any = None) -> dict[str, Any]:
    """A JSON-RPC notification object."""
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message


def probe_params() -> dict[str, Any]:
    """Params of a ``textDocument/codeAction`` the server answers without its backend."""
    position = {"line": 0, "character": 0}
    return {**PROBE, "range": {"start": position, "end": position}}


class WireClient:
    """The server process, its parsed output and its stderr."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.messages: list[dict[str, Any]] = []
        self.stderr = bytearray()
        self._changed = asyncio.Event()
        self._next_id = 0
        self._tasks = [
            asyncio.create_task(self._read_stdout()),
            asyncio.create_task(self._read_stderr()),
        ]

    @classmethod
    async def start(cls, home: Path, cwd: Path) -> WireClient:
        """Spawn ``python -m codex_lsp`` with its home in ``home``."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "codex_lsp",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=subprocess_env(home),
            cwd=cwd,
        )
        return cls(process)

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    @property
    def stderr_text(self) -> str:
        """What the server wrote on stderr so far."""
        return self.stderr.decode(errors="replace")

    async def _read_stdout(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                length = 0
                while (line := await stream.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                if not line:
                    return
                self.messages.append(json.loads(await stream.readexactly(length)))
                self._changed.set()

    async def _read_stderr(self) -> None:
        stream = self.process.stderr
        assert stream is not None
        while chunk := await stream.read(4096):
            self.stderr += chunk

    async def send_raw(self, data: bytes) -> None:
        """Write bytes to the server's stdin as they are."""
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(data)
        await stdin.drain()

    async def send(self, message: Any) -> None:
        """Write one well-formed frame."""
        await self.send_raw(frame(message))

    def new_id(self) -> str:
        """A request id not used before in this session."""
        self._next_id += 1
        return f"t{self._next_id}"

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = ANSWER_TIMEOUT_S
    ) -> dict[str, Any]:
        """The first message the server sent that matches ``predicate``."""

        async def find() -> dict[str, Any]:
            while True:
                for message in self.messages:
                    if predicate(message):
                        return message
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(find(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"nothing matching within {timeout} s; the server sent {self.messages[-5:]}; "
                f"stderr: {self.stderr_text[-1500:]}"
            ) from None

    async def answer(self, msg_id: Any, timeout: float = ANSWER_TIMEOUT_S) -> dict[str, Any]:
        """The server's answer to request ``msg_id``."""

        def answers(m: dict[str, Any]) -> bool:
            return "method" not in m and m.get("id") == msg_id and ("result" in m or "error" in m)

        return await self.wait_for(answers, timeout)

    async def event(self, type_: str, timeout: float = ANSWER_TIMEOUT_S) -> dict[str, Any]:
        """The first ``codex/event`` whose message is of ``type_``."""
        found = await self.wait_for(
            lambda m: m.get("method") == "codex/event" and m["params"]["msg"]["type"] == type_,
            timeout,
        )
        msg: dict[str, Any] = found["params"]["msg"]
        return msg

    async def errors_without_id(self, count: int, timeout: float = ANSWER_TIMEOUT_S) -> list[Any]:
        """The first ``count`` error answers with ``id: null``."""

        def matches() -> list[dict[str, Any]]:
            return [m for m in self.messages if "error" in m and m.get("id", 0) is None]

        await self.wait_for(lambda _: len(matches()) >= count, timeout)
        return [m["error"] for m in matches()[:count]]

    async def call(self, method: str, params: Any = None) -> dict[str, Any]:
        """Send a request and return the whole answer (``result`` or ``error``)."""
        msg_id = self.new_id()
        await self.send(request(msg_id, method, params))
        return await self.answer(msg_id)

    async def probe(self) -> None:
        """Fail unless the server answers a well-formed request."""
        answer = await self.call("textDocument/codeAction", probe_params())
        assert "result" in answer, answer

    async def initialize(self, workspace: Path) -> dict[str, Any]:
        """``initialize`` + ``initialized``; returns the initialize result."""
        answer = await self.call(
            "initialize", {"processId": None, "rootUri": workspace.as_uri(), "capabilities": {}}
        )
        await self.send(notification("initialized", {}))
        result: dict[str, Any] = answer["result"]
        return result

    async def close_stdin(self) -> None:
        """Close the server's stdin (the client is gone)."""
        stdin = self.process.stdin
        assert stdin is not None
        stdin.close()
        with contextlib.suppress(ConnectionError):
            await stdin.wait_closed()

    async def wait_exit(self, timeout: float) -> int:
        """The exit code, once the process has ended within ``timeout``."""
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"the server (pid {self.pid}) still runs {timeout} s later; "
                f"stderr: {self.stderr_text[-1500:]}"
            ) from None

    async def stop(self) -> None:
        """Kill the process if it still runs and collect its output tasks."""
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        for task in self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)


def process_alive(pid: int) -> bool:
    """True while ``pid`` is a running codex-lsp process (a zombie or a reused pid is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = stat.rpartition(")")[2].split()[0]
    return state not in ("Z", "X") and b"codex_lsp" in cmdline


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            state, parent = stat.read_text().rpartition(")")[2].split()[:2]
            if int(parent) == pid and state != "Z":
                found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


async def wait_gone(pid: int, timeout: float) -> None:
    """Fail unless process ``pid`` is gone within ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while process_alive(pid):
        if loop.time() > deadline:
            raise AssertionError(f"the codex-lsp process {pid} still runs {timeout} s later")
        await asyncio.sleep(0.05)


def stored_turns(home: Path, conversation_id: str) -> list[tuple[str, str]]:
    """``(turn_id, status)`` of the conversation's turns in the store, oldest first."""
    db = sqlite3.connect(home / "state.db")
    try:
        rows = db.execute(
            "SELECT turn_id, status FROM turns WHERE conversation_id = ? ORDER BY started_at",
            (conversation_id,),
        ).fetchall()
    finally:
        db.close()
    return [(str(t), str(s)) for t, s in rows]


def stored_conversations(home: Path) -> list[str]:
    """The ids of every conversation in the store."""
    db = sqlite3.connect(home / "state.db")
    try:
        return [str(row[0]) for row in db.execute("SELECT id FROM conversations")]
    finally:
        db.close()


def stored_owner(home: Path, conversation_id: str) -> int | None:
    """The pid holding the conversation, per the store (None once released)."""
    db = sqlite3.connect(home / "state.db")
    try:
        row = db.execute(
            "SELECT owner_pid FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
    finally:
        db.close()
    assert row is not None, f"conversation {conversation_id} is not in the store"
    return None if row[0] is None else int(row[0])


async def resumed_replay(home: Path, workspace: Path, conversation_id: str) -> list[dict[str, Any]]:
    """Resume the conversation from a new server; the events it replays."""
    async with open_session(home, workspace, "neovim", custom_approvals=True) as session:
        resumed = await session.request(
            "codex/resumeConversation", {"conversationId": conversation_id}
        )
    replay: list[dict[str, Any]] = resumed["initialMessages"]
    return replay
