"""The terminals feature: the commands ``exec_command`` left running in the live conversations
(``codex/listTerminals``) and ending one with everything it started (``codex/killTerminal``)."""

from __future__ import annotations

from codex_lsp.core import ConversationManager
from codex_lsp.lsp.rpc import Handler
from codex_lsp.protocol import method_names as names
from codex_lsp.protocol import requests as r


class TerminalsFeature:
    """``codex/listTerminals`` and ``codex/killTerminal``."""

    def __init__(self, manager: ConversationManager) -> None:
        self._manager = manager

    def methods(self) -> dict[str, Handler]:
        """Method → handler."""
        return {names.LIST_TERMINALS: self._list, names.KILL_TERMINAL: self._kill}

    async def _list(self, params: r.ListTerminalsParams) -> r.ListTerminalsResult:
        if params.conversation_id is not None:
            conversations = [self._manager.get(params.conversation_id)]
        else:
            conversations = self._manager.live()
        return r.ListTerminalsResult(
            terminals=[t.info(c.id) for c in conversations for t in c.terminals.running()]
        )

    async def _kill(self, params: r.KillTerminalParams) -> r.TerminalInfo:
        conversation = self._manager.get(params.conversation_id)
        terminal = await conversation.terminals.kill(params.terminal_id)
        return terminal.info(conversation.id)
