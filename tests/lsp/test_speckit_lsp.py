"""spec-kit in a real language server under pytest-lsp, with a scripted model server per agent:
``/speckit.plan`` typed in a conversation writes plan.md through ``workspace/applyEdit`` into
the open buffer and reports ``$/progress``; the code actions on a SPEC's files match its state
and running one does the stage; ``workspace/executeCommand codex-lsp.speckit.*`` gives the same
result as typing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from codex_lsp.testing import FakeModelServer
from tests.lsp.conftest import PROFILES, Session, open_session
from tests.speckit.agents import agents_toml, answering
from tests.speckit.answers import plan_answer
from tests.speckit.conftest import make_fork_repo, make_fork_spec

AGENTS = ("gemini", "claude", "gpt_pro")
pytestmark = pytest.mark.slow


@dataclass
class SpeckitSession:
    """A server session in a fork-layout repository whose agents are scripted."""

    lsp: Session
    servers: dict[str, FakeModelServer]
    main: FakeModelServer
    spec: Path

    def script_plan(self) -> None:
        for name, server in self.servers.items():
            server.enqueue(
                answering(plan_answer(name, agreements=("one step",) if name == "gpt_pro" else ()))
            )

    async def code_actions(self, path: Path) -> list[types.CodeAction]:
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
        found = await self.lsp.client.text_document_code_action_async(params)
        return [a for a in found or [] if isinstance(a, types.CodeAction)]

    async def resolved(self, action: types.CodeAction) -> types.CodeAction:
        return await self.lsp.client.code_action_resolve_async(action)

    async def execute(self, command: str, *arguments: Any) -> Any:
        params = types.ExecuteCommandParams(command=command, arguments=list(arguments))
        return await self.lsp.client.workspace_execute_command_async(params)


@pytest.fixture
def agent_servers() -> Iterator[dict[str, FakeModelServer]]:
    with ExitStack() as stack:
        yield {name: stack.enter_context(FakeModelServer()) for name in ("main", *AGENTS)}


@pytest.fixture(params=PROFILES)
async def speckit(
    request: pytest.FixtureRequest,
    clean_env: Path,
    tmp_path: Path,
    agent_servers: dict[str, FakeModelServer],
) -> AsyncIterator[SpeckitSession]:
    servers = dict(agent_servers)
    main = servers.pop("main")
    clean_env.mkdir(parents=True, exist_ok=True)
    (clean_env / "config.toml").write_text(agents_toml(servers, main.base_url), "utf-8")
    root = make_fork_repo(tmp_path / "fork")
    spec = make_fork_spec(root)
    async with open_session(clean_env, root, request.param, custom_approvals=True) as lsp:
        yield SpeckitSession(lsp, servers, main, spec)


async def test_plan_typed_in_a_conversation_edits_the_open_plan_buffer(
    speckit: SpeckitSession,
) -> None:
    plan = speckit.spec / "plan.md"
    plan.write_text("# Plan: draft\n")
    speckit.lsp.open_document(plan, "# Plan: draft\n")
    speckit.script_plan()
    conversation = await speckit.lsp.new_conversation()
    await speckit.lsp.say(conversation, "/speckit.plan SPEC-KIT-071")
    done = await speckit.lsp.log.wait_for("taskComplete", conversation, timeout=30)
    assert "consensus ok" in done["lastAgentMessage"]
    (edit,) = speckit.lsp.applied_edits
    changed = [
        c.text_document.uri
        for c in edit.edit.document_changes or []
        if isinstance(c, types.TextDocumentEdit)
    ]
    assert [*changed, *(edit.edit.changes or {})] == [plan.as_uri()]
    buffer, version = speckit.lsp.buffers[plan.as_uri()]
    assert version == 2
    assert buffer.startswith("# Plan: SPEC-KIT-071 — Login\n")
    assert plan.read_text() == buffer  # the buffer was clean: the disk follows
    types_seen = [m["type"] for m in speckit.lsp.log.msgs(conversation)]
    assert types_seen.count("speckitAgentAnswered") == 3
    assert "turnDiff" in types_seen
    token = f"codex-lsp/{conversation}/{done['turnId']}"
    for _ in range(100):
        reports = speckit.lsp.client.progress_reports.get(token, [])
        if reports and isinstance(reports[-1], types.WorkDoneProgressEnd):
            break
        await asyncio.sleep(0.02)
    messages = [r.message for r in reports if isinstance(r, types.WorkDoneProgressReport)]
    assert "/speckit.plan SPEC-KIT-071: 3 agent(s), sequential" in messages
    assert "/speckit.plan: asking claude" in messages and "/speckit.plan: consensus ok" in messages
    # undone like an agent's turn: the buffer goes back through the editor
    await speckit.lsp.request(
        "codex/undoTurn", {"conversationId": conversation, "turnId": done["turnId"]}
    )
    await speckit.lsp.log.wait_for("undoCompleted", conversation)
    assert speckit.lsp.buffers[plan.as_uri()][0] == "# Plan: draft\n"


@pytest.mark.parametrize("speckit", ["neovim"], indirect=True)  # it resolves commands lazily
async def test_code_actions_follow_the_specs_state_and_running_one_does_the_stage(
    speckit: SpeckitSession,
) -> None:
    spec_md = speckit.spec / "spec.md"
    actions = await speckit.code_actions(spec_md)
    titles = [a.title for a in actions]
    assert titles == [
        "Run /speckit.plan SPEC-KIT-071",
        "Run /speckit.clarify SPEC-KIT-071",
        "Run /speckit.status SPEC-KIT-071",
    ]
    assert actions[0].is_preferred and actions[0].command is None  # resolved lazily
    command = (await speckit.resolved(actions[0])).command
    assert command is not None and command.command == "codex-lsp.speckit.plan"
    speckit.script_plan()
    result = await speckit.execute(command.command, *(command.arguments or []))
    conversation = result["conversationId"]
    await speckit.lsp.log.wait_for("taskComplete", conversation, timeout=30)
    assert (speckit.spec / "plan.md").read_text().startswith("# Plan: SPEC-KIT-071")
    after = [a.title for a in await speckit.code_actions(speckit.spec / "plan.md")]
    assert after[0] == "Run /speckit.tasks SPEC-KIT-071"
    outside = await speckit.code_actions(speckit.spec.parent.parent / "SPEC.md")
    assert not [a for a in outside if "speckit" in a.title]


def _unclocked(report: str) -> str:
    """``report`` without the time its ``# SPEC Status: … (2026-12-02 00:05:28 UTC)`` heading
    gives."""
    return re.sub(r"\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)", "(…)", report, count=1)


@pytest.mark.parametrize("speckit", ["visual-studio-code"], indirect=True)
async def test_execute_command_gives_what_typing_gives(speckit: SpeckitSession) -> None:
    conversation = await speckit.lsp.new_conversation()
    typed = await speckit.lsp.say(conversation, "/speckit.status SPEC-KIT-071")
    assert typed
    first = await speckit.lsp.log.wait_for("taskComplete", conversation)
    result = await speckit.execute("codex-lsp.speckit.status", "SPEC-KIT-071", conversation)
    assert result["conversationId"] == conversation
    second = await speckit.lsp.log.wait_for("taskComplete", conversation, count=2)
    assert "## Stage Summary" in first["lastAgentMessage"]
    # the same report but for its heading's clock (the two may straddle a second)
    assert _unclocked(first["lastAgentMessage"]) == _unclocked(second["lastAgentMessage"])
    assert speckit.main.requests == [] and all(not s.requests for s in speckit.servers.values())
    provider = speckit.lsp.initialized.capabilities.execute_command_provider  # type: ignore[union-attr]
    assert provider is not None and "codex-lsp.speckit.plan" in provider.commands
    with pytest.raises(Exception, match="argument 1 must be the command's arguments"):
        await speckit.execute("codex-lsp.speckit.plan", 71)
