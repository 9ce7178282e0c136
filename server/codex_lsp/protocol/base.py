"""The base model of every wire type: camelCase JSON, strict about unknown fields.

This package is the single source of truth of the protocol. It imports nothing else of codex-lsp.

The modules that define models do not use ``from __future__ import annotations``: with it, pydantic
compiles and evaluates every field's annotation string when the class is made (~700 of them in
the protocol and the config, ~15 ms of every command's start); without it the interpreter has
them evaluated already. A forward reference is written as a string.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


def camel(name: str) -> str:
    """The wire name of a field: pydantic's ``to_camel``, without its regular expressions for
    the plain names (lowercase ASCII words joined by single underscores) nearly every field
    has; it runs for each of the ~600 fields a headless turn defines (~2 ms saved)."""
    head, *rest = name.split("_")
    if head and all(rest) and name.isascii() and name.islower() and name.replace("_", "").isalpha():
        return head + "".join(map(str.capitalize, rest))
    return to_camel(name)


class WireModel(BaseModel):
    """A message or a part of one: snake_case in Python, camelCase on the wire."""

    model_config = ConfigDict(
        alias_generator=camel,
        populate_by_name=True,
        extra="forbid",
        frozen=False,
        defer_build=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict a client receives (camelCase keys, no ``None`` values)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")

    def to_wire_json(self) -> str:
        """The same as :meth:`to_wire`, already encoded (the hot path avoids a dict round trip)."""
        return self.model_dump_json(by_alias=True, exclude_none=True)
