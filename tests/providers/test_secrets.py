"""Every secret the config names stays out of what the user and the model see: a provider that
echoes the request's headers, a connection error quoting the URL and its query, an MCP server
that repeats its env, a command that prints its environment. Checked in the events, in the
tool outputs sent to the model and in the store's files."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import AskForApproval
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import EchoReply, FakeModelServer, Reply, Text, ToolCall
from tests.helpers import KEY_ENV, EventLog, write_config

FAULT_SERVER = Path(__file__).parents[1] / "mcp" / "servers" / "fault_server.py"
PROVIDER_VAR = "FAKE_PROVIDER_CRED"  # none of these names matches *KEY*, *SECRET*, *TOKEN*
GATEWAY_VAR = "CORP_GATEWAY_CRED"
BEARER_VAR = "REMOTE_MCP_CRED"
SECRETS = {
    "env_key": "provider-cred-value-0",
    "http_headers": "static-header-value-1",
    "env_http_headers": "gateway-header-value-2",
    "query_params": "query+param/value=3",
    "mcp env": "mcp-env-value-4",
    "mcp http_headers": "mcp-header-value-5",
    "bearer_token_env_var": "mcp-bearer-value-6",
}


def secrets_config(home: Path, base_url: str, wire: str = "responses", extra: str = "") -> Path:
    """A config naming a secret of every kind (and the fault MCP server with an env)."""
    path = write_config(
        home,
        base_url,
        wire,
        extra=f"""http_headers = {{ "X-Static-Auth" = "{SECRETS["http_headers"]}" }}
env_http_headers = {{ "X-Gateway-Auth" = "{GATEWAY_VAR}" }}
query_params = {{ "api-key" = "{SECRETS["query_params"]}" }}

[mcp_servers.faults]
command = "{sys.executable}"
args = ["{FAULT_SERVER}"]
env = {{ FAULTS_PASS = "{SECRETS["mcp env"]}" }}

