"""A bridge from (old text, new text) to minimal LSP TextEdits: whole-line edits from difflib
opcodes, with the end-of-document position in the client's negotiated encoding."""

from __future__ import annotations

import difflib

from lsprotocol import types

from codex_lsp.patch.apply import Lines


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


def line_edits(
    old: str, new: str, encoding: str = types.PositionEncodingKind.Utf16
) -> list[types.TextEdit]:
    """The smallest set of whole-line edits turning ``old`` into ``new``."""
    a, b = _lines(old), _lines(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(
            types.TextEdit(
                range=types.Range(start=_position(a, i1, encoding), end=_position(a, i2, encoding)),
                new_text="".join(b[j1:j2]),
            )
        )
    return edits
