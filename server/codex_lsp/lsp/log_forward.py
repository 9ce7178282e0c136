"""codex-lsp's own log records, sent to the editor's log (``window/logMessage``) at the level
``log_level`` sets. Records from worker threads are handed to the event loop."""

from __future__ import annotations

import asyncio
import logging
from typing import ClassVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from codex_lsp.config.secrets import RedactingFormatter

LOGGER = "codex_lsp"
_TYPES: dict[int, types.MessageType] = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
    logging.DEBUG: types.MessageType.Log,
}


class LogForwarder(logging.Handler):
    """A logging handler writing ``window/logMessage`` notifications."""

    LEVELS: ClassVar[dict[str, int]] = {
        "error": logging.ERROR,
        "warning": logging.WARNING,
        "info": logging.INFO,
        "debug": logging.DEBUG,
    }

    def __init__(self, server: LanguageServer, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._server = server
        self._loop = loop
        self.setFormatter(RedactingFormatter())

    def set_level_name(self, name: str) -> None:
        """Apply ``log_level`` (and let the package logger pass that much through)."""
        level = self.LEVELS.get(name, logging.WARNING)
        self.setLevel(level)
        logging.getLogger(LOGGER).setLevel(level)

    def emit(self, record: logging.LogRecord) -> None:
        """Send one record (never raises: logging must not break the server)."""
        try:
            message = self.format(record)
            kind = _TYPES.get(record.levelno, types.MessageType.Log)
            if record.levelno >= logging.ERROR:
                kind = types.MessageType.Error
            params = types.LogMessageParams(type=kind, message=f"[{record.name}] {message}")
            self._loop.call_soon_threadsafe(self._server.window_log_message, params)
        except Exception:
            self.handleError(record)

    def install(self) -> None:
        """Attach to the package logger (once)."""
        logger = logging.getLogger(LOGGER)
        if self not in logger.handlers:
            logger.addHandler(self)
