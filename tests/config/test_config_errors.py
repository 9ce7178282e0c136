"""A broken config.toml, from any side, gets one kind of answer: the file, where in it, what to do
(``exec`` exits 2), never a traceback; a reload is refused when a start would be; messages point
at the line that sets the key."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.config.layers import leaves
from codex_lsp.config.loader import load_layered
from codex_lsp.config.toml_lines import key_lines
from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.errors import CodexError, ConfigError
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer
from tests.helpers import KEY_ENV, EventLog, subprocess_env, write_config

LATIN1 = 'model = "fake-model"\n# caf\xe9 au lait\nmodel_provider = "fake"\n'.encode("latin-1")
OFFSET = LATIN1.index(b"\xe9")


def _run(args: list[str], home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_lsp", *args],
        cwd=cwd,
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


# ---------------------------------------------------------------------- invalid UTF-8


@pytest.mark.parametrize("where", ["user", "workspace"])
def test_invalid_utf8_is_a_config_error_with_the_file_offset_and_line(
    where: str, clean_env: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    write_config(clean_env, model_server.base_url)
    path = (
        clean_env / "config.toml" if where == "user" else workspace / ".codex-lsp" / "config.toml"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(LATIN1)
    with pytest.raises(ConfigError) as info:
        load_layered(home=clean_env, workspace=workspace)
    message = info.value.message
    assert str(path) in message and f"offset {OFFSET}" in message and "line 2" in message
    assert "0xe9" in message and "UTF-8" in message


@pytest.mark.slow
@pytest.mark.parametrize("command", [["exec", "hi"], ["config", "show"]])
def test_exec_and_config_show_exit_2_on_invalid_utf8_without_a_traceback(
    command: list[str], clean_env: Path, workspace: Path
) -> None:
    clean_env.mkdir(parents=True, exist_ok=True)
    (clean_env / "config.toml").write_bytes(LATIN1)
    result = _run(command, clean_env, workspace)
    assert result.returncode == 2, result.stderr
    assert "not valid UTF-8" in result.stderr and f"offset {OFFSET}" in result.stderr
    assert "Traceback" not in result.stderr and "UnicodeDecodeError" not in result.stderr


# ---------------------------------------------------------------------- exec's own defaults


@pytest.mark.slow
@pytest.mark.parametrize(
    ("line", "flags"),
    [
        ('approval_policy = "sometimes"', []),
        ('approval_policy = "sometimes"', ["--full-auto"]),
        ('sandbox_mode = "sandboxed-ish"', ["--full-auto"]),
    ],
)
def test_exec_reports_an_invalid_policy_in_the_file_instead_of_overriding_it(
    line: str,
    flags: list[str],
    clean_env: Path,
    workspace: Path,
    model_server: FakeModelServer,
) -> None:
    path = write_config(clean_env, model_server.base_url)
    path.write_text(line + "\n" + path.read_text())
    result = _run(["exec", "--skip-git-repo-check", *flags, "hi"], clean_env, workspace)
    assert result.returncode == 2, result.stderr
    key = line.split(" ", maxsplit=1)[0]
    assert f"{key} = " in result.stderr and f"{path}:1" in result.stderr
    assert model_server.requests == []


# ---------------------------------------------------------------------- hot reload


@pytest.fixture
async def manager(
    codex_home: Path, log: EventLog, workspace: Path
) -> AsyncIterator[ConversationManager]:
    mgr = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=codex_home, default_cwd=workspace)
    )
    yield mgr
    await mgr.shutdown_all()


async def test_a_reload_whose_env_key_is_unset_is_refused_like_a_start(
    manager: ConversationManager, codex_home: Path, log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv = await manager.new_conversation(NewConversationParams())
    monkeypatch.delenv("OTHER_FAKE_KEY", raising=False)
    config = codex_home / "config.toml"
    config.write_text(config.read_text().replace(KEY_ENV, "OTHER_FAKE_KEY"))
    with pytest.raises(CodexError) as start:  # what a new conversation gets
        await manager.new_conversation(NewConversationParams())
    await manager.reload_configs()
    [error] = log.msgs(conv.id, "error")
    assert "not reloaded" in error["message"] and "OTHER_FAKE_KEY" in error["message"]
    assert start.value.message in error["message"]
    assert log.msgs(conv.id, "configReloaded") == []
    assert conv.config.model_providers["fake"].env_key == KEY_ENV


async def test_a_reload_with_a_base_url_no_request_can_reach_is_refused(
    manager: ConversationManager, codex_home: Path, log: EventLog
) -> None:
    conv = await manager.new_conversation(NewConversationParams())
    config = codex_home / "config.toml"
    text = config.read_text()
    config.write_text(
        text.replace('base_url = "http://127.0.0.1:', 'base_url = "http://127.0.0.1:9')
    )
    await manager.reload_configs()
    [error] = log.msgs(conv.id, "error")
    assert "not reloaded" in error["message"] and "is not between 1 and 65535" in error["message"]


async def test_a_reloaded_provider_entry_says_it_applies_to_new_conversations(
    manager: ConversationManager, codex_home: Path, log: EventLog
) -> None:
    conv = await manager.new_conversation(NewConversationParams())
    config = codex_home / "config.toml"
    config.write_text(
        config.read_text().replace("request_max_retries = 3", "request_max_retries = 2")
    )
    await manager.reload_configs()
    [reloaded] = log.msgs(conv.id, "configReloaded")
    assert reloaded["changedKeys"] == ["model_providers.fake.request_max_retries"]
    assert "[model_providers.fake] applies to new conversations only" in reloaded["message"]


# ---------------------------------------------------------------------- line numbers

TRICKY = '''# a comment with model = "x"
model = "m"
base_instructions = """
approval_policy = "not really a key"
[not_a_table]
"""
notify = [
  "notify-send",
  "approval_policy = also not a key",
]
"quoted.key" = 1
dotted . key = 2
inline = { name = "n", base_url = "u" }
literal = \'\'\'
name = "inside a literal"
\'\'\'

[model_providers.a]
name = "a"   # trailing comment
naem = "typo in a"

[model_providers.b]
name = "b"
naem = "typo in b"

[[profiles_list]]
name = "first"

[mcp_servers.s.env]
TOKEN = "t"
'''


def test_key_lines_point_at_the_line_of_every_key() -> None:
    lines = key_lines(TRICKY)
    text_lines = TRICKY.splitlines()
    for dotted in leaves(tomllib.loads(TRICKY)):
        line = lines.get(dotted)
        if line is None:  # inside an inline table or an array of tables: the enclosing key
            line = lines[dotted.rsplit(".", 1)[0]]
        assert dotted.split(".")[-1].split(" ")[0] in text_lines[line - 1] or dotted.startswith(
            "inline."
        ), (dotted, line)
    assert lines["model"] == 2 and lines["base_instructions"] == 3 and lines["notify"] == 7
    assert lines["quoted.key"] == 11 and lines["dotted.key"] == 12 and lines["literal"] == 14
    assert lines["model_providers.a.naem"] == 20 and lines["model_providers.b.naem"] == 24
    assert lines["mcp_servers.s.env.TOKEN"] == 30
    assert "approval_policy" not in lines and "not_a_table" not in lines and "name" not in lines


def test_warnings_and_errors_name_the_line_that_sets_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "config.toml"
    path.write_text(TRICKY)
    warnings = load_layered(home=tmp_path).warnings
    assert f"unknown key `model_providers.a.naem` in {path}:20; it is ignored" in warnings
    assert f"unknown key `model_providers.b.naem` in {path}:24; it is ignored" in warnings
    assert f"unknown key `dotted.key` in {path}:12; it is ignored" in warnings
    path.write_text(TRICKY + "\n[model_providers.b.query_params]\nkey = 7\n")
    with pytest.raises(ConfigError) as info:
        load_layered(home=tmp_path)
    assert f"model_providers.b.query_params.key = [redacted] (from {path}:33)" in info.value.message
