"""The codex-lsp language server: pygls wiring only.

Every ``codex/*`` request is registered here by name; its handler waits for the
:class:`~codex_lsp.lsp.backend.Backend`, which is imported on a worker thread once ``initialize``
has been answered (the core, pydantic models and httpx stay off the cold-start path). Errors:
``InvalidParams`` (-32602) for bad params; -32004 for an unknown conversation; -32001 for
configuration and provider set-up problems; the message always says what to do.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer

from codex_lsp import __version__
from codex_lsp.background import create_task
from codex_lsp.lifecycle import (
    EXIT_DEADLINE_S,
    SHUTDOWN_BUDGET_S,
    exit_anyway_after,
    stop_leftovers,
)
from codex_lsp.lsp import code_actions, speckit_actions
from codex_lsp.lsp.wire import CodexProtocol
from codex_lsp.protocol.method_names import CLIENT_REQUESTS, COMMANDS

if TYPE_CHECKING:
    from codex_lsp.lsp.backend import Backend

BACKEND_MODULE = "codex_lsp.lsp.backend"
PULL_TIMEOUT_S = 5.0
WARM_UP_DELAY_S = 1.0
"""How long after ``initialized``'s work the shell parser is built (:func:`_warm_up`)."""


def _load_backend() -> ModuleType:
    """Import the backend (what ``initialized``'s work and every codex request wait for). What
    it makes lives as long as the server: the collector is off while it is made, then it is
    frozen (never scanned again); collecting it took 20-100 ms, a pause of every stream."""
    gc.disable()
    try:
        return importlib.import_module(BACKEND_MODULE)
    finally:
        gc.freeze()
        gc.enable()


def _warm_up() -> None:
    """Build the shell parser's tables (~150 ms), so the first command's safety check does not
    stall the event loop. Blocking: run on a worker thread, :data:`WARM_UP_DELAY_S` after
    ``initialized``'s work and not with it: on two cores the GIL makes any Python work done
    meanwhile a delay of that work, and building it with the backend was 150 ms of a resumed
    ``/speckit.auto``'s ~1 s to its first model request. A safety check sooner builds it then.
    (Not frozen like the backend: by then the heap also holds the conversations' objects.)"""
    importlib.import_module("codex_lsp.exec.shell_parse").parser()


def client_declares_approvals(capabilities: types.ClientCapabilities | None) -> str | None:
    """How the client answers approvals: ``"requests"`` when it handles ``codex/execApproval``
    itself (``capabilities.experimental.codex.approvals: true``), ``"commands"`` when it shows
    the approval events and answers with ``codex-lsp.approve`` / ``codex-lsp.deny``
    (``approvals: "commands"``, for asynchronous UIs such as ``vim.ui.select``), else None
    (``window/showMessageRequest``)."""
    experimental: Any = getattr(capabilities, "experimental", None)
    if not isinstance(experimental, dict):
        return None
    codex = experimental.get("codex")
    mode = codex.get("approvals") if isinstance(codex, dict) else None
    if mode == "commands":
        return "commands"
    return "requests" if mode is True else None


def root_path(params: types.InitializeParams) -> Path | None:
    """The first workspace folder (or rootUri / rootPath) as a local path."""
    uri = params.workspace_folders[0].uri if params.workspace_folders else params.root_uri
    if uri:
        parsed = urlparse(uri)
        if parsed.scheme == "file":
            return Path(unquote(parsed.path))
    return Path(params.root_path) if params.root_path else None


def editor_settings(raw: Any) -> dict[str, Any]:
    """codex-lsp's settings out of what an editor sends: the ``codex-lsp`` (or ``codexLsp``)
    section when present, else the whole object (config keys, dotted or nested)."""
    if hasattr(raw, "_asdict"):
        raw = raw._asdict()
    if not isinstance(raw, dict):
        return {}
    section = raw.get("codex-lsp", raw.get("codexLsp", raw))
    return dict(section) if isinstance(section, dict) else {}


class CodexLanguageServer(LanguageServer):
    """pygls server whose codex handlers are served by a lazily loaded backend."""

    def __init__(self, cli_overrides: dict[str, Any] | None = None) -> None:
        super().__init__("codex-lsp", __version__, protocol_cls=CodexProtocol)
        self.cli_overrides = cli_overrides
        self.custom_approvals: str | None = None
        self.root: Path | None = None
        self.editor_settings: dict[str, Any] = {}
        self._module: asyncio.Future[ModuleType] | None = None
        self._backend: Backend | None = None
        self._stopping: asyncio.Future[None] | None = None
        self._warming: asyncio.Task[None] | None = None

    def preload(self) -> None:
        """Start importing the backend on a worker thread (idempotent)."""
        if self._module is None:
            self._module = create_task(asyncio.to_thread(_load_backend), name="lsp-load-backend")

    def warm_up_later(self) -> None:
        """Run :func:`_warm_up` on a worker thread after :data:`WARM_UP_DELAY_S` (idempotent;
        cancelled at shutdown)."""
        if self._warming is None:
            self._warming = create_task(self._warm_up(), name="lsp-warm-up")

    async def _warm_up(self) -> None:
        await asyncio.sleep(WARM_UP_DELAY_S)
        await asyncio.to_thread(_warm_up)

    async def backend(self) -> Backend:
        """The backend, created on first use (refused once the server is shutting down)."""
        self.preload()
        assert self._module is not None
        module = await self._module
        if self._stopping is not None:
            raise JsonRpcInvalidRequest("the server is shutting down; start a new one")
        if self._backend is None:
            self._backend = module.Backend(
                self, self.cli_overrides, self.custom_approvals, self.root, self.editor_settings
            )
        return self._backend

    async def pull_settings(self) -> None:
        """Ask a client that supports ``workspace/configuration`` for the ``codex-lsp`` section."""
        workspace = getattr(self.client_capabilities, "workspace", None)
        if not getattr(workspace, "configuration", False):
            return
        params = types.ConfigurationParams(items=[types.ConfigurationItem(section="codex-lsp")])
        try:
            result = await asyncio.wait_for(
                self.workspace_configuration_async(params), PULL_TIMEOUT_S
            )
        except Exception:  # a client that cannot answer keeps its initializationOptions
            return
        pulled = editor_settings(result[0] if result else None)
        if pulled:
            self.editor_settings = {**self.editor_settings, **pulled}
            if self.backend_loaded:
                (await self.backend()).manager.update_editor_settings(self.editor_settings)

    @property
    def backend_loaded(self) -> bool:
        """True once a codex request created the backend."""
        return self._backend is not None

    async def stop_backend(self) -> None:
        """Shut conversations, MCP servers and the store down, if a backend was ever created:
        once (``shutdown`` and the end of input may both ask), within SHUTDOWN_BUDGET_S."""
        if self._stopping is None:
            self._stopping = create_task(self._stop(), name="lsp-stop-backend")
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        if self._warming is not None:
            self._warming.cancel()
        if self._backend is not None:
            await self._backend.shutdown(SHUTDOWN_BUDGET_S)


