"""Watching one conversation's events in-process (``ConversationManager.observe``): besides the
front end's sink, an orchestrator such as spec-kit's engine sees every event of the
conversations it drives, as they are delivered, without a front end in between."""

from __future__ import annotations

import logging
from collections.abc import Callable

from codex_lsp.core.seams import EventSink
from codex_lsp.protocol.events import EventEnvelope, ShutdownCompleteEvent

log = logging.getLogger(__name__)

Observer = Callable[[EventEnvelope], None]


class Observers:
    """Delivers each event to the front end's sink, then to the observers of its
    conversation. A failing observer is logged and keeps neither the sink nor the other
    observers from their events; observers of a conversation are dropped once it shut down."""

    def __init__(self, sink: EventSink) -> None:
        self._sink = sink
        self._watching: dict[str, list[Observer]] = {}

    def deliver(self, event: EventEnvelope) -> None:
        """The sink the manager's conversations send to."""
        try:
            self._sink(event)
        finally:
            watching = self._watching.get(event.conversation_id)
            if watching:
                self._notify(watching, event)

    def _notify(self, watching: list[Observer], event: EventEnvelope) -> None:
        for observer in tuple(watching):
            try:
                observer(event)
            except Exception:
                log.exception("an observer of conversation %s failed", event.conversation_id)
        if isinstance(event.msg, ShutdownCompleteEvent):
            self._watching.pop(event.conversation_id, None)

    def add(self, conversation_id: str, observer: Observer) -> Callable[[], None]:
        """Send ``observer`` every later event of ``conversation_id``; returns what stops it
        (idempotent)."""
        watching = self._watching.setdefault(conversation_id, [])
        watching.append(observer)

        def unsubscribe() -> None:
            if observer in watching:
                watching.remove(observer)
            if not watching and self._watching.get(conversation_id) is watching:
                del self._watching[conversation_id]

        return unsubscribe

    def forget(self, conversation_id: str) -> None:
        """Drop every observer of a conversation that was closed or deleted."""
        self._watching.pop(conversation_id, None)
