"""``codex-lsp exec``'s Codex flags, as a real subprocess against the scripted model server:
``--output-schema`` on each wire, ``resume``, ``-i``, ``--add-dir``, ``--ephemeral``, the Git
repository check, ``--model``, ``--full-auto``, and a clear exit 2 for each bad value."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from codex_lsp.exec import sandbox
from codex_lsp.testing import Answer, FakeModelServer, Reasoning, Reply, Text, ToolCall
from tests.cli.test_exec import run_exec, run_python
from tests.helpers import write_config

pytestmark = pytest.mark.slow

SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["pass", "fail"]}},
    "required": ["verdict"],
    "additionalProperties": False,
}
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e5270de40000000049454e44ae426082"
)


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Error(" not in result.stderr


def _exec_here(
    args: list[str], home: Path, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``codex-lsp exec`` with the Git check on (no --skip-git-repo-check)."""
    return run_python(["-m", "codex_lsp", "exec", *args], home, cwd, stdin)


def _schema_file(tmp_path: Path, value: object = SCHEMA) -> Path:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


# --- --output-schema -------------------------------------------------------------------------


@pytest.mark.parametrize("wire", ["responses", "chat", "anthropic"])
def test_output_schema_reaches_the_provider_and_the_answer_is_printed(
    wire: str, clean_env: Path, workspace: Path, model_server: FakeModelServer, tmp_path: Path
) -> None:
    write_config(clean_env, model_server.base_url, wire_api=wire)
    model_server.enqueue(Reply((Answer({"verdict": "pass"}),)))
    out = tmp_path / "last.json"
    schema = _schema_file(tmp_path)
    result = run_exec(
        ["--output-schema", str(schema), "-o", str(out), "did it pass?"], clean_env, workspace
    )
    assert result.returncode == 0, result.stderr
    assert model_server.requests[0].output_schema == SCHEMA
    assert json.loads(result.stdout) == {"verdict": "pass"}
    assert json.loads(out.read_text()) == {"verdict": "pass"}


@pytest.mark.parametrize("wire", ["responses", "chat", "anthropic"])
def test_an_answer_that_does_not_match_the_schema_fails_the_run(
    wire: str, clean_env: Path, workspace: Path, model_server: FakeModelServer, tmp_path: Path
) -> None:
    write_config(clean_env, model_server.base_url, wire_api=wire)
    model_server.enqueue(Reply((Answer({"verdict": "maybe"}),)))
    result = run_exec(
        ["--output-schema", str(_schema_file(tmp_path)), "did it?"], clean_env, workspace
    )
    assert result.returncode == 1
    assert "does not match --output-schema" in result.stderr
    assert "$.verdict" in result.stderr and "'maybe' is not one of" in result.stderr
    assert result.stdout == ""
    _no_traceback(result)


def test_a_free_text_answer_to_a_schema_fails_the_run(
    codex_home: Path, workspace: Path, model_server: FakeModelServer, tmp_path: Path
) -> None:
    model_server.enqueue(Reply((Text("It passed, I think."),)))
    result = run_exec(
        ["--output-schema", str(_schema_file(tmp_path)), "did it?"], codex_home, workspace
    )
    assert result.returncode == 1 and "it is not JSON" in result.stderr
    _no_traceback(result)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read it: no such file or directory"),
        ("{bad", "not valid JSON"),
        ("[1, 2]", "a JSON Schema of an object is needed"),
        ('{"type": "object", "properties": 3}', "not a valid JSON Schema"),
        ('{"type": "string"}', '"type": "object"'),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_a_bad_schema_file_is_a_usage_error_before_any_request(
    content: str | bytes | None,
    problem: str,
    codex_home: Path,
    workspace: Path,
    model_server: FakeModelServer,
    tmp_path: Path,
) -> None:
    path = tmp_path / "schema.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_exec(["--output-schema", str(path), "hi"], codex_home, workspace)
    assert result.returncode == 2, result.stderr
    assert f"--output-schema {path}" in result.stderr and problem in result.stderr
    assert model_server.requests == []
    _no_traceback(result)


def test_a_fifo_as_schema_file_is_refused_without_waiting(
    codex_home: Path, workspace: Path, model_server: FakeModelServer, tmp_path: Path
) -> None:
    fifo = tmp_path / "schema.fifo"
    os.mkfifo(fifo)
    result = run_exec(["--output-schema", str(fifo), "hi"], codex_home, workspace)
    assert result.returncode == 2 and "cannot read it" in result.stderr


# --- the Git repository check ----------------------------------------------------------------


