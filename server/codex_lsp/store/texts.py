"""Long strings stored once per conversation.

A user message appears in its history item and in three events (``itemStarted``,
``userMessage``, ``itemCompleted``); an agent message or a command's output similarly. A row
whose JSON is long is stored with each long string (``TEXT_REF_MIN_CHARS`` or more) replaced by
``{"$text": "<sha256>"}`` and the string itself in the ``texts`` table, once per conversation
however many rows carry it: a 1 MiB message costs the store about 1 MiB. Such rows are flagged
(``refs = 1``), so reading the others costs nothing extra.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from codex_lsp.errors import StoreError

TEXT_REF_MIN_CHARS = 4096
_REF = "$text"


class Shrunk(NamedTuple):
    """A row's JSON as stored, and the texts it refers to (by hash; none when empty)."""

    body: str
    texts: Mapping[str, str] = {}


class _Unshrinkable(Exception):
    """The JSON already holds a ``$text`` key of its own: store it as it is."""


def shrink(body: str) -> Shrunk:
    """``body`` with its long strings replaced by references (unchanged when it has none)."""
    if len(body) < TEXT_REF_MIN_CHARS:
        return Shrunk(body)
    texts: dict[str, str] = {}
    try:
        data = _replace(json.loads(body), texts)
    except _Unshrinkable:
        return Shrunk(body)
    return Shrunk(_dumps(data), texts) if texts else Shrunk(body)


def expand(body: str, texts: Mapping[str, str]) -> str:
    """A stored row's JSON with its references replaced by the texts again."""
    return _dumps(_restore(json.loads(body), texts))


def _replace(value: Any, texts: dict[str, str]) -> Any:
    if isinstance(value, str):
        if len(value) < TEXT_REF_MIN_CHARS:
            return value
        key = hashlib.sha256(value.encode("utf-8")).hexdigest()
        texts[key] = value
        return {_REF: key}
    if isinstance(value, list):
        return [_replace(v, texts) for v in value]
    if isinstance(value, dict):
        if _REF in value:
            raise _Unshrinkable
        return {k: _replace(v, texts) for k, v in value.items()}
    return value


def _restore(value: Any, texts: Mapping[str, str]) -> Any:
    if isinstance(value, list):
        return [_restore(v, texts) for v in value]
    if isinstance(value, dict):
        if _REF in value:
            try:
                return texts[value[_REF]]
            except KeyError:
                raise StoreError(
                    f"the store lost a text this conversation refers to ({value[_REF]}); "
                    "it cannot be read back whole"
                ) from None
        return {k: _restore(v, texts) for k, v in value.items()}
    return value


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
