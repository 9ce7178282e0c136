"""Typed reads of the events a provider streams, so that garbage in any field becomes an
:class:`InvalidResponseError` quoting what was sent, never a ``KeyError`` or ``TypeError``.

The rule every translator follows: a field the event cannot mean anything without (a delta's
text, the item it belongs to, a block's index) must be there with its type, or the response is
refused (permanent: the endpoint does not speak the API, a retry gets the same); a field that
only decorates (ids, token counts, an index that defaults to 0) falls back when it is missing or
null, and is refused only when it holds a value of another type; token counts of the wrong type
count as 0. An event that is not JSON at all is retryable: a line cut or corrupted on its way may
arrive whole on a new attempt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from codex_lsp.errors import InvalidResponseError
from codex_lsp.providers.quote import quote
from codex_lsp.providers.sse import SSEFrame


def _show(value: Any) -> str:
    return quote(json.dumps(value, ensure_ascii=False))


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


class Fields:
    """One JSON object of a provider's stream (an event, or an object inside one)."""

    def __init__(self, provider_id: str, where: str, data: Mapping[str, Any]) -> None:
        self.provider_id = provider_id
        self.where = where
        self.data = data

    @classmethod
    def of_frame(cls, provider_id: str, frame: SSEFrame, where: str | None = None) -> Fields:
        """The frame's data as an object (called ``where`` in errors, by default its
        ``type``); :class:`InvalidResponseError` when it is not one."""
        try:
            data = json.loads(frame.data)
        except ValueError:
            raise InvalidResponseError(
                f"{provider_id}: the provider sent an event that is not JSON: {quote(frame.data)}",
                retryable=True,
            ) from None
        if not isinstance(data, dict):
            raise InvalidResponseError(
                f"{provider_id}: the provider sent an event that is not a JSON object "
                f"({_type_name(data)}): {quote(frame.data)}"
            )
        kind = data.get("type")
        named = kind if isinstance(kind, str) and kind else "an event"
        return cls(provider_id, where or named, data)

    def refuse(self, problem: str) -> InvalidResponseError:
        """The error for this object: where it is, what is wrong, and what it holds."""
        return InvalidResponseError(
            f"{self.provider_id}: the provider sent {self.where} {problem}: {quote(self.data)}"
        )

    def _wrong(self, key: str, expected: str) -> InvalidResponseError:
        value = self.data.get(key)
        return self.refuse(f"whose {key} is {_type_name(value)} ({_show(value)}), not {expected}")

    # ------------------------------------------------------------------ required
    def text(self, key: str) -> str:
        """A string the event needs."""
        value = self.data.get(key)
        if isinstance(value, str):
            return value
        if value is None:
            raise self.refuse(f"without {key}")
        raise self._wrong(key, "a string")

    def index(self, key: str) -> int:
        """A non-negative integer the event needs (a position)."""
        value = self.data.get(key)
        if value is None:
            raise self.refuse(f"without {key}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self._wrong(key, "a position (0, 1, …)")
        return value

    def obj(self, key: str) -> Fields:
        """An object the event needs."""
        value = self.data.get(key)
        if isinstance(value, dict):
            return Fields(self.provider_id, f"{self.where} {key}", value)
        if value is None:
            raise self.refuse(f"without {key}")
        raise self._wrong(key, "an object")

    # ------------------------------------------------------------------ optional
    def opt_text(self, key: str) -> str | None:
        """A string that may be missing or null."""
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self._wrong(key, "a string")

    def opt_index(self, key: str, default: int = 0) -> int:
        """A position that defaults to ``default`` when missing or null."""
        return default if self.data.get(key) is None else self.index(key)

    def opt_obj(self, key: str) -> Fields:
        """An object that may be missing or null (then empty)."""
        value = self.data.get(key)
        if value is None:
            return Fields(self.provider_id, f"{self.where} {key}", {})
        return self.obj(key)

    def objs(self, key: str) -> list[Fields]:
        """An array of objects that may be missing or null (then empty)."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(key, "an array")
        out = []
        for position, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise self.refuse(
                    f"whose {key}[{position}] is {_type_name(entry)} ({_show(entry)}), "
                    "not an object"
                )
            out.append(Fields(self.provider_id, f"{self.where} {key}[{position}]", entry))
        return out

    def ident(self, key: str) -> str | None:
        """An id: a string or a number (as text); anything else counts as missing."""
        value = self.data.get(key)
        if isinstance(value, str):
            return value or None
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return None

    def count(self, key: str) -> int:
        """A token count: a non-negative integer, else 0 (usage never fails a response)."""
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return 0
        return value
