"""Computes new file contents from update chunks, keeping each line's own ending."""

from __future__ import annotations

import re
from dataclasses import dataclass

from codex_lsp.patch.model import PatchError, UpdateChunk
from codex_lsp.patch.seek import seek_sequence

_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n)")


@dataclass
class Lines:
    """A text as lines without endings plus each line's ending."""

    texts: list[str]
    endings: list[str]
    default_ending: str

    @classmethod
    def split(cls, text: str) -> Lines:
        """Split on CRLF, CR or LF; a final line without an ending keeps ``""``."""
        texts, endings = [], []
        position = 0
        for match in _LINE.finditer(text):
            texts.append(match.group(1))
            endings.append(match.group(2))
            position = match.end()
        if position < len(text):
            texts.append(text[position:])
            endings.append("")
        default = next((e for e in endings if e), "\n")
        return cls(texts, endings, default)

    def join(self) -> str:
        """The text, every line ending in its ending (the last one always ends)."""
        if self.endings and not self.endings[-1]:
            self.endings[-1] = self.default_ending
        return "".join(t + e for t, e in zip(self.texts, self.endings, strict=True))


def _locate(
    lines: list[str], chunks: list[UpdateChunk], path: str
) -> list[tuple[int, UpdateChunk]]:
    """Where each chunk applies (chunks with no old lines append at the end)."""
    out: list[tuple[int, UpdateChunk]] = []
    index = 0
    for chunk in chunks:
        if chunk.change_context is not None:
            found = seek_sequence(lines, [chunk.change_context], index, False)
            if found is None:
                raise PatchError(f"Failed to find context '{chunk.change_context}' in {path}")
            index = found + 1
        if not chunk.old_lines:
            out.append((len(lines), chunk))
            continue
        applied = chunk
        start = seek_sequence(lines, chunk.old_lines, index, chunk.is_end_of_file)
        if start is None and chunk.old_lines[-1] == "":
            applied = chunk.without_trailing_empty_old_line()
            start = seek_sequence(lines, applied.old_lines, index, chunk.is_end_of_file)
        if start is None:
            raise PatchError(
                f"Failed to find expected lines in {path}:\n" + "\n".join(chunk.old_lines)
            )
        out.append((start, applied))
        index = start + len(applied.old_lines)
    return sorted(out, key=lambda r: r[0])


def apply_chunks(original: str, chunks: list[UpdateChunk], path: str) -> str:
    """``original`` with ``chunks`` applied; raises :class:`PatchError` naming ``path``.

    Context lines keep the file's own text and ending (they may have matched only after
    whitespace or punctuation normalisation); added lines take the file's first-seen ending."""
    lines = Lines.split(original)
    if lines.endings and not lines.endings[-1]:
        lines.endings[-1] = lines.default_ending  # appended lines must not join the last one
    for start, chunk in reversed(_locate(lines.texts, chunks, path)):
        texts: list[str] = []
        endings: list[str] = []
        position = start
        for marker, text in chunk.ops:
            if marker == " ":
                texts.append(lines.texts[position])
                endings.append(lines.endings[position])
            elif marker == "+":
                texts.append(text)
                endings.append(lines.default_ending)
            if marker != "+":
                position += 1
        lines.texts[start:position] = texts
        lines.endings[start:position] = endings
    return lines.join()
