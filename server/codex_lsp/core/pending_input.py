"""Input the user sends while a turn runs (steering): the model gets it at its next step, never
lost. When the user stops the turn, what they queued for it is handed back to them in
``turnAborted`` instead of being sent."""

from __future__ import annotations

from codex_lsp.protocol.items import UserInputItem


class PendingInput:
    """The queue of one conversation's unsent input, and what an interrupt handed back."""

    def __init__(self) -> None:
        self._queued: list[list[UserInputItem]] = []
        self._returned: list[list[UserInputItem]] = []

    def __bool__(self) -> bool:
        """True when input waits for the model."""
        return bool(self._queued)

    def add(self, items: list[UserInputItem]) -> None:
        """Queue one message."""
        self._queued.append(items)

    def take_all(self) -> list[list[UserInputItem]]:
        """Every queued message, oldest first."""
        queued, self._queued = self._queued, []
        return queued

    def take_first(self) -> list[UserInputItem]:
        """The oldest queued message (a new turn starts with it; the rest steer it)."""
        return self._queued.pop(0)

    def hand_back(self) -> None:
        """The user stopped the turn: what they queued is not sent to the model but handed
        back to them with the turn's ``turnAborted``."""
        self._returned.extend(self._queued)
        self._queued.clear()

    def take_returned(self) -> list[list[UserInputItem]]:
        """What the last interrupt handed back, once."""
        returned, self._returned = self._returned, []
        return returned
