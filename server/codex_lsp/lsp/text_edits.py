"""A bridge from (old text, new text) to minimal LSP TextEdits: whole-line edits from difflib
opcodes, with the end-of-document position in the client's negotiated encoding."""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

from lsprotocol import types

from codex_lsp.patch.apply import LineEdit, Lines


def _units(text: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _lines(text: str) -> list[str]:
    split = Lines.split(text)
    return [t + e for t, e in zip(split.texts, split.endings, strict=True)]


def _position(lines: list[str], index: int, encoding: str) -> types.Position:
    """Start of line ``index``; past the end, the end of the document."""
    if index < len(lines):
        return types.Position(line=index, character=0)
    if lines and not lines[-1].endswith(("\n", "\r")):
        return types.Position(line=len(lines) - 1, character=_units(lines[-1], encoding))
    return types.Position(line=len(lines), character=0)


def to_text_edits(
    old: str, edits: Sequence[LineEdit], encoding: str = types.PositionEncodingKind.Utf16
) -> list[types.TextEdit]:
    """LSP TextEdits for line edits computed against ``old``."""
    lines = _lines(old)
    return [
        types.TextEdit(
            range=types.Range(
                start=_position(lines, e.start, encoding), end=_position(lines, e.end, encoding)
            ),
            new_text=e.text,
        )
        for e in edits
    ]


SMALL_GAP = 200
"""Gaps between anchors up to this many lines are compared with difflib."""


def _unique_lines(lines: list[str]) -> dict[str, int]:
    """Each line that occurs once, and where, in order."""
    count = Counter(lines)
    return {line: i for i, line in enumerate(lines) if count[line] == 1}


def _unique_anchors(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Lines that occur exactly once in each side, longest increasing run of them (patience)."""
    where_a, where_b = _unique_lines(a), _unique_lines(b)
    pairs = [(where_a[line], j) for line, j in where_b.items() if line in where_a]  # b's order
    if all(p[0] < q[0] for p, q in pairwise(pairs)):
        return pairs  # nothing moved (the usual edit): the pairs are the run already
    tails: list[int] = []  # longest increasing subsequence of a-indices (b is already ordered)
    tail_at: list[int] = []
    previous = [-1] * len(pairs)
    for k, (i, _) in enumerate(pairs):
        pos = bisect.bisect_left(tails, i)
        if pos == len(tails):
            tails.append(i)
            tail_at.append(k)
        else:
            tails[pos] = i
            tail_at[pos] = k
        previous[k] = tail_at[pos - 1] if pos else -1
    chain = []
    k = tail_at[-1] if tail_at else -1
    while k != -1:
        chain.append(pairs[k])
        k = previous[k]
    return chain[::-1]


def _diff(a: list[str], b: list[str], a0: int, b0: int, out: list[LineEdit]) -> None:
    """Append edits turning ``a`` into ``b`` (offsets ``a0``/``b0`` in the whole texts)."""
    if a == b:
        return
    if not a or not b or (len(a) <= SMALL_GAP and len(b) <= SMALL_GAP):
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        out.extend(
            LineEdit(a0 + i1, a0 + i2, "".join(b[j1:j2]))
            for tag, i1, i2, j1, j2 in matcher.get_opcodes()
            if tag != "equal"
        )
        return
    anchors = _unique_anchors(a, b)
    if not anchors:
        out.append(LineEdit(a0, a0 + len(a), "".join(b)))
        return
    last_i, last_j = 0, 0
    for i, j in anchors:
        if i != last_i or j != last_j:  # most anchors follow the one before: no gap to compare
            _diff(a[last_i:i], b[last_j:j], a0 + last_i, b0 + last_j, out)
        last_i, last_j = i + 1, j + 1
    _diff(a[last_i:], b[last_j:], a0 + last_i, b0 + last_j, out)


def diff_line_edits(old: str, new: str) -> list[LineEdit]:
    """Whole-line edits turning ``old`` into ``new`` (for edits that did not come from a patch,
    such as undo): the common head and tail are skipped, lines unique to both sides anchor the
    rest (patience diff), and difflib compares the small gaps between anchors."""
    a, b = _lines(old), _lines(new)
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    out: list[LineEdit] = []
    _diff(a[head : len(a) - tail], b[head : len(b) - tail], head, head, out)
    return out


def line_edits(
    old: str, new: str, encoding: str = types.PositionEncodingKind.Utf16
) -> list[types.TextEdit]:
    """The LSP TextEdits turning ``old`` into ``new``."""
    return to_text_edits(old, diff_line_edits(old, new), encoding)
