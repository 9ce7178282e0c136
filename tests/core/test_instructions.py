"""AGENTS.md as Codex finds it: the chain from the repository root to the cwd, the override,
the fallback names, the global file, the byte budget, and the files' kinds (untrusted content)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.core.instructions import instruction_files, instructions_text
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import ReviewDecision
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.codex_peer import input_texts, needs_codex, run_codex_exec
from tests.helpers import EventLog, ScriptedApprover, subprocess_env

HEADING = "# AGENTS.md instructions for "


def nested_repo(root: Path) -> Path:
    """A repository with an override at its root, a fallback-only folder, an empty override
    that hides a folder's AGENTS.md, and a cwd whose AGENTS.md wins over its CLAUDE.md."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "AGENTS.md").write_text("root agents: never sent\n")
    (root / "AGENTS.override.md").write_text("root override: use tabs\n")
    (root / "a").mkdir()
    (root / "a" / "CLAUDE.md").write_text("a claude: run make test\n")
    (root / "a" / "b").mkdir()
    (root / "a" / "b" / "AGENTS.override.md").write_text("   \n")
    (root / "a" / "b" / "AGENTS.md").write_text("b agents: hidden by the empty override\n")
    cwd = root / "a" / "b" / "c"
    cwd.mkdir()
    (cwd / "AGENTS.md").write_text("c agents: the cwd's file, cut by the budget here\n")
    (cwd / "CLAUDE.md").write_text("c claude: never sent\n")
    return cwd


CONFIG_KEYS = 'project_doc_fallback_filenames = ["CLAUDE.md"]\nproject_doc_max_bytes = 60\n'


def with_keys(home: Path, keys: str) -> None:
    config = home / "config.toml"
    config.write_text(keys + config.read_text())


async def codex_lsp_texts(home: Path, cwd: Path, server: FakeModelServer) -> list[str]:
    """What codex-lsp sends for a first message in ``cwd``."""
    log = EventLog()
    server.enqueue(Reply((Text("ok"),)))
    manager = ConversationManager(FrontEnd(log.sink), ConfigSources(home=home, default_cwd=cwd))
    try:
        conv = await manager.new_conversation(NewConversationParams())
        conv.submit(UserInputOp(items=[TextInput(text="hello")]))
        await log.wait_for("taskComplete", conv.id)
    finally:
        await manager.shutdown_all()
    return input_texts(server.requests[-1].body)


def agents_text(texts: list[str]) -> str:
    found = [t for t in texts if t.startswith(HEADING)]
    assert len(found) == 1, texts
    return found[0]


@needs_codex
@pytest.mark.slow
async def test_the_chain_matches_what_codex_exec_sends(
    codex_home: Path, tmp_path: Path, model_server: FakeModelServer
) -> None:
    cwd = nested_repo(tmp_path / "repo")
    codex_dir = tmp_path / ".codex"  # Codex's home, which codex-lsp falls back to
    codex_dir.mkdir()
    (codex_dir / "AGENTS.md").write_text("global: hidden by the override\n")
    (codex_dir / "AGENTS.override.md").write_text("\nglobal override: answer in French\n\n")
    model_server.enqueue(Reply((Text("ok"),)))
    ran = run_codex_exec(codex_dir, model_server.base_url, cwd, "hello", CONFIG_KEYS)
    assert ran.returncode == 0, ran.stderr[-2000:]
    codex_sent = agents_text(input_texts(model_server.requests[-1].body))

    with_keys(codex_home, CONFIG_KEYS)
    ours = agents_text(await codex_lsp_texts(codex_home, cwd, model_server))

    assert ours == codex_sent
    # what both sent, spelled out: the global override, the separator, one file per folder
    assert ours == (
        f"{HEADING}{cwd}\n\n<INSTRUCTIONS>\nglobal override: answer in French"
        "\n\n--- project-doc ---\n\n"
        "root override: use tabs\n\n\na claude: run make test\n\n\nc agents: th"
        "\n</INSTRUCTIONS>"
    )


async def test_the_user_s_own_global_file_wins_over_codex_s(
    codex_home: Path, tmp_path: Path, model_server: FakeModelServer
) -> None:
    (tmp_path / ".codex").mkdir()
    (tmp_path / ".codex" / "AGENTS.md").write_text("codex global\n")
    (codex_home / "AGENTS.md").write_text("codex-lsp global\n")
    cwd = tmp_path / "plain"
    cwd.mkdir()
    (cwd / "AGENTS.md").write_text("project\n")
    text = agents_text(await codex_lsp_texts(codex_home, cwd, model_server))
    assert "codex-lsp global\n\n--- project-doc ---\n\nproject\n" in text
    assert "codex global" not in text


