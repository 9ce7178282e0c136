"""Finds where a chunk's old lines are in a file, as leniently as Codex: exact, then ignoring
trailing whitespace, then ignoring surrounding whitespace, then with Unicode punctuation
normalised (dashes, quotes, exotic spaces)."""

from __future__ import annotations

from collections.abc import Callable

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b"
_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f"
_SPACES = "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_PUNCTUATION = str.maketrans(
    {
        **dict.fromkeys(_DASHES, "-"),
        **dict.fromkeys(_SINGLE_QUOTES, "'"),
        **dict.fromkeys(_DOUBLE_QUOTES, '"'),
        **dict.fromkeys(_SPACES, " "),
    }
)

_TIERS: tuple[Callable[[str], str], ...] = (
    lambda s: s,
    str.rstrip,
    str.strip,
    lambda s: s.strip().translate(_PUNCTUATION),
)


def seek_sequence(lines: list[str], pattern: list[str], start: int, eof: bool) -> int | None:
    """Index of the first occurrence of ``pattern`` in ``lines`` at or after ``start`` (only at
    the very end when ``eof``), trying each tolerance tier in turn; ``None`` if absent."""
    if not pattern:
        return start
    if len(pattern) > len(lines):
        return None
    first = len(lines) - len(pattern) if eof else start
    last = len(lines) - len(pattern)
    for normalise in _TIERS:
        wanted = [normalise(p) for p in pattern]
        for i in range(first, last + 1):
            if all(normalise(lines[i + j]) == wanted[j] for j in range(len(pattern))):
                return i
    return None
