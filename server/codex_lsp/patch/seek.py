"""Finds where a chunk's old lines are in a file, as leniently as Codex: exact, then ignoring
trailing whitespace, then ignoring surrounding whitespace, then with Unicode punctuation
normalised (dashes, quotes, exotic spaces)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing's own would import typing, which apply-patch does not need
if TYPE_CHECKING:
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


def _find(lines: list[str], pattern: list[str], first: int, last: int) -> int | None:
    """First ``i`` in ``first..last`` where ``lines[i:]`` starts with ``pattern``; candidates
    come from ``list.index`` (C speed), so a long file is not walked line by line in Python."""
    head, size = pattern[0], len(pattern)
    index = first
    while index <= last:
        try:
            index = lines.index(head, index, last + 1)
        except ValueError:
            return None
        if lines[index : index + size] == pattern:
            return index
        index += 1
    return None


def seek_sequence(lines: list[str], pattern: list[str], start: int, eof: bool) -> int | None:
    """Index of the first occurrence of ``pattern`` in ``lines`` at or after ``start`` (only at
    the very end when ``eof``, and never before ``start`` either, as Codex: an end-of-file chunk
    cannot reach back into the previous chunk's lines), trying each tolerance tier in turn;
    ``None`` if absent."""
    if not pattern:
        return start
    if len(pattern) > len(lines):
        return None
    first = max(start, len(lines) - len(pattern)) if eof else start
    last = len(lines) - len(pattern)
    if first > last:
        return None
    found = _find(lines, pattern, first, last)
    if found is not None:
        return found
    window = lines[first : last + len(pattern)]
    for normalise in _TIERS[1:]:
        found = _find(
            [normalise(line) for line in window], [normalise(p) for p in pattern], 0, last - first
        )
        if found is not None:
            return first + found
    return None
