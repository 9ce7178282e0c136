"""Tasks as editor objects, in a real language server: every unticked task of tasks.md has a
code lens (and a code action) "Implement T00n"; running it implements that task alone (the
agents see only it), applies the patch and ticks the task through ``workspace/applyEdit``; then
``/speckit.implement`` without a task takes the first unticked one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from lsprotocol import types

from codex_lsp.testing import FakeModelServer
from tests.lsp.conftest import open_session
from tests.speckit.agents import agents_toml, answering
from tests.speckit.answers import implement_answer
from tests.speckit.conftest import make_fork_repo, make_fork_spec
from tests.speckit.pipeline import AGENTS

pytestmark = pytest.mark.slow
TASKS = """# Tasks: Login

- [ ] T001 [P] Add the OAuth settings in config/oauth.toml
  - **Validation**: `echo validated-ok`
- [ ] T002 Implement the callback for FR-001 in src/callback.py
  - **Validation**: `echo validated-ok`
"""


@pytest.fixture
def servers() -> Iterator[dict[str, FakeModelServer]]:
    with ExitStack() as stack:
        yield {name: stack.enter_context(FakeModelServer()) for name in ("main", *AGENTS)}


def _patch(name: str) -> str:
    return f"*** Begin Patch\n*** Add File: src/{name}.py\n+DONE = True\n*** End Patch"


async def test_implement_t002_from_its_code_lens_implements_only_t002_and_ticks_it(
    clean_env: Path, tmp_path: Path, servers: dict[str, FakeModelServer]
) -> None:
    agents = dict(servers)
    main = agents.pop("main")
    clean_env.mkdir(parents=True, exist_ok=True)
    (clean_env / "config.toml").write_text(agents_toml(agents, main.base_url), "utf-8")
    root = make_fork_repo(tmp_path / "fork")
    spec = make_fork_spec(root)
    tasks_md = spec / "tasks.md"
    tasks_md.write_text(TASKS)
    for name, server in agents.items():
        server.enqueue(
            answering(implement_answer(name, _patch("callback"))),
            answering(implement_answer(name, _patch("settings"))),
        )
    async with open_session(clean_env, root, "neovim", custom_approvals=True) as lsp:
        lsp.patch_answers = [{"decision": "approved"}] * 2
        lsp.open_document(tasks_md, TASKS)
        lenses = await lsp.client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(tasks_md.as_uri()))
        )
        assert [
            (lens.range.start.line, lens.command.title) for lens in lenses or [] if lens.command
        ] == [
            (2, "Implement T001"),
            (4, "Implement T002"),
        ]
        t002 = next(
            lens.command for lens in lenses or [] if lens.command and "T002" in lens.command.title
        )
        assert t002.command == "codex-lsp.speckit.implement"
        assert list(t002.arguments or []) == ["SPEC-KIT-071 T002"]
        actions = await lsp.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(tasks_md.as_uri()),
                range=types.Range(types.Position(4, 0), types.Position(4, 0)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        assert "Implement T002" in [a.title for a in actions or []]
        result = await lsp.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=t002.command, arguments=t002.arguments)
        )
        conversation = result["conversationId"]
        done = await lsp.log.wait_for("taskComplete", conversation, timeout=45)
        assert "T002 is ticked in docs/SPEC-KIT-071-login/tasks.md" in done["lastAgentMessage"]
        prompt = agents["gemini"].requests[0].text
        assert "The task to implement (T002, tasks.md)" in prompt
        assert "Implement the callback for FR-001" in prompt
        assert "Add the OAuth settings" not in prompt
        assert (root / "src/callback.py").read_text() == "DONE = True\n"
        buffer = lsp.buffers[tasks_md.as_uri()][0]
        assert "- [x] T002 Implement the callback" in buffer
        assert "- [ ] T001 [P] Add the OAuth settings" in buffer
        assert tasks_md.read_text() == buffer
        # without a task: the first unticked one
        await lsp.say(conversation, "/speckit.implement SPEC-KIT-071")
        await lsp.log.wait_for("taskComplete", conversation, count=2, timeout=45)
        prompt = agents["gemini"].requests[1].text
        assert "The task to implement (T001, tasks.md)" in prompt
        assert "- [x] T001 [P]" in lsp.buffers[tasks_md.as_uri()][0]
        lenses = await lsp.client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(tasks_md.as_uri()))
        )
        assert not lenses
