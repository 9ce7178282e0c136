"""The seams a front end plugs into the manager: one file sink and one command runner per
conversation (ACP sessions own their client's files and terminals)."""

from __future__ import annotations

import json
from pathlib import Path

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.exec.runner import ExecResult, OutputSink
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from codex_lsp.tools.commands import CommandRequest, run_locally
from codex_lsp.tools.files import DiskSink
from tests.helpers import EventLog


class RecordingRunner:
    """Runs commands locally and records who asked."""

    def __init__(self, conversation_id: str, calls: list[tuple[str, str, list[str]]]) -> None:
        self.conversation_id = conversation_id
        self.calls = calls

    async def __call__(self, request: CommandRequest, on_output: OutputSink | None) -> ExecResult:
        self.calls.append((self.conversation_id, request.call_id, request.argv))
        return await run_locally(request, on_output)


async def test_each_conversation_gets_its_own_runner_and_file_sink(
    codex_home: Path, model_server: FakeModelServer, workspace: Path, log: EventLog
) -> None:
    calls: list[tuple[str, str, list[str]]] = []
    sinks: dict[str, DiskSink] = {}

    def files_for(conversation_id: str) -> DiskSink:
        sinks[conversation_id] = DiskSink()
        return sinks[conversation_id]

    manager = ConversationManager(
        FrontEnd(
            log.sink, files_for=files_for, commands_for=lambda cid: RecordingRunner(cid, calls)
        ),
        ConfigSources(home=codex_home, default_cwd=workspace),
    )
    try:
        model_server.enqueue(
            Reply((ToolCall("shell", {"command": ["echo", "hi"]}, call_id="c-1"),)),
            Reply((Text("done"),)),
        )
        conv = await manager.new_conversation(
            NewConversationParams(config={"sandbox_mode": "danger-full-access"})
        )
        assert conv.files is sinks[conv.id]
        conv.submit(UserInputOp(items=[TextInput(text="say hi")]))
        await log.wait_for("taskComplete", conv.id)
        assert calls == [(conv.id, "c-1", ["echo", "hi"])]
        end = log.msgs(conv.id, "execCommandEnd")[0]
        assert end["aggregatedOutput"] == "hi\n"
        output = next(
            i for i in model_server.requests[1].body["input"] if i["type"] == "function_call_output"
        )
        assert json.loads(output["output"])["output"] == "hi\n"
    finally:
        await manager.shutdown_all()
