"""The line of every key in a TOML file, for messages that point at it (``config.toml:12``).

:mod:`tomllib` keeps no positions, so this scans the text itself: table headers (``[a.b]``,
``[[a]]``), bare, quoted and dotted keys, and the values that span lines (multi-line strings,
arrays, inline tables) are followed so that text inside them is never taken for a key. Keys are
joined with ``.`` like :func:`codex_lsp.config.layers.leaves` joins them.
"""

from __future__ import annotations

import json
import re

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def key_lines(text: str) -> dict[str, int]:
    """Dotted key (and table) → the 1-based line that sets it; the first one wins."""
    return _Scanner(text).run()


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.table: list[str] = []
        self.found: dict[str, int] = {}

    def run(self) -> dict[str, int]:
        while self.pos < len(self.text):
            self._skip(" \t\r\n")
            if self.pos >= len(self.text):
                break
            char = self.text[self.pos]
            if char == "#":
                self._to_line_end()
            elif char == "[":
                self._header()
            else:
                self._key_value()
        return self.found

    # ------------------------------------------------------------------ structure
    def _header(self) -> None:
        line = self.line
        double = self.text.startswith("[[", self.pos)
        self.pos += 2 if double else 1
        self.table = self._key()
        self._record(self.table, line)
        self._to_line_end()

    def _key_value(self) -> None:
        line = self.line
        key = self._key()
        self._skip(" \t")
        if not key or not self.text.startswith("=", self.pos):
            self._to_line_end()  # not TOML tomllib accepted; nothing to record
            return
        self.pos += 1
        self._record(self.table + key, line)
        self._value()

    def _record(self, parts: list[str], line: int) -> None:
        if parts:
            self.found.setdefault(".".join(parts), line)

    def _key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self._skip(" \t")
            part = self._key_part()
            if part is None:
                return parts
            parts.append(part)
            self._skip(" \t")
            if not self.text.startswith(".", self.pos):
                return parts
            self.pos += 1

    def _key_part(self) -> str | None:
        if self.text.startswith('"', self.pos):
            return self._string('"')
        if self.text.startswith("'", self.pos):
            return self._string("'")
        match = _BARE.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group()

    # ------------------------------------------------------------------ values
    def _value(self) -> None:
        """Skip one value, however many lines it spans, then the rest of its line."""
        depth = 0
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in "\"'":
                self._string(char)
                continue
            if char == "#":
                self._to_line_end(keep_newline=True)
                continue
            if char == "\n":
                if depth == 0:
                    return
                self.line += 1
            elif char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1
            self.pos += 1

    def _string(self, quote: str) -> str:
        """Skip a (possibly multi-line) string starting at ``pos``; return its raw text."""
        triple = quote * 3
        if self.text.startswith(triple, self.pos):
            end = self.text.find(triple, self.pos + 3)
            while end != -1 and quote == '"' and _escaped(self.text, end):
                end = self.text.find(triple, end + 1)
            end = len(self.text) if end == -1 else end
            while self.text.startswith(quote, end + 3):
                end += 1  # up to two quotes may end the content
            body = self.text[self.pos + 3 : end]
            self.line += body.count("\n")
            self.pos = end + 3
            return body
        start = self.pos + 1
        end = start
        while end < len(self.text) and self.text[end] not in (quote, "\n"):
            end += 2 if quote == '"' and self.text[end] == "\\" else 1
        closed = end < len(self.text) and self.text[end] == quote
        self.pos = end + 1 if closed else min(end, len(self.text))
        raw = self.text[start:end]
        return _unescape(raw) if quote == '"' else raw

    def _skip(self, chars: str) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            if self.text[self.pos] == "\n":
                self.line += 1
            self.pos += 1

    def _to_line_end(self, keep_newline: bool = False) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end == -1 else (end if keep_newline else end + 1)
        if end != -1 and not keep_newline:
            self.line += 1


def _unescape(raw: str) -> str:
    """A basic string's escapes resolved (JSON's are TOML's but for ``\\U`` and ``\\e``)."""
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw


def _escaped(text: str, index: int) -> bool:
    """True when the character at ``index`` follows an odd number of backslashes."""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1