def test_without_a_repository_only_the_cwd_is_read(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text("outside\n")
    cwd = tmp_path / "inner"
    cwd.mkdir()
    (cwd / "AGENTS.md").write_text("inner\n")
    files = instruction_files(cwd, 1000, None)
    assert [f.path for f in files] == [cwd / "AGENTS.md"]


def test_a_zero_budget_sends_no_project_file(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text("project\n")
    assert instruction_files(tmp_path, 0, None) == []


@pytest.mark.parametrize("kind", ["fifo", "device link", "folder"])
def test_a_fifo_or_device_named_agents_md_is_passed_over(tmp_path: Path, kind: str) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    target = tmp_path / "AGENTS.override.md"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device link":
        target.symlink_to("/dev/zero")
    else:
        target.mkdir()
    (tmp_path / "AGENTS.md").write_text("the regular file\n")
    files = instruction_files(tmp_path, 1000, None)  # returns: nothing waits on the FIFO
    assert instructions_text(files) == "the regular file\n"


def test_a_huge_file_is_read_only_up_to_the_budget(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_bytes(b"x" * 5_000_000)
    files = instruction_files(tmp_path, 100, None)
    assert len(files[0].text) == 100 and files[0].truncated


def test_a_fallback_name_with_a_folder_is_refused(codex_home: Path, tmp_path: Path) -> None:
    with_keys(codex_home, 'project_doc_fallback_filenames = ["../../etc/passwd"]\n')
    shown = subprocess.run(
        [sys.executable, "-m", "codex_lsp", "config", "show"],
        env=subprocess_env(codex_home),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 2
    assert "'../../etc/passwd' is not a file name" in shown.stderr
    assert "Traceback" not in shown.stderr


def test_config_show_lists_the_files_in_prompt_order(codex_home: Path, tmp_path: Path) -> None:
    cwd = nested_repo(tmp_path / "repo")
    (codex_home / "AGENTS.md").write_text("mine\n")
    with_keys(codex_home, CONFIG_KEYS)
    shown = subprocess.run(
        [sys.executable, "-m", "codex_lsp", "config", "show"],
        env=subprocess_env(codex_home),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    tail = shown.stdout.split("# instruction files, in prompt order:\n")[1].splitlines()
    root = tmp_path / "repo"
    assert tail == [
        f"#   {codex_home / 'AGENTS.md'} (global)",
        f"#   {root / 'AGENTS.override.md'} (project)",
        f"#   {root / 'a' / 'CLAUDE.md'} (project)",
        f"#   {cwd / 'AGENTS.md'} (project, cut at project_doc_max_bytes)",
    ]


AGENTS_PATCH = (
    "*** Begin Patch\n*** Add File: AGENTS.md\n+# Guide\n+Run make test.\n*** End Patch\n"
)


@pytest.mark.parametrize("decision", [ReviewDecision.DENIED, ReviewDecision.APPROVED])
async def test_init_writes_agents_md_through_the_approved_patch_path(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    decision: ReviewDecision,
) -> None:
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": AGENTS_PATCH}),)), Reply((Text("done"),))
    )
    approver.answers = [decision]
    conv = await manager.new_conversation(NewConversationParams(config={"review_patches": True}))
    conv.submit(UserInputOp(items=[TextInput(text="/init")]))
    await log.wait_for("taskComplete", conv.id)
    asked = input_texts(model_server.requests[0].body)[-1]
    assert asked.startswith("Write an `AGENTS.md` file at the root of this repository")
    assert log.msgs(conv.id, "userMessage")[0]["message"] == "/init"
    assert len(approver.asked) == 1  # the patch was put to the user, as any patch is
    written = workspace / "AGENTS.md"
    if decision is ReviewDecision.APPROVED:
        assert written.read_text() == "# Guide\nRun make test.\n"
    else:
        assert not written.exists()


def test_a_link_out_of_the_repository_is_not_sent(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    secret = tmp_path / "credentials"
    secret.write_text("aws_secret_access_key = hunter2\n")
    (repo / "AGENTS.override.md").symlink_to(secret)
    (repo / "AGENTS.md").write_text("the repository's own\n")
    (repo / "docs").mkdir()
    (repo / "docs" / "AGENTS.md").symlink_to(repo / "AGENTS.md")  # a link inside is fine
    files = instruction_files(repo / "docs", 1000, None)
    assert [f.path for f in files] == [repo / "AGENTS.md", repo / "docs" / "AGENTS.md"]
    assert "hunter2" not in (instructions_text(files) or "")
