"""Skills over LSP: ``codex/listSkills`` for a composer's ``$`` completion, and a ``skill``
input item that sends the skill's SKILL.md with the message, against a real server process."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.testing import FakeModelServer, Reply, Text
from tests.codex_peer import input_texts
from tests.lsp.conftest import open_session


async def test_list_skills_then_invoke_one_as_an_item(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    skill = workspace / ".agents" / "skills" / "deploy" / "SKILL.md"
    skill.parent.mkdir(parents=True)
    skill.write_text("---\nname: deploy\ndescription: Deploy to staging\n---\nRUN ./ship\n")
    broken = workspace / ".codex" / "skills" / "old" / "SKILL.md"
    broken.parent.mkdir(parents=True)
    broken.write_text("no front matter\n")
    async with open_session(codex_home, workspace, "visual-studio-code", True) as lsp:
        listed = await lsp.request("codex/listSkills", {})
        assert listed["skills"] == [
            {
                "name": "deploy",
                "description": "Deploy to staging",
                "path": str(skill),
                "scope": "project",
                "enabled": True,
            }
        ]
        assert listed["errors"] == [
            f"{broken}: its front matter (between --- lines) needs a name and a description"
        ]
        model_server.enqueue(Reply((Text("shipped"),)))
        conv = await lsp.new_conversation()
        await lsp.request(
            "codex/userInput",
            {
                "conversationId": conv,
                "items": [{"type": "text", "text": "go"}, {"type": "skill", "name": "deploy"}],
            },
        )
        await lsp.log.wait_for("taskComplete", conv)
    texts = input_texts(model_server.requests[0].body)
    assert texts[-2:] == [
        "go",
        f"<skill>\n<name>deploy</name>\n<path>{skill}</path>\n"
        "---\nname: deploy\ndescription: Deploy to staging\n---\nRUN ./ship\n\n</skill>",
    ]
