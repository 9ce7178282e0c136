"""Skills: found in the project and the user's folders, listed to the model by name and
description only, their body read by the model when it decides, or sent when the user invokes
one with ``$name``; disabled by ``[skills]``; hostile SKILL.md files passed over."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from codex_lsp.config.model import Config
from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.core.skills import find_skills, list_skills
from codex_lsp.protocol.items import SkillInput, TextInput, UserInputItem
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.codex_peer import input_texts, needs_codex, run_codex_exec
from tests.helpers import EventLog

BODY = "Run ./deploy.sh staging, then check the health page."


def skill(root: Path, folder: str, name: str, description: str, body: str = BODY) -> Path:
    path = root / folder / "SKILL.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\nname: {name}\ndescription: {description}\n---\n{body}\n")
    return path


def project(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    skill(repo / ".agents" / "skills", "deploy", "deploy", "Deploy the app to staging")
    skill(repo / ".codex" / "skills", "lint", "lint-it", '"Run the linters"', "LINT BODY")
    return repo


async def first_turn(
    home: Path, cwd: Path, server: FakeModelServer, *items: UserInputItem, replies: int = 1
) -> EventLog:
    log = EventLog()
    manager = ConversationManager(FrontEnd(log.sink), ConfigSources(home=home, default_cwd=cwd))
    try:
        conv = await manager.new_conversation(NewConversationParams())
        conv.submit(UserInputOp(items=list(items)))
        await log.wait_for("taskComplete", conv.id)
    finally:
        await manager.shutdown_all()
    assert len(server.requests) >= replies
    return log


async def test_skills_are_listed_by_name_and_description_not_body(
    codex_home: Path, tmp_path: Path, model_server: FakeModelServer
) -> None:
    repo = project(tmp_path)
    mine = skill(codex_home / "skills", "notes", "notes", "Keep release notes")
    agents = skill(codex_home.parent / ".agents" / "skills", "tidy", "tidy", "Tidy imports")
    skill(codex_home / "skills", "shadow", "deploy", "A user skill the project's hides")
    model_server.enqueue(Reply((Text("ok"),)))
    await first_turn(codex_home, repo, model_server, TextInput(text="hello"))
    sent = "\n".join(input_texts(model_server.requests[0].body))
    deploy = repo / ".agents" / "skills" / "deploy" / "SKILL.md"
    assert f"- deploy: Deploy the app to staging (file: {deploy})" in sent
    assert "- lint-it: Run the linters (file:" in sent
    assert f"- notes: Keep release notes (file: {mine})" in sent
    assert f"- tidy: Tidy imports (file: {agents})" in sent  # ~/.agents/skills, as Codex
    assert "A user skill the project's hides" not in sent
    assert BODY not in sent and "LINT BODY" not in sent


async def test_the_model_reads_a_body_only_when_it_uses_the_skill(
    codex_home: Path, tmp_path: Path, model_server: FakeModelServer
) -> None:
    repo = project(tmp_path)
    deploy = repo / ".agents" / "skills" / "deploy" / "SKILL.md"
    model_server.enqueue(
        Reply((ToolCall("read_file", {"file_path": str(deploy)}),)), Reply((Text("deployed"),))
    )
    await first_turn(codex_home, repo, model_server, TextInput(text="ship it"), replies=2)
    first, second = (json.dumps(r.body["input"]) for r in model_server.requests)
    assert BODY not in first
    assert BODY in second  # the read_file output the model asked for
    assert "LINT BODY" not in second


async def test_dollar_name_sends_the_skill_with_the_message(
    codex_home: Path, tmp_path: Path, model_server: FakeModelServer
) -> None:
    repo = project(tmp_path)
    model_server.enqueue(Reply((Text("ok"),)))
    log = await first_turn(
        codex_home, repo, model_server, TextInput(text="please $deploy, and $nothing-here")
    )
    texts = input_texts(model_server.requests[0].body)
    blocks = [t for t in texts if t.startswith("<skill>")]
    assert len(blocks) == 1 and BODY in blocks[0]
    assert texts[texts.index(blocks[0]) - 1] == "please $deploy, and $nothing-here"
    assert not log.msgs(None, "warning")  # a $word naming no skill is plain text


async def test_a_skill_item_sends_it_and_an_unknown_one_warns(
    codex_home: Path, tmp_path: Path, model_server: FakeModelServer
) -> None:
    repo = project(tmp_path)
    model_server.enqueue(Reply((Text("ok"),)))
    log = await first_turn(
        codex_home,
        repo,
        model_server,
        TextInput(text="go"),
        SkillInput(name="lint-it"),
        SkillInput(name="nope"),
    )
    texts = input_texts(model_server.requests[0].body)
    assert any(t.startswith("<skill>\n<name>lint-it</name>") and "LINT BODY" in t for t in texts)
    warnings = [m["message"] for m in log.msgs(None, "warning")]
    assert warnings == [
        "skill nope is not found: it was not used (codex/listSkills lists the skills)"
    ]
    shown = log.msgs(None, "userMessage")[0]
    assert shown["message"] == "go" and "$lint-it" in shown["mentions"]


async def test_a_disabled_skill_is_left_out(
    codex_home: Path, tmp_path: Path, model_server: FakeModelServer
) -> None:
    repo = project(tmp_path)
    config = codex_home / "config.toml"
    config.write_text(config.read_text() + '\n[skills]\ndisabled = ["deploy"]\n')
    model_server.enqueue(Reply((Text("ok"),)))
    await first_turn(codex_home, repo, model_server, TextInput(text="$deploy now"))
    sent = "\n".join(input_texts(model_server.requests[0].body))
    assert "Deploy the app to staging" not in sent and BODY not in sent
    assert "lint-it" in sent
    listed = list_skills(repo, codex_home, Config(skills={"disabled": ["deploy"]}))
    assert [(s.name, s.scope, s.enabled) for s in listed.skills] == [
        ("deploy", "project", False),
        ("lint-it", "project", True),
    ]


@pytest.mark.parametrize("kind", ["fifo", "device link", "no front matter", "bad name"])
def test_a_hostile_or_broken_skill_md_is_passed_over(tmp_path: Path, kind: str) -> None:
    repo = project(tmp_path)
    bad = repo / ".agents" / "skills" / "bad" / "SKILL.md"
    bad.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(bad)
    elif kind == "device link":
        bad.symlink_to("/dev/zero")
    elif kind == "no front matter":
        bad.write_text("just text\n")
    else:
        bad.write_text("---\nname: rm -rf /\ndescription: x\n---\n")
    found = find_skills(repo, None, Config())  # returns: no read waits on the FIFO
    assert [s.name for s in found.skills] == ["deploy", "lint-it"]
    assert len(found.errors) == 1 and found.errors[0].startswith(f"{bad}: ")


def test_linked_and_hidden_folders_are_not_walked(tmp_path: Path) -> None:
    repo = project(tmp_path)
    outside = tmp_path / "outside"
    skill(outside, "leak", "leak", "from outside the repository")
    (repo / ".agents" / "skills" / "linked").symlink_to(outside, target_is_directory=True)
    skill(repo / ".agents" / "skills", ".hidden", "hidden", "a hidden folder")
    names = [s.name for s in find_skills(repo, None, Config()).skills]
    assert names == ["deploy", "lint-it"]


@needs_codex
@pytest.mark.slow
async def test_dollar_name_sends_what_codex_exec_sends(
    codex_home: Path, tmp_path: Path, model_server: FakeModelServer
) -> None:
    repo = project(tmp_path)
    prompt = "please $deploy"
    model_server.enqueue(Reply((Text("ok"),)))
    ran = run_codex_exec(tmp_path / "codex-peer", model_server.base_url, repo, prompt)
    assert ran.returncode == 0, ran.stderr[-2000:]
    codex_texts = input_texts(model_server.requests[-1].body)
    model_server.enqueue(Reply((Text("ok"),)))
    await first_turn(codex_home, repo, model_server, TextInput(text=prompt))
    ours = input_texts(model_server.requests[-1].body)

    def skill_blocks(texts: list[str]) -> list[str]:
        return [t for t in texts if t.startswith("<skill>")]

    assert skill_blocks(ours) == skill_blocks(codex_texts) and len(skill_blocks(ours)) == 1
    # both list the project's skills by description, neither sends a body it was not asked for
    for texts in (ours, codex_texts):
        listing = next(t for t in texts if "<skills_instructions>" in t)
        assert "Deploy the app to staging" in listing and "Run the linters" in listing
        assert "LINT BODY" not in "\n".join(texts)


def test_a_skill_md_linking_out_of_the_repository_is_not_read(tmp_path: Path) -> None:
    repo = project(tmp_path)
    outside = skill(tmp_path / "elsewhere", "x", "stolen", "a file outside", body="SECRET")
    linked = repo / ".agents" / "skills" / "stolen" / "SKILL.md"
    linked.parent.mkdir()
    linked.symlink_to(outside)
    found = find_skills(repo, None, Config())
    assert [s.name for s in found.skills] == ["deploy", "lint-it"]
    assert found.errors == [f"{linked}: it links out of the repository"]
