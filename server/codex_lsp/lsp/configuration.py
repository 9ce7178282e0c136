"""The configuration feature: what a new conversation's configuration would be, the models a
provider offers and the set-up checks (``codex/listModels``, ``codex/doctor``), the MCP servers
and their state (``codex/mcpServerStatus``, the editor's log), and the server-wide settings
applied once the client is initialized (``log_level``, starting the MCP servers)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from codex_lsp.config.report import entries
from codex_lsp.core import ConversationManager
from codex_lsp.core.doctor import doctor_result
from codex_lsp.core.mcp_prompts import list_prompts
from codex_lsp.core.model_list import list_models
from codex_lsp.core.skills import list_skills
from codex_lsp.errors import CodexError
from codex_lsp.lsp.log_forward import LogForwarder
from codex_lsp.lsp.rpc import Handler
from codex_lsp.lsp.wire import CodexProtocol
from codex_lsp.protocol import method_names as names
from codex_lsp.protocol import requests as r
from codex_lsp.protocol.items import McpServerStatus


class ConfigNotices:
    """What the client is told about configuration errors and MCP servers (the manager's
    ``on_config_error`` and ``on_mcp_status``)."""

    def __init__(self, server: LanguageServer) -> None:
        self._server = server
        protocol = server.protocol
        assert isinstance(protocol, CodexProtocol)
        self._protocol = protocol

    def mcp_status(self, status: McpServerStatus) -> None:
        """Tell the client (``codex/mcpServerStatus``) and its log how a server is doing."""
        self._protocol.notify_json(names.MCP_SERVER_STATUS, status.to_wire_json())
        if status.state == "failed":
            message = f"MCP server {status.name} failed: {status.reason}"
            kind = types.MessageType.Warning
        else:
            message = f"MCP server {status.name}: {status.state}"
            kind = types.MessageType.Info
        self._server.window_log_message(types.LogMessageParams(type=kind, message=message))

    def show_error(self, message: str) -> None:
        """A configuration problem, shown to the user (``window/showMessage``)."""
        self._server.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Error, message=message)
        )


class Configuration:
    """``codex/getConfig``, ``codex/listModels``, ``codex/listSkills``, ``codex/doctor``,
    ``codex/listMcpServers``, ``codex/listMcpPrompts``, ``codex/restartMcpServer``, and the
    server-wide settings applied once the client is initialized."""

    def __init__(
        self, manager: ConversationManager, log: LogForwarder, notices: ConfigNotices
    ) -> None:
        self._manager = manager
        self._log = log
        self._notices = notices

    def methods(self) -> dict[str, Handler]:
        """Method → handler."""
        return {
            names.GET_CONFIG: self._get_config,
            names.LIST_MODELS: self._list_models,
            names.LIST_SKILLS: self._list_skills,
            names.DOCTOR: self._doctor,
            names.LIST_MCP_SERVERS: self._list_mcp_servers,
            names.LIST_MCP_PROMPTS: self._list_mcp_prompts,
            names.RESTART_MCP_SERVER: self._restart_mcp_server,
        }

    def start(self) -> None:
        """Apply ``log_level`` and start the configured MCP servers in the background (after
        ``initialized``)."""
        try:
            config = self._manager.load_config(r.NewConversationParams()).config
            self._log.set_level_name(config.log_level)
            self._manager.start_mcp(config)
        except CodexError as exc:
            self._notices.show_error(f"MCP servers not started: {exc.message}")

    async def _get_config(self, params: r.GetConfigParams) -> r.GetConfigResult:
        profile = {"profile": params.profile} if params.profile else None
        loaded = self._manager.load_config(r.NewConversationParams(cwd=params.cwd, config=profile))
        return r.GetConfigResult(
            entries=[
                r.ConfigEntry(key=e.key, value=e.value, origin=e.origin) for e in entries(loaded)
            ],
            warnings=loaded.warnings,
        )

    async def _list_models(self, params: r.ListModelsParams) -> r.ListModelsResult:
        config = r.NewConversationParams(cwd=params.cwd, model_provider=params.model_provider)
        return await list_models(lambda: self._manager.load_config(config))

    async def _list_skills(self, params: r.ListSkillsParams) -> r.ListSkillsResult:
        config = self._manager.load_config(r.NewConversationParams(cwd=params.cwd)).config
        cwd = (params.cwd or config.cwd or self._manager.default_cwd or Path.cwd()).resolve()
        return await asyncio.to_thread(list_skills, cwd, self._manager.home, config)

    async def _doctor(self, params: r.DoctorParams) -> r.DoctorResult:
        config = r.NewConversationParams(cwd=params.cwd)
        return await doctor_result(lambda: self._manager.load_config(config), params.checks)

    async def _list_mcp_servers(self, params: r.ListMcpServersParams) -> r.ListMcpServersResult:
        return r.ListMcpServersResult(servers=self._manager.mcp.statuses())

    async def _list_mcp_prompts(self, params: r.ListMcpPromptsParams) -> r.ListMcpPromptsResult:
        return list_prompts(self._manager.mcp)

    async def _restart_mcp_server(self, params: r.RestartMcpServerParams) -> r.EmptyResult:
        self._manager.mcp.restart(params.name)
        return r.EmptyResult()
