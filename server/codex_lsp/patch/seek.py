"""Finds where a chunk's old lines are in a file, as leniently as Codex: exact, then ignoring
trailing whitespace, then ignoring surrounding whitespace, then with Unicode punctuation
normalised (dashes, quotes, exotic spaces)."""

from __future__ import annotations

import itertools

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


class LineIndex:
    """A file's lines to search, with each tolerance tier's form of them and where each such line
    occurs, made once, when a chunk first needs them. Normalising the rest of the file for every
    chunk only a tolerant tier finds, and scanning it for every chunk that is not there as
    written, made a 1,000-chunk patch of a 100,000-line file take seconds."""

    __slots__ = ("_forms", "_where", "lines")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._forms: dict[int, list[str]] = {0: lines}
        self._where: dict[int, dict[str, list[int]]] = {}

    def _form(self, tier: int) -> list[str]:
        form = self._forms.get(tier)
        if form is None:
            form = self._forms[tier] = [_TIERS[tier](line) for line in self.lines]
        return form

    def _positions(self, tier: int) -> dict[str, list[int]]:
        """Where each line of ``tier``'s form occurs, in order."""
        where = self._where.get(tier)
        if where is None:
            where = self._where[tier] = {}
            for index, line in enumerate(self._form(tier)):
                where.setdefault(line, []).append(index)
        return where

    def _find(self, tier: int, pattern: list[str], first: int, last: int) -> int | None:
        """:func:`_find` in ``tier``'s form of the lines, candidates taken from where the
        pattern's first line occurs."""
        form, size = self._form(tier), len(pattern)
        candidates = self._positions(tier).get(pattern[0], [])
        low, high = 0, len(candidates)
        while low < high:  # the first candidate at or after ``first``
            middle = (low + high) // 2
            if candidates[middle] < first:
                low = middle + 1
            else:
                high = middle
        for index in itertools.islice(candidates, low, None):
            if index > last:
                break
            if form[index : index + size] == pattern:
                return index
        return None

    def seek(self, pattern: list[str], start: int, eof: bool) -> int | None:
        """Index of the first occurrence of ``pattern`` at or after line ``start`` (only at the
        very end when ``eof``, and never before ``start`` either, as Codex: an end-of-file chunk
        cannot reach back into the previous chunk's lines), trying each tolerance tier in turn
        over the whole range before the next; ``None`` if absent. Until a chunk is not found as
        written, the exact tier scans from ``start`` (a chunk is usually close by)."""
        lines = self.lines
        if not pattern:
            return start
        if len(pattern) > len(lines):
            return None
        first = max(start, len(lines) - len(pattern)) if eof else start
        last = len(lines) - len(pattern)
        if first > last:
            return None
        if 0 in self._where:
            found = self._find(0, pattern, first, last)
        else:
            found = _find(lines, pattern, first, last)
            if found is None:  # not close by, nor further on: index the lines for what follows
                self._positions(0)
        for tier in range(1, len(_TIERS)):
            if found is not None:
                break
            normalise = _TIERS[tier]
            found = self._find(tier, [normalise(p) for p in pattern], first, last)
        return found