def _handler(method_name: str) -> Any:
    async def handle(ls: CodexLanguageServer, raw: Any) -> dict[str, Any]:
        backend = await ls.backend()
        return await backend.handle(method_name, raw)

    handle.__name__ = f"handle_{method_name.rsplit('/', maxsplit=1)[-1]}"
    return handle


def _command(command_name: str) -> Any:
    async def run(ls: CodexLanguageServer, *args: Any) -> Any:
        backend = await ls.backend()
        return await backend.run_command(command_name, list(args))

    run.__name__ = f"command_{command_name.rsplit('.', 1)[-1]}"
    return run


ADVERTISED_COMMANDS = (*COMMANDS, *speckit_actions.SPECKIT_COMMANDS, speckit_actions.ANSWER_COMMAND)
"""Every ``workspace/executeCommand`` name the server announces and handles."""


def create_server(cli_overrides: dict[str, Any] | None = None) -> CodexLanguageServer:
    """A server with every codex method, command and lifecycle hook registered."""
    server = CodexLanguageServer(cli_overrides)
    for name in CLIENT_REQUESTS:
        server.feature(name)(_handler(name))
    for name in ADVERTISED_COMMANDS:
        server.command(name)(_command(name))

    @server.feature(types.INITIALIZE)
    def on_initialize(ls: CodexLanguageServer, params: types.InitializeParams) -> None:
        ls.custom_approvals = client_declares_approvals(params.capabilities)
        ls.root = root_path(params)
        ls.editor_settings = editor_settings(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls: CodexLanguageServer, params: types.InitializedParams) -> None:
        ls.preload()
        await ls.pull_settings()
        backend = await ls.backend()
        backend.start_mcp()
        try:
            await backend.speckit.on_open()
        finally:
            ls.warm_up_later()

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=code_actions.KINDS, resolve_provider=True),
    )
    async def on_code_action(
        ls: CodexLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        lazy = code_actions.resolves_commands(ls.client_capabilities)
        actions = code_actions.code_actions(params, lazy=lazy)
        if speckit_actions.may_offer(params.text_document.uri):
            # the answers to a quality-gate question on these lines come first
            actions[:0] = await (await ls.backend()).speckit.code_actions(params, lazy)
        return actions

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier="speckit", inter_file_dependencies=False, workspace_diagnostics=False
        ),
    )
    async def on_diagnostic(
        ls: CodexLanguageServer, params: types.DocumentDiagnosticParams
    ) -> types.FullDocumentDiagnosticReport:
        if not speckit_actions.may_offer(params.text_document.uri):
            return types.FullDocumentDiagnosticReport(items=[])
        return await (await ls.backend()).speckit.gates.pull(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def on_code_lens(
        ls: CodexLanguageServer, params: types.CodeLensParams
    ) -> list[types.CodeLens]:
        if not speckit_actions.may_offer(params.text_document.uri):
            return []
        return await (await ls.backend()).speckit.code_lenses(params.text_document.uri)

    @server.feature(types.CODE_ACTION_RESOLVE)
    def on_code_action_resolve(
        ls: CodexLanguageServer, action: types.CodeAction
    ) -> types.CodeAction:
        return code_actions.resolve(action)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_configuration(
        ls: CodexLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        settings = editor_settings(params.settings)
        ls.editor_settings = settings
        if ls.backend_loaded:
            (await ls.backend()).manager.update_editor_settings(settings)

    @server.feature(types.SHUTDOWN)
    async def on_shutdown(ls: CodexLanguageServer, *args: Any) -> None:
        await ls.stop_backend()

    return server


def run_stdio(cli_overrides: dict[str, Any] | None = None) -> int:
    """Serve on stdio until the client leaves, then shut down (bounded) and exit."""
    from codex_lsp.lsp.stdio import serve

    server = create_server(cli_overrides)

    async def main() -> int:
        protocol = server.protocol
        assert isinstance(protocol, CodexProtocol)
        code = 1
        try:
            code = await serve(protocol)
        finally:  # even when serving failed: the store's thread would keep the process alive
            exit_anyway_after(EXIT_DEADLINE_S, code, "the shutdown")
            await server.stop_backend()
            stop_leftovers()
        return code

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:  # before the signal handlers were installed
        return 130
