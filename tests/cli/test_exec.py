"""``codex-lsp exec`` as a real subprocess against the fake model server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codex_lsp.protocol.limits import INPUT_ITEMS_MAX, INPUT_TEXT_MAX_CHARS
from codex_lsp.testing import ErrorReply, FakeModelServer, Reply, Text, ToolCall
from tests.helpers import KEY_ENV, SECRET_KEY, subprocess_env

pytestmark = pytest.mark.slow


def run_exec(
    args: list[str],
    home: Path,
    cwd: Path,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``codex-lsp exec ARGS`` in ``cwd`` (the test's workspace, which is no Git repository:
    the check is skipped, as a CI job outside a checkout would)."""
    return run_python(
        ["-m", "codex_lsp", "exec", "--skip-git-repo-check", *args], home, cwd, stdin, env
    )


def run_python(
    args: list[str],
    home: Path,
    cwd: Path,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=subprocess_env(home, env),
        input=stdin,
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_success_prints_the_answer_on_stdout_and_events_on_stderr(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["echo", "probe"]}),)),
        Reply((Text("The answer is 42."),)),
    )
    result = run_exec(["what is the answer?"], codex_home, workspace)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The answer is 42.\n"
    assert (
        "exec: echo probe" in result.stderr
        and "exited 0" in result.stderr
        and "tokens used: 240" in result.stderr
    )
    assert SECRET_KEY not in result.stderr + result.stdout


def test_json_mode_prints_one_event_per_line(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("hello"),)))
    result = run_exec(["--json", "hi"], codex_home, workspace)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    types = [e["msg"]["type"] for e in events]
    assert (
        types[0] == "sessionConfigured"
        and "taskComplete" in types
        and types[-1] == "shutdownComplete"
    )
    assert all({"conversationId", "submissionId", "msg"} <= e.keys() for e in events)
    assert (
        next(e["msg"] for e in events if e["msg"]["type"] == "taskComplete")["lastAgentMessage"]
        == "hello"
    )


@pytest.mark.parametrize("args", [["-"], []])
def test_prompt_from_stdin(
    args: list[str], codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("from stdin"),)))
    result = run_exec(args, codex_home, workspace, stdin="summarise the repo\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "from stdin\n"
    assert "summarise the repo" in json.dumps(model_server.requests[0].body["input"])


def test_output_last_message_file(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("saved"),)))
    out = workspace / "last.txt"
    result = run_exec(["-o", str(out), "hi"], codex_home, workspace)
    assert result.returncode == 0 and out.read_text() == "saved"


def test_empty_prompt_is_a_usage_error(codex_home: Path, workspace: Path) -> None:
    result = run_exec(["   "], codex_home, workspace)
    assert result.returncode == 2 and "no prompt given" in result.stderr


@pytest.mark.parametrize(
    ("prompt", "stdin", "encoding", "said"),
    [
        (["-"], b"x" * (INPUT_TEXT_MAX_CHARS + 1), None, "longer than 1048576 characters"),
        (["-"], b"fix \xff\xfe this", None, "not UTF-8 text"),
        (["-"], b"fix \xff\xfe this", "utf-8:strict", "not UTF-8 text"),
        ([b"fix \xff this"], None, None, "not UTF-8 text"),
    ],
    ids=["too long", "not utf-8 on stdin", "not utf-8 on a strict stdin", "not utf-8 in argv"],
)
def test_a_prompt_the_protocol_refuses_is_a_usage_error_that_says_why(
    prompt: list[str | bytes],
    stdin: bytes | None,
    encoding: str | None,
    said: str,
    codex_home: Path,
    workspace: Path,
    model_server: FakeModelServer,
) -> None:
    env = subprocess_env(codex_home, {"PYTHONIOENCODING": encoding} if encoding else None)
    result = subprocess.run(
        [sys.executable, "-m", "codex_lsp", "exec", "--skip-git-repo-check", *prompt],
        cwd=workspace,
        env=env,
        input=stdin,
        capture_output=True,
        check=False,
        timeout=30,
    )
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert err.startswith("codex-lsp exec: ") and said in err and "Traceback" not in err
    assert model_server.requests == []


