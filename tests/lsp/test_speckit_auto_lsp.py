"""``/speckit.auto`` in a real language server: the server is SIGKILLed right after tasks.md is
written; the next server, on ``initialized``, offers to resume the run (``window/showMessage``
and the preferred code action on the SPEC's files), and resuming from that code action asks no
plan or tasks agent again and finishes the run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from codex_lsp.testing import FakeModelServer, Reply, Stall
from tests.lsp.conftest import Session, open_session
from tests.speckit.agents import agents_toml
from tests.speckit.conftest import make_fork_repo, make_fork_spec
from tests.speckit.pipeline import (
    AGENTS,
    STAGES,
    asked,
    enqueue,
    marks,
    recorded,
    wait_until,
)

pytestmark = pytest.mark.slow


class _Agents:
    def __init__(self, servers: dict[str, FakeModelServer]) -> None:
        self.servers = servers


@pytest.fixture
def agents() -> Iterator[tuple[_Agents, FakeModelServer]]:
    with ExitStack() as stack:
        started = {name: stack.enter_context(FakeModelServer()) for name in ("main", *AGENTS)}
        main = started.pop("main")
        yield _Agents(started), main


async def _code_actions(lsp: Session, path: Path) -> list[types.CodeAction]:
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
        range=types.Range(types.Position(0, 0), types.Position(0, 0)),
        context=types.CodeActionContext(diagnostics=[]),
    )
    found = await lsp.client.text_document_code_action_async(params)
    return [a for a in found or [] if isinstance(a, types.CodeAction)]


def _approve_everything(lsp: Session) -> None:
    lsp.patch_answers = [{"decision": "approved"}] * 4
    lsp.approvals = ["approved"] * 4


async def test_a_killed_server_s_run_is_offered_on_open_and_resumed_from_the_code_action(
    clean_env: Path, tmp_path: Path, agents: tuple[_Agents, FakeModelServer]
) -> None:
    scripted, main = agents
    clean_env.mkdir(parents=True, exist_ok=True)
    (clean_env / "config.toml").write_text(agents_toml(scripted.servers, main.base_url), "utf-8")
    root = make_fork_repo(tmp_path / "fork")
    spec = make_fork_spec(root)
    enqueue(scripted, "plan")
    enqueue(scripted, "tasks")
    scripted.servers["gemini"].enqueue(Reply((Stall(30),)))
    async with open_session(clean_env, root, "neovim", custom_approvals=True) as first:
        _approve_everything(first)
        conversation = await first.new_conversation()
        await first.say(conversation, "/speckit.auto SPEC-KIT-071")
        await wait_until((spec / "tasks.md").is_file, timeout=45)
        await wait_until(lambda: recorded(clean_env / "state.db", "tasks"), timeout=15)
        await first.kill()
    assert not (spec / "implement.md").exists()
    before = marks(scripted)
    for stage in STAGES[2:]:
        enqueue(scripted, stage)
    async with open_session(clean_env, root, "neovim", custom_approvals=True) as second:
        _approve_everything(second)
        offered = "Resume /speckit.auto SPEC-KIT-071 with the code action on its files"

        def notified() -> bool:
            return any(offered in m.message for m in second.client.messages)

        await wait_until(notified, timeout=15)
        (message,) = [m for m in second.client.messages if offered in m.message]
        assert "did not finish (its server stopped at implement, stage 3 of 6" in message.message
        actions = await _code_actions(second, spec / "tasks.md")
        resume = actions[0]
        assert resume.title == "Resume /speckit.auto SPEC-KIT-071" and resume.is_preferred
        resume = await second.client.code_action_resolve_async(resume)  # neovim resolves lazily
        assert resume.command is not None
        assert resume.command.command == "codex-lsp.speckit.auto"
        result: Any = await second.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=resume.command.command, arguments=resume.command.arguments
            )
        )
        resumed = result["conversationId"]
        done = await second.log.wait_for("taskComplete", resumed, timeout=45)
        assert done["lastAgentMessage"].startswith("## /speckit.auto SPEC-KIT-071: completed")
        again = asked(scripted, before)
        assert "plan" not in again and "tasks" not in again
        # implement: 4 agents (gemini once more when the killed server never sent its request,
        # and its stalled answer is idle-timed out here)
        assert again.count("implement") >= 4 and again.count("unlock") == 3
        assert (spec / "unlock.md").is_file()
