"""A real codex-lsp subprocess driven by pytest-lsp's client under recorded client profiles."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from codex_lsp.testing import FakeModelServer
from tests.helpers import EventLog, apply_text_edits, plain, subprocess_env

PROFILES = ["visual-studio-code", "neovim"]
HOLD = "hold"
FAIL = "fail"  # the client answers the approval request with a JSON-RPC error
APPROVAL_HOLD_S = 30.0


@dataclass
class Session:
    """The client, its event log, and the answers it gives to server requests."""

    client: LanguageClient
    log: EventLog
    workspace: Path
    approvals: list[str] = field(default_factory=list)
    patch_answers: list[dict[str, Any]] = field(default_factory=list)
    asked: list[dict[str, Any]] = field(default_factory=list)
    message_requests: list[types.ShowMessageRequestParams] = field(default_factory=list)
    applied_edits: list[types.ApplyWorkspaceEditParams] = field(default_factory=list)
    edit_answer: types.ApplyWorkspaceEditResult = field(
        default_factory=lambda: types.ApplyWorkspaceEditResult(applied=True)
    )

    buffers: dict[str, tuple[str, int]] = field(default_factory=dict)
    initialized: types.InitializeResult | None = None
    killed: bool = False
    mcp_statuses: list[dict[str, Any]] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    user_input_answers: list[dict[str, Any] | str] = field(default_factory=list)
    """Answers to ``codex/requestUserInput`` (or HOLD / FAIL)."""

    async def kill(self) -> None:
        """SIGKILL the server process (a crash: no shutdown, nothing flushed)."""
        process = self.client._server
        assert process is not None
        process.kill()
        await process.wait()
        self.killed = True

    def open_document(self, path: Path, text: str, version: int = 1) -> None:
        """Tell the server the editor opened ``path`` with ``text`` in its buffer."""
        self.buffers[path.as_uri()] = (text, version)
        item = types.TextDocumentItem(
            uri=path.as_uri(), language_id="python", version=version, text=text
        )
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))

    def apply_to_buffers(self, edit: types.WorkspaceEdit) -> None:
        """Apply ``edit`` to the open buffers and send ``didChange``, as a real editor does
        before it answers ``workspace/applyEdit``."""
        per_uri: dict[str, list[types.TextEdit]] = {
            k: list(v) for k, v in (edit.changes or {}).items()
        }
        for change in edit.document_changes or []:
            if isinstance(change, types.TextDocumentEdit):
                per_uri.setdefault(change.text_document.uri, []).extend(change.edits)  # type: ignore[arg-type]
        for uri, edits in per_uri.items():
            if uri not in self.buffers:
                continue
            text, version = self.buffers[uri]
            text, version = apply_text_edits(text, edits), version + 1
            self.buffers[uri] = (text, version)
            self.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        """Send a codex request and return its result as plain data."""
        return plain(await self.client.protocol.send_request_async(method, params))

    async def new_conversation(self, **params: Any) -> str:
        """Start a conversation; returns its id."""
        result = await self.request("codex/newConversation", params)
        return str(result["conversationId"])

    async def say(self, conversation_id: str, text: str) -> str:
        """Send user input; returns the submission id."""
        result = await self.request(
            "codex/userInput",
            {"conversationId": conversation_id, "items": [{"type": "text", "text": text}]},
        )
        return str(result["submissionId"])


@asynccontextmanager
async def open_session(
    home: Path,
    workspace: Path,
    profile: str,
    custom_approvals: bool | str,
    pulled_settings: dict[str, Any] | None = None,
    user_input_form: bool = False,
) -> AsyncIterator[Session]:
    """Spawn ``python -m codex_lsp``, initialize it as ``profile``, shut it down after.
    ``custom_approvals``: True for ``codex/execApproval`` requests, ``"commands"`` for answers
    by command only, False for ``window/showMessageRequest``."""
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "codex_lsp"], server_env=subprocess_env(home)
    )
    client = await config.start()
    session = Session(client, EventLog(), workspace)

    @client.feature("codex/event")
    def on_event(params: Any) -> None:
        session.log.add(plain(params))

    @client.feature("codex/mcpServerStatus")
    def on_mcp_status(params: Any) -> None:
        session.mcp_statuses.append(plain(params))

    async def hold_or_fail(method: str, answer: str | None) -> None:
        """HOLD: the dialog stays open until the server withdraws it ($/cancelRequest) or the
        user answers another way; FAIL: the client answers with an error."""
        if answer == FAIL:
            raise RuntimeError("the editor could not show the dialog")
        if answer == HOLD:
            try:
                await asyncio.sleep(APPROVAL_HOLD_S)
            except asyncio.CancelledError:
                session.withdrawn.append(method)
                raise

    @client.feature("codex/execApproval")
    async def on_exec_approval(params: Any) -> dict[str, str]:
        session.asked.append(plain(params))
        answer = session.approvals.pop(0) if session.approvals else "denied"
        await hold_or_fail("codex/execApproval", answer)
        return {"decision": answer}

    @client.feature("codex/requestUserInput")
    async def on_request_user_input(params: Any) -> dict[str, Any]:
        session.asked.append(plain(params))
        answer = session.user_input_answers.pop(0) if session.user_input_answers else {}
        if isinstance(answer, str):
            await hold_or_fail("codex/requestUserInput", answer)
            return {}
        return answer

    @client.feature("codex/patchApproval")
    def on_patch_approval(params: Any) -> dict[str, Any]:
        session.asked.append(plain(params))
        return session.patch_answers.pop(0) if session.patch_answers else {"decision": "denied"}

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        session.applied_edits.append(params)
        if session.edit_answer.applied:
            session.apply_to_buffers(params.edit)
        return session.edit_answer

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    async def on_message_request(
        params: types.ShowMessageRequestParams,
    ) -> types.MessageActionItem | None:
        session.message_requests.append(params)
        title = session.approvals.pop(0) if session.approvals else None
        await hold_or_fail(types.WINDOW_SHOW_MESSAGE_REQUEST, title)
        return types.MessageActionItem(title=title) if title else None

    if pulled_settings is not None:
        client.set_configuration(pulled_settings, section="codex-lsp")
    capabilities = client_capabilities(profile)
    codex: dict[str, Any] = {"approvals": custom_approvals} if custom_approvals else {}
    if user_input_form:
        codex["requestUserInput"] = True
    if codex:
        capabilities.experimental = {"codex": codex}
    session.initialized = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
        )
    )
    try:
        yield session
    finally:
        if session.killed:
            await client.stop()
        else:
            await client.shutdown_session()


@pytest.fixture(params=PROFILES)
async def lsp(
    request: pytest.FixtureRequest, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> AsyncIterator[Session]:
    """A session under each client profile, with ``codex/execApproval`` support declared."""
    async with open_session(codex_home, workspace, request.param, custom_approvals=True) as session:
        yield session


@pytest.fixture(params=PROFILES)
async def plain_lsp(
    request: pytest.FixtureRequest, codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> AsyncIterator[Session]:
    """A session whose client declares nothing codex-specific (approvals via showMessageRequest)."""
    async with open_session(codex_home, workspace, request.param, custom_approvals=False) as s:
        yield s