def test_more_images_than_a_message_holds_is_a_usage_error(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    from tests.cli.test_exec_flags import PNG

    (workspace / "shot.png").write_bytes(PNG)
    images = ["-i", "shot.png"] * INPUT_ITEMS_MAX
    result = run_exec([*images, "--", "what are these?"], codex_home, workspace)
    assert result.returncode == 2, result.stderr
    assert f"more than {INPUT_ITEMS_MAX} inputs" in result.stderr
    assert "Traceback" not in result.stderr and model_server.requests == []


def test_provider_error_exits_1_with_a_clear_message(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(ErrorReply(401, f"key {SECRET_KEY} is invalid"))
    result = run_exec(["hi"], codex_home, workspace)
    assert result.returncode == 1
    assert "HTTP 401" in result.stderr and KEY_ENV in result.stderr
    assert SECRET_KEY not in result.stderr


def test_no_provider_exits_2_with_setup_steps(clean_env: Path, workspace: Path) -> None:
    result = run_exec(
        ["hi"], clean_env, workspace, env={"OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": ""}
    )
    assert result.returncode == 2
    assert (
        "OPENAI_API_KEY" in result.stderr
        and "ollama serve" in result.stderr
        and "[model_providers.local]" in result.stderr
    )


def test_bad_config_override_exits_2(codex_home: Path, workspace: Path) -> None:
    result = run_exec(["-c", "approval_policy=sometimes", "hi"], codex_home, workspace)
    assert result.returncode == 2 and "approval_policy" in result.stderr


def _after_a_plain_turn(codex_home: Path, workspace: Path, probe: str) -> str:
    """Run one ``exec`` turn in a fresh interpreter, then ``probe`` (Python that prints to
    stderr); returns the last line it printed."""
    return _after_a_turn(codex_home, workspace, probe).stderr.strip().splitlines()[-1]


def _after_a_turn(
    codex_home: Path, workspace: Path, probe: str
) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys; from codex_lsp.cli.main import main; "
        f"rc = main(['exec', '--skip-git-repo-check', 'hi']); {probe}; sys.exit(rc)"
    )
    result = run_python(["-c", code], codex_home, workspace)
    assert result.returncode == 0, result.stderr
    return result


def test_a_plain_turn_imports_no_module_it_does_not_use(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("ok"),)))
    unused = ["codex_lsp.speckit", "jsonschema", "pygls", "html2text"]
    unused += ["codex_lsp.providers.chat", "codex_lsp.providers.anthropic"]  # a Responses turn
    unused += ["anyio._backends"]  # httpcore's pool locks on asyncio (providers/httpcore_sync)
    unused += ["importlib.metadata"]  # pydantic's plugin scan (cli/no_pydantic_plugins)
    unused += ["importlib.readers"]  # package data is read as files (migrations, prompts)
    unused += ["codex_lsp.store.rollout"]  # Codex rollout files: import-codex and export only
    # the tools' handlers load at their first call; their specs are static data
    handlers = ["shell", "command_call", "apply_patch", "unified_exec", "plan", "user_input"]
    handlers += ["view_image", "read_only", "web", "lifecycle", "mcp_item", "elicitation"]
    handlers += ["mcp_calls", "terminal"]
    unused += [f"codex_lsp.tools.{name}" for name in handlers]
    unused += ["codex_lsp.exec.safety", "codex_lsp.exec.terminal", "codex_lsp.tools.file_search"]
    unused += ["codex_lsp.exec.spawn", "codex_lsp.exec.forkserver"]  # no command runs
    unused += ["codex_lsp.mcp.connection", "codex_lsp.mcp.transport"]  # no MCP server
    unused += ["codex_lsp.core.review_answer"]
    unused += ["codex_lsp.protocol.requests"]  # the LSP methods' models; the core's are apart
    probe = f"print([m for m in {unused!r} if m in sys.modules], file=sys.stderr)"
    loaded = _after_a_plain_turn(codex_home, workspace, probe)
    assert loaded == "[]"  # each one costs a turn's start 10-40 ms


def test_no_installed_pydantic_plugin_runs_in_a_turn(
    codex_home: Path, workspace: Path, model_server: FakeModelServer, tmp_path: Path
) -> None:
    """A distribution that registers a pydantic plugin is not imported into the agent, so it
    never sees what the agent validates."""
    site = tmp_path / "site"
    (site / "planted-1.0.dist-info").mkdir(parents=True)
    (site / "planted-1.0.dist-info" / "METADATA").write_text("Name: planted\nVersion: 1.0\n")
    (site / "planted-1.0.dist-info" / "entry_points.txt").write_text(
        "[pydantic]\nplanted = planted_plugin:plugin\n"
    )
    marker = tmp_path / "loaded"
    (site / "planted_plugin.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, *args, **kwargs):\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n"
    )
    model_server.enqueue(Reply((Text("ok"),)))
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    result = run_exec(["hi"], codex_home, workspace, env={"PYTHONPATH": path})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"
    assert not marker.exists()


def test_a_tool_call_loads_its_handler_and_runs_as_before(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["echo", "lazy-probe"]}),)),
        Reply((Text("done"),)),
    )
    tools = ["shell", "web", "read_only", "view_image", "mcp_calls", "plan"]
    loaded = f"[m for m in {tools!r} if 'codex_lsp.tools.' + m in sys.modules]"
    probe = f"print({loaded}, file=sys.stderr)"
    result = _after_a_turn(codex_home, workspace, probe)
    assert result.stdout == "done\n"
    assert "exec: echo lazy-probe" in result.stderr and "exited 0" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "['shell']"
    output = model_server.requests[1].body["input"][-1]
    assert output["type"] == "function_call_output" and "lazy-probe" in output["output"]


def test_a_plain_turn_builds_no_validator_for_the_tools_it_does_not_call(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.enqueue(Reply((Text("ok"),)))
    tools = "shell, unified_exec, apply_patch, plan, user_input, read_only, view_image, web"
    probe = (  # the tools' modules load at their first call: these load them after the turn
        f"from codex_lsp.tools import {tools}; from codex_lsp.tools.registry import ToolArgs; "
        "built = [m.__name__ for m in ToolArgs.__subclasses__() if m.__pydantic_complete__]; "
        "print(len(ToolArgs.__subclasses__()), built, file=sys.stderr)"
    )
    count, built = _after_a_plain_turn(codex_home, workspace, probe).split(" ", 1)
    assert int(count) >= 10  # shell, exec_command, apply_patch, update_plan, read_file, …
    assert built == "[]"  # each one built is ~0.5 ms of every turn's start


def test_a_slash_command_still_reaches_spec_kit(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    result = run_exec(["/speckit.nosuch"], codex_home, workspace)
    assert "Unknown spec-kit command /speckit.nosuch" in result.stdout + result.stderr
    assert model_server.requests == []  # answered without the model