[mcp_servers.remote]
url = "http://127.0.0.1:9/mcp"
bearer_token_env_var = "{BEARER_VAR}"
http_headers = {{ "X-Mcp-Auth" = "{SECRETS["mcp http_headers"]}" }}
enabled = false
{extra}""",
    )
    path.write_text(path.read_text().replace(KEY_ENV, PROVIDER_VAR))
    return path


def secret_environ() -> dict[str, str]:
    """The variables the config names, with their secret values."""
    return {
        PROVIDER_VAR: SECRETS["env_key"],
        GATEWAY_VAR: SECRETS["env_http_headers"],
        BEARER_VAR: SECRETS["bearer_token_env_var"],
    }


def leaks(text: str) -> list[str]:
    """The kinds of secret that ``text`` shows, in any spelling a URL or JSON gives them."""
    spellings = {
        kind: {v, v.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")}
        for kind, v in SECRETS.items()
    }
    return [kind for kind, forms in spellings.items() if any(f in text for f in forms)]


@pytest.fixture
async def manager(
    clean_env: Path,
    model_server: FakeModelServer,
    workspace: Path,
    log: EventLog,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[ConversationManager]:
    for name, value in secret_environ().items():
        monkeypatch.setenv(name, value)
    secrets_config(clean_env, model_server.base_url)
    mgr = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=clean_env, default_cwd=workspace)
    )
    yield mgr
    await mgr.shutdown_all()


async def _turn(manager: ConversationManager, log: EventLog, prompt: str = "hi") -> str:
    conv = await manager.new_conversation(
        NewConversationParams(approval_policy=AskForApproval.NEVER)
    )
    conv.submit(UserInputOp(items=[TextInput(text=prompt)]))
    await log.wait_for("taskComplete", conv.id, timeout=30)
    return conv.id


def _stored(home: Path) -> str:
    """Everything the store wrote (the database and its write-ahead log)."""
    return "".join(p.read_bytes().decode("latin-1") for p in home.glob("state.db*"))


async def test_a_provider_echoing_the_request_headers_shows_no_secret(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, clean_env: Path
) -> None:
    model_server.default_reply = EchoReply(400)
    conv = await _turn(manager, log)
    request = model_server.requests[0]
    sent = json.dumps(request.headers) + request.path
    assert set(leaks(sent)) >= {"env_key", "http_headers", "env_http_headers"}, sent
    [error] = log.msgs(conv, "error")
    assert "HTTP 400" in error["message"] and "[redacted]" in error["message"]
    assert leaks(json.dumps(log.events)) == []
    await manager.shutdown_all()
    assert leaks(_stored(clean_env)) == []


async def test_a_connection_error_quoting_the_url_and_its_query_shows_no_secret(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, clean_env: Path
) -> None:
    model_server.default_reply = EchoReply(as_status_line=True)
    conv = await _turn(manager, log)
    [error] = log.msgs(conv, "error")
    assert (
        "did not answer with HTTP" in error["message"] and "api-key=[redacted]" in error["message"]
    )
    assert leaks(json.dumps(log.events)) == []
    await manager.shutdown_all()
    assert leaks(_stored(clean_env)) == []


async def test_an_mcp_server_repeating_its_env_in_an_error_shows_no_secret(
    manager: ConversationManager, model_server: FakeModelServer, log: EventLog, clean_env: Path
) -> None:
    model_server.enqueue(
        Reply((ToolCall("faults__env_error", {"name": "FAULTS_PASS"}),)), Reply((Text("ok"),))
    )
    manager.start_mcp()
    await manager.mcp.wait_started(20)
    conv = await _turn(manager, log)
    [end] = log.msgs(conv, "mcpToolCallEnd")
    assert "login refused for token [redacted]" in end["error"]
    assert leaks(json.dumps(model_server.requests[-1].body)) == []
    assert leaks(json.dumps(log.events)) == []
    await manager.shutdown_all()
    assert leaks(_stored(clean_env)) == []


async def test_an_mcp_server_refusing_to_start_with_its_env_in_the_error_shows_no_secret(
    clean_env: Path, model_server: FakeModelServer, workspace: Path, log: EventLog
) -> None:
    secrets_config(clean_env, model_server.base_url)
    text = (clean_env / "config.toml").read_text()
    (clean_env / "config.toml").write_text(
        text.replace(
            f'args = ["{FAULT_SERVER}"]',
            f'args = ["{FAULT_SERVER}", "--refuse-init", "FAULTS_PASS"]',
        )
    )
    manager = ConversationManager(
        FrontEnd(log.sink), ConfigSources(home=clean_env, default_cwd=workspace)
    )
    try:
        manager.start_mcp()
        await manager.mcp.wait_started(20)
        [status] = manager.mcp.statuses()
        assert status.state == "failed" and "login refused for [redacted]" in str(status.reason)
        assert "MCPError" not in str(status.reason)
    finally:
        await manager.shutdown_all()


@pytest.mark.parametrize("keep_default_excludes", [True, False])
async def test_a_command_printing_its_environment_gets_no_credential(
    keep_default_excludes: bool,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLAIN_VARIABLE", "plain-value")
    if not keep_default_excludes:
        config = clean_env / "config.toml"
        config.write_text(
            config.read_text() + "\n[shell_environment_policy]\nignore_default_excludes = true\n"
        )
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["env"]}, call_id="env"),)), Reply((Text("ok"),))
    )
    conv = await _turn(manager, log)
    [end] = log.msgs(conv, "execCommandEnd")
    assert end["exitCode"] == 0 and "PLAIN_VARIABLE=plain-value" in end["stdout"]
    for name in (PROVIDER_VAR, GATEWAY_VAR, BEARER_VAR):
        assert name not in end["stdout"]
    assert leaks(end["stdout"]) == []
    assert leaks(json.dumps(model_server.requests[-1].body)) == []