def test_outside_a_git_repository_exec_refuses_and_says_how_to_proceed(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    result = _exec_here(["hi"], codex_home, workspace)
    assert result.returncode == 2
    assert "not inside a Git repository" in result.stderr
    assert "--skip-git-repo-check" in result.stderr
    assert model_server.requests == []


@pytest.mark.parametrize("where", ["root", "subfolder", "worktree-file"])
def test_inside_a_git_repository_exec_runs(
    where: str, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("ok"),)))
    cwd = workspace
    if where == "worktree-file":
        (workspace / ".git").write_text("gitdir: /elsewhere/.git/worktrees/x\n")
    else:
        subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    if where == "subfolder":
        cwd = workspace / "src" / "pkg"
        cwd.mkdir(parents=True)
    result = _exec_here(["hi"], codex_home, cwd)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"


def test_the_check_applies_to_the_folder_given_with_cd(
    codex_home: Path, workspace: Path, model_server: FakeModelServer, tmp_path: Path
) -> None:
    model_server.enqueue(Reply((Text("ok"),)))
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert _exec_here(["-C", str(repo), "hi"], codex_home, workspace).returncode == 0
    refused = _exec_here(["-C", str(workspace), "hi"], codex_home, repo)
    assert refused.returncode == 2 and "not inside a Git repository" in refused.stderr


def test_the_bypass_flag_skips_the_check_as_in_codex(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("ok"),)))
    result = _exec_here(["--dangerously-bypass-approvals-and-sandbox", "hi"], codex_home, workspace)
    assert result.returncode == 0, result.stderr


def test_a_missing_cd_folder_is_a_usage_error(codex_home: Path, workspace: Path) -> None:
    result = run_exec(["-C", str(workspace / "nope"), "hi"], codex_home, workspace)
    assert result.returncode == 2 and "-C" in result.stderr and "no such folder" in result.stderr


# --- resume and --ephemeral ------------------------------------------------------------------


def test_resume_last_continues_the_most_recent_conversation_of_the_folder(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("the word is pineapple"),)), Reply((Text("pineapple"),)))
    first = run_exec(["remember a word"], codex_home, workspace)
    assert first.returncode == 0, first.stderr
    second = run_exec(["resume", "--last", "what was the word?"], codex_home, workspace)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "pineapple\n"
    sent = model_server.requests[-1].text
    assert "remember a word" in sent and "the word is pineapple" in sent
    assert "what was the word?" in sent


def test_resume_by_id_and_by_title(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("noted: 7"),)), Reply((Text("7"),)), Reply((Text("still 7"),)))
    first = run_exec(["--json", "remember seven"], codex_home, workspace)
    conversation_id = json.loads(first.stdout.splitlines()[0])["conversationId"]
    by_id = run_exec(["resume", conversation_id, "the number?"], codex_home, workspace)
    assert by_id.returncode == 0, by_id.stderr
    assert "remember seven" in model_server.requests[1].text
    by_title = run_exec(["resume", "remember seven", "again?"], codex_home, workspace)
    assert by_title.returncode == 0, by_title.stderr
    assert "the number?" in model_server.requests[2].text


def test_resume_last_only_sees_this_folders_conversations_unless_all(
    codex_home: Path, workspace: Path, model_server: FakeModelServer, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    model_server.enqueue(Reply((Text("first"),)), Reply((Text("second"),)))
    assert run_exec(["in the workspace"], codex_home, workspace).returncode == 0
    refused = run_exec(["resume", "--last", "hi"], codex_home, other)
    assert refused.returncode == 2
    assert "no stored conversation in" in refused.stderr and "--all" in refused.stderr
    allowed = run_exec(["resume", "--last", "--all", "hi"], codex_home, other)
    assert allowed.returncode == 0, allowed.stderr
    assert "in the workspace" in model_server.requests[-1].text


def test_resume_of_an_unknown_conversation_is_a_usage_error(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    result = run_exec(["resume", "0000", "hi"], codex_home, workspace)
    assert result.returncode == 2 and "'0000'" in result.stderr and "--last" in result.stderr
    assert model_server.requests == []
    bare = run_exec(["resume"], codex_home, workspace, stdin="")
    assert bare.returncode == 2 and "--last" in bare.stderr
    _no_traceback(bare)


def test_ephemeral_keeps_nothing(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("gone soon"),)))
    result = run_exec(["--ephemeral", "hi"], codex_home, workspace)
    assert result.returncode == 0 and result.stdout == "gone soon\n", result.stderr
    again = run_exec(["resume", "--last", "still there?"], codex_home, workspace)
    assert again.returncode == 2 and "no stored conversation" in again.stderr
    refused = run_exec(["--ephemeral", "resume", "--last", "x"], codex_home, workspace)
    assert refused.returncode == 2 and "--ephemeral cannot resume" in refused.stderr


# --- -i, --model, --full-auto, flags after the prompt ----------------------------------------


