"""Differential tests against the real Codex CLI (``CODEX_BIN``, 0.169): the same scripted turn
through ``codex exec --json`` and ``codex-lsp exec --json --json-format codex`` gives the same
event stream shape (line types, keys, item types and states, in order), and ``--output-schema``
reaches the provider in the same form."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.testing import Answer, ErrorReply, FakeModelServer, Reply, Text, ToolCall
from tests.helpers import subprocess_env, write_config

CODEX_BIN = os.environ.get("CODEX_BIN") or shutil.which("codex")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CODEX_BIN is None, reason="the Codex CLI is not installed (set CODEX_BIN to its binary)"
    ),
]
OURS = [sys.executable, "-m", "codex_lsp", "exec", "--json", "--json-format", "codex"]
NO_METADATA = "Model metadata for `fake-model` not found"
PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n"

Script = Callable[[str], list[Reply | ErrorReply]]
"""The replies of one scenario for one binary (``"codex"`` or ``"ours"``): each calls its own
tools (Codex's ``exec_command``, ours ``shell`` and ``apply_patch``)."""


def _message(_: str) -> list[Reply | ErrorReply]:
    return [Reply((Text("All good."),))]


def _command(who: str) -> list[Reply | ErrorReply]:
    call = (
        ToolCall("exec_command", {"cmd": "echo probe; exit 3"})
        if who == "codex"
        else ToolCall("shell", {"command": ["bash", "-c", "echo probe; exit 3"]})
    )
    return [Reply((call,)), Reply((Text("it exited 3"),))]


def _file_change(who: str) -> list[Reply | ErrorReply]:
    call = (
        ToolCall("exec_command", {"cmd": f"apply_patch <<'EOF'\n{PATCH}EOF"})
        if who == "codex"
        else ToolCall("apply_patch", freeform_input=PATCH)
    )
    return [Reply((call,)), Reply((Text("added hello.txt"),))]


def _failed(_: str) -> list[Reply | ErrorReply]:
    return [ErrorReply(400, "the model refused the request")]


def _codex(server: FakeModelServer, root: Path, workspace: Path, args: list[str]) -> list[str]:
    home = root / ".codex"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(
        'model = "fake-model"\nmodel_provider = "fake"\napproval_policy = "never"\n'
        'sandbox_mode = "danger-full-access"\n[model_providers.fake]\nname = "fake"\n'
        f'base_url = "{server.base_url}"\nwire_api = "responses"\nenv_key = "FAKE_KEY"\n'
        "request_max_retries = 0\nstream_max_retries = 0\n"
    )
    assert CODEX_BIN is not None
    ran = subprocess.run(
        [CODEX_BIN, "exec", "--json", *args],
        cwd=workspace,
        env={**os.environ, "CODEX_HOME": str(home), "FAKE_KEY": "x"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return ran.stdout.splitlines()


def _ours(server: FakeModelServer, home: Path, workspace: Path, args: list[str]) -> list[str]:
    write_config(home, server.base_url)
    ran = subprocess.run(
        [*OURS, "-s", "danger-full-access", *args],
        cwd=workspace,
        env=subprocess_env(home),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return ran.stdout.splitlines()


def _shape(lines: list[str]) -> list[tuple[Any, ...]]:
    """What a script relies on: each line's type and keys, and its item's type, keys and state
    (ids checked separately). Codex's warning that the fake model has no metadata is its own."""
    shape: list[tuple[Any, ...]] = []
    for line in lines:
        event = json.loads(line)
        item = event.get("item") or {}
        if item.get("type") == "error" and NO_METADATA in item.get("message", ""):
            continue
        shape.append(
            (
                event["type"],
                tuple(sorted(event)),
                item.get("type"),
                tuple(sorted(item)),
                item.get("status"),
                item.get("exit_code"),
                tuple(c["kind"] for c in item.get("changes", ())),
            )
        )
    return shape


def _item_ids(lines: list[str]) -> list[str]:
    return [json.loads(line)["item"]["id"] for line in lines if '"item"' in line]


def _numbers(ids: list[str]) -> list[int]:
    """The ``N`` of each ``item_N``, each once, in order of appearance."""
    seen: list[int] = []
    for item_id in ids:
        prefix, _, number = item_id.partition("_")
        assert prefix == "item" and number.isdigit(), item_id
        if int(number) not in seen:
            seen.append(int(number))
    return seen


@pytest.fixture
def git_workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


@pytest.mark.parametrize(
    "script",
    [_message, _command, _file_change, _failed],
    ids=["agent-message", "command-execution", "file-change", "failed-turn"],
)
def test_the_codex_event_stream_has_codexs_shape(
    script: Script, clean_env: Path, tmp_path: Path, git_workspace: Path
) -> None:
    with FakeModelServer() as server:
        server.enqueue(*script("codex"))
        theirs = _codex(server, tmp_path, git_workspace, ["do it"])
    (git_workspace / "hello.txt").unlink(missing_ok=True)
    with FakeModelServer() as server:
        server.enqueue(*script("ours"))
        ours = _ours(server, clean_env, git_workspace, ["do it"])
    assert theirs and json.loads(theirs[0])["type"] == "thread.started", theirs
    assert _shape(ours) == _shape(theirs), "\n".join(["ours:", *ours, "codex:", *theirs])
    ours_ids, their_ids = _item_ids(ours), _item_ids(theirs)
    assert _numbers(ours_ids) == list(range(len(_numbers(ours_ids))))
    # Codex numbers its items in order of appearance (its item_0 is the metadata warning)
    assert _numbers(ours_ids) == [n - 1 for n in _numbers(their_ids) if n > 0]


def test_output_schema_reaches_the_provider_as_codex_sends_it(
    clean_env: Path, tmp_path: Path, git_workspace: Path
) -> None:
    schema = {
        "type": "object",
        "properties": {"verdict": {"type": "string", "enum": ["pass", "fail"]}},
        "required": ["verdict"],
        "additionalProperties": False,
    }
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema))
    formats = []
    for run in (_codex, _ours):
        with FakeModelServer() as server:
            server.enqueue(Reply((Answer({"verdict": "pass"}),)))
            home = tmp_path if run is _codex else clean_env
            lines = run(server, home, git_workspace, ["--output-schema", str(path), "did it?"])
            (request,) = server.requests
        text_format = request.body["text"]["format"]
        formats.append({k: text_format[k] for k in ("type", "strict", "schema")})
        messages = [json.loads(x)["item"] for x in lines if '"agent_message"' in x]
        assert [json.loads(m["text"]) for m in messages] == [{"verdict": "pass"}]
    assert formats[0] == formats[1]
