"""Watching one conversation's events in-process (``ConversationManager.observe``): besides the
front end's sink, an orchestrator such as spec-kit's engine sees every event of the
conversations it drives, as they are delivered, without a front end in between. A conversation
can also be private to its observer (spec-kit's agents): its events reach the observer only."""

from __future__ import annotations

import logging
from collections.abc import Callable

from codex_lsp.core.seams import EventSink
from codex_lsp.protocol.events import EventEnvelope, ShutdownCompleteEvent

log = logging.getLogger(__name__)

Observer = Callable[[EventEnvelope], None]
"""Sees one conversation's events; it must not block (it runs on the event loop)."""


class Observers:
    """Delivers each event to the front end's sink (unless its conversation is private), then
    to the observers of its conversation. A failing observer is logged and keeps neither the
    sink nor the other observers from their events; once a conversation shut down, its
    observers are dropped and it is private no more (resumed, it is an ordinary one)."""

    def __init__(self, sink: EventSink) -> None:
        self._sink = sink
        self._watching: dict[str, list[Observer]] = {}
        self._private: set[str] = set()

    def deliver(self, event: EventEnvelope) -> None:
        """The sink the manager's conversations send to."""
        conversation_id = event.conversation_id
        try:
            if conversation_id not in self._private:
                self._sink(event)
        finally:
            watching = self._watching.get(conversation_id)
            if watching:
                self._notify(watching, event)
            if isinstance(event.msg, ShutdownCompleteEvent):
                self.forget(conversation_id)

    def _notify(self, watching: list[Observer], event: EventEnvelope) -> None:
        for observer in tuple(watching):
            try:
                observer(event)
            except Exception:
                log.exception("an observer of conversation %s failed", event.conversation_id)

    def add(
        self, conversation_id: str, observer: Observer, *, private: bool = False
    ) -> Callable[[], None]:
        """Send ``observer`` every later event of ``conversation_id`` (and, when ``private``,
        no longer the front end); returns what stops it (idempotent)."""
        watching = self._watching.setdefault(conversation_id, [])
        watching.append(observer)
        if private:
            self._private.add(conversation_id)

        def unsubscribe() -> None:
            if observer in watching:
                watching.remove(observer)
            if not watching and self._watching.get(conversation_id) is watching:
                del self._watching[conversation_id]

        return unsubscribe

    def forget(self, conversation_id: str) -> None:
        """Drop every observer of a conversation that shut down, was closed or deleted."""
        self._watching.pop(conversation_id, None)
        self._private.discard(conversation_id)