def test_images_are_attached_to_the_prompt(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    (workspace / "shot.png").write_bytes(PNG)
    model_server.enqueue(Reply((Text("a dot"),)))
    result = run_exec(["what is this?", "-i", "shot.png"], codex_home, workspace)
    assert result.returncode == 0, result.stderr
    sent = model_server.requests[0].text
    assert "data:image/png;base64," in sent and "what is this?" in sent


@pytest.mark.parametrize(
    ("name", "problem"),
    [("missing.png", "no such file"), ("notes.txt", "is not an image file"), ("describe it", "")],
)
def test_a_bad_image_is_a_usage_error(
    name: str, problem: str, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    (workspace / "notes.txt").write_text("text")
    result = run_exec(["-i", name], codex_home, workspace)
    assert result.returncode == 2 and f"-i {name}:" in result.stderr and problem in result.stderr
    if " " in name:  # a prompt swallowed by -i, as in Codex: say how to write it
        assert "needs -- before it" in result.stderr
    assert model_server.requests == []
    _no_traceback(result)


def test_model_and_full_auto(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("ok"),)))
    result = run_exec(["--json", "-m", "other-model", "--full-auto", "hi"], codex_home, workspace)
    assert result.returncode == 0, result.stderr
    assert model_server.requests[0].body["model"] == "other-model"
    configured = json.loads(result.stdout.splitlines()[0])["msg"]
    assert configured["model"] == "other-model"
    assert configured["sandboxPolicy"]["type"] == "workspace-write"


def test_flags_after_the_prompt_are_taken_and_a_second_prompt_is_refused(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("ok"),)))
    result = run_exec(["hi", "--json"], codex_home, workspace)
    assert result.returncode == 0 and json.loads(result.stdout.splitlines()[0]), result.stderr
    twice = run_exec(["hi", "there"], codex_home, workspace)
    assert twice.returncode == 2 and "unexpected argument 'there'" in twice.stderr


@pytest.mark.parametrize("args", [["-s", "bogus", "hi"], ["--json-format", "xml", "--json", "hi"]])
def test_bad_choices_are_usage_errors(args: list[str], codex_home: Path, workspace: Path) -> None:
    result = run_exec(args, codex_home, workspace)
    assert result.returncode == 2 and "invalid choice" in result.stderr


# --- --add-dir -------------------------------------------------------------------------------


@pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support")
def test_add_dir_makes_another_folder_writable_in_the_sandbox(
    codex_home: Path, workspace: Path, model_server: FakeModelServer, tmp_path: Path
) -> None:
    no_tmp = "[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n"
    write_config(codex_home, model_server.base_url, extra=no_tmp)  # tmp_path is under /tmp
    extra = tmp_path / "extra"
    extra.mkdir()
    target = extra / "written.txt"
    touch = ToolCall("shell", {"command": ["bash", "-c", f"echo hi > {target}"]})
    model_server.enqueue(Reply((touch,)), Reply((Text("done"),)))
    without = run_exec(["-s", "workspace-write", "write it"], codex_home, workspace)
    assert without.returncode == 0, without.stderr
    assert not target.exists()
    model_server.enqueue(Reply((touch,)), Reply((Text("done"),)))
    with_dir = run_exec(
        ["-s", "workspace-write", "--add-dir", str(extra), "write it"], codex_home, workspace
    )
    assert with_dir.returncode == 0, with_dir.stderr
    assert target.read_text() == "hi\n"


def test_add_dir_of_a_missing_folder_is_a_usage_error(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    result = run_exec(["--add-dir", "nope", "hi"], codex_home, workspace)
    assert result.returncode == 2 and "--add-dir nope: no such folder" in result.stderr
    assert model_server.requests == []


# --- --json-format codex beyond what the differential test covers ---------------------------


def test_codex_format_plan_and_reasoning_items(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    def plan(*statuses: str) -> ToolCall:
        steps = [{"step": f"step {n}", "status": s} for n, s in enumerate(statuses)]
        return ToolCall("update_plan", {"plan": steps})

    model_server.enqueue(
        Reply((Reasoning(summary=("**Planning**",)), plan("in_progress", "pending"))),
        Reply((plan("completed", "in_progress"),)),
        Reply((Text("done"),)),
    )
    result = run_exec(["--json-format", "codex", "plan it"], codex_home, workspace)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["type"] for line in lines] == [
        "thread.started",
        "turn.started",
        "item.completed",
        "item.started",
        "item.updated",
        "item.completed",
        "item.completed",
        "turn.completed",
    ]
    assert lines[2]["item"] == {"id": "item_0", "type": "reasoning", "text": "**Planning**"}
    todo = [line["item"] for line in lines if line.get("item", {}).get("type") == "todo_list"]
    assert [t["id"] for t in todo] == ["item_1"] * 3
    assert todo[0]["items"] == [
        {"text": "step 0", "completed": False},
        {"text": "step 1", "completed": False},
    ]
    assert [i["completed"] for i in todo[-1]["items"]] == [True, False]
    assert lines[-3]["item"] == {"id": "item_2", "type": "agent_message", "text": "done"}
    assert lines[-2]["item"]["type"] == "todo_list"  # completed when the turn ends, as in Codex
    assert lines[-1]["usage"]["input_tokens"] == 300
