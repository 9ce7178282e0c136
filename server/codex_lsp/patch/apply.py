"""Computes new file contents from update chunks, keeping each line's own ending."""

from __future__ import annotations

from codex_lsp.patch.model import PatchError, Record, UpdateChunk
from codex_lsp.patch.seek import LineIndex

TYPE_CHECKING = False  # typing's own would import typing, which apply-patch does not need
if TYPE_CHECKING:
    from typing import Final


class Lines(Record):
    """A text as lines without endings plus each line's ending."""

    __slots__ = ("default_ending", "endings", "texts")

    def __init__(self, texts: list[str], endings: list[str], default_ending: str) -> None:
        self.texts = texts
        self.endings = endings
        self.default_ending = default_ending

    @classmethod
    def split(cls, text: str) -> Lines:
        """Split on CRLF, CR or LF; a final line without an ending keeps ``""``."""
        if "\r" not in text:  # the common case, at C speed
            texts = text.split("\n")
            endings = ["\n"] * len(texts)
            if texts[-1] == "":
                texts.pop()
                endings.pop()
            else:
                endings[-1] = ""
            return cls(texts, endings, "\n")
        import re  # only a text with CRs pays for re (~8 ms of the apply-patch command's start)

        texts, endings = [], []
        position = 0
        for match in re.finditer(r"([^\r\n]*)(\r\n|\r|\n)", text):
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
        if self.endings.count(self.default_ending) == len(self.endings):  # one ending: C speed
            return self.default_ending.join(self.texts) + (
                self.default_ending if self.texts else ""
            )
        return "".join(map(str.__add__, self.texts, self.endings))


def _locate(
    lines: list[str], chunks: list[UpdateChunk], path: str
) -> list[tuple[int, UpdateChunk]]:
    """Where each chunk applies, by start (chunks with no old lines append at the end)."""
    out: list[tuple[int, UpdateChunk]] = []
    index = 0
    search = LineIndex(lines)
    for chunk in chunks:
        if chunk.change_context is not None:
            found = search.seek([chunk.change_context], index, False)
            if found is None:
                raise PatchError(f"Failed to find context '{chunk.change_context}' in {path}")
            index = found + 1
        old = chunk.old_lines
        if not old:
            out.append((len(lines), chunk))
            continue
        applied = chunk
        start = search.seek(old, index, chunk.is_end_of_file)
        if start is None and old[-1] == "":
            applied = chunk.without_trailing_empty_old_line()
            old = applied.old_lines
            start = search.seek(old, index, chunk.is_end_of_file)
        if start is None:
            raise PatchError(
                f"Failed to find expected lines in {path}:\n" + "\n".join(chunk.old_lines)
            )
        out.append((start, applied))
        index = start + len(old)
    return sorted(out, key=lambda r: r[0])  # additions (at the end) before a later chunk's lines


class LineEdit(Record):
    """Replace lines ``start`` to ``end`` (exclusive, in the original text) with ``text``;
    ``end == len(lines)`` reaches the end of the document."""

    __slots__ = ("end", "start", "text")
    start: Final[int]
    end: Final[int]
    text: Final[str]

    def __init__(self, start: int, end: int, text: str) -> None:
        self.start = start
        self.end = end
        self.text = text


def apply_chunks(
    original: str, chunks: list[UpdateChunk], path: str, edits: list[LineEdit] | None = None
) -> str:
    """``original`` with ``chunks`` applied; raises :class:`PatchError` naming ``path``. When
    ``edits`` is given, the minimal line edits that do the same are added to it, in order (runs
    of removed/added lines; context lines untouched).

    Context lines keep the file's own text and ending (they may have matched only after
    whitespace or punctuation normalisation); added lines take the file's first-seen ending.
    The new text is built front to back in one pass (replacing chunk by chunk in place would
    move the rest of the file for every chunk that adds or removes lines): chunks never overlap,
    each one is found at or after the previous one's end, those without old lines at the end.
    A text with one kind of ending (no CR) keeps no list of endings: it is joined once; when
    every chunk is found as written, it is not split into lines at all."""
    if "\r" not in original:
        exact = _apply_exact(original, chunks, edits)
        if exact is not None:
            return exact
    lines = Lines.split(original)
    texts, count = lines.texts, len(lines.texts)
    missing_final_ending = bool(lines.endings) and not lines.endings[-1]
    if missing_final_ending:
        lines.endings[-1] = lines.default_ending  # appended lines must not join the last one
    located = _locate(texts, chunks, path)
    new = Lines([], [], lines.default_ending)
    endings = None if "\r" not in original else lines.endings
    done = 0
    for start, chunk in located:
        new.texts += texts[done:start]
        if endings is not None:
            new.endings += endings[done:start]
        if edits is not None:
            _record_edits(chunk, start, lines.default_ending, edits)
        done = _replace(lines, start, chunk, new, endings is not None)
    new.texts += texts[done:]
    if endings is None:
        text = "\n".join(new.texts) + "\n" if new.texts else ""
    else:
        new.endings += endings[done:]
        text = new.join()
    if edits is not None:
        last = texts[-1] + lines.default_ending if missing_final_ending else None
        _finish_edits(edits, count, last)
    return text


def _record_edits(chunk: UpdateChunk, start: int, ending: str, edits: list[LineEdit]) -> None:
    """Add the edits ``chunk`` makes from line ``start``: one per run of removed and added lines
    (context lines are left as they are)."""
    position = start
    run_start: int | None = None
    run_text: list[str] = []
    for marker, text in chunk.ops:
        if marker == " ":
            if run_start is not None:
                edits.append(LineEdit(run_start, position, "".join(run_text)))
                run_start, run_text = None, []
            position += 1
            continue
        if run_start is None:
            run_start = position
        if marker == "+":
            run_text.append(text + ending)
        else:
            position += 1
    if run_start is not None:
        edits.append(LineEdit(run_start, position, "".join(run_text)))


def _finish_edits(edits: list[LineEdit], count: int, last: str | None) -> None:
    """Sort ``edits``; when the file's last line (of ``count``) had no ending and no edit
    replaces it, add one giving it the ending the new text has (``last``: that line with it)."""
    edits.sort(key=lambda e: (e.start, e.end))
    if last is not None and not any(e.end == count and e.start < count for e in edits):
        edits.append(LineEdit(count - 1, count, last))
        edits.sort(key=lambda e: (e.start, e.end))


def _find_lines(text: str, lines: list[str], start: int, eof: bool) -> tuple[int, int] | None:
    """Where ``lines`` occur as whole lines of ``text`` (every line ending in LF) at or after
    offset ``start`` (only as its last lines when ``eof``): their offsets from the first one's
    start to the end of the last one's LF; ``None`` when they do not, exactly."""
    needle = "\n".join(lines) + "\n"
    if eof:
        found = len(text) - len(needle)
        if found < start or not text.endswith(needle):
            return None
    else:
        found = text.find(needle, start)
        while found > 0 and text[found - 1] != "\n":  # inside a line: look further on
            found = text.find(needle, found + 1)
    if found < 0 or (found > 0 and text[found - 1] != "\n"):
        return None
    return found, found + len(needle)


def _apply_exact(
    original: str, chunks: list[UpdateChunk], edits: list[LineEdit] | None
) -> str | None:
    """:func:`apply_chunks` on a text with LF endings only, by offsets into the text instead of a
    list of its lines (for a 100,000-line file, splitting and joining it is most of the work).
    ``None`` as soon as a context header or a chunk's old lines are not there exactly (the
    tolerant search of :class:`LineIndex` then decides, line by line): found exactly, every
    chunk lands where that search's first tier puts it, and its context lines are the file's.
    Line numbers, for ``edits``, are counted only when asked for."""
    if not original:
        return None
    missing_final_ending = not original.endswith("\n")
    text = original + "\n" if missing_final_ending else original  # the last line ends too
    located: list[tuple[int, int, UpdateChunk]] = []
    additions: list[tuple[int, int, UpdateChunk]] = []
    position = 0
    for chunk in chunks:
        if chunk.change_context is not None:
            context = _find_lines(text, [chunk.change_context], position, False)
            if context is None:
                return None
            position = context[1]
        old = chunk.old_lines
        if not old:
            additions.append((len(text), len(text), chunk))
            continue
        span = _find_lines(text, old, position, chunk.is_end_of_file)
        if span is None:
            return None
        located.append((*span, chunk))
        position = span[1]
    parts: list[str] = []
    done = line = 0
    for start, end, chunk in located + additions:  # additions go at the end, in order
        parts += (text[done:start], "".join(t + "\n" for m, t in chunk.ops if m != "-"))
        if edits is not None:
            line += text.count("\n", done, start)
            _record_edits(chunk, line, "\n", edits)
            line += text.count("\n", start, end)
        done = end
    parts.append(text[done:])
    if edits is not None:
        count = text.count("\n")
        last = text[text.rfind("\n", 0, -1) + 1 :] if missing_final_ending else None
        _finish_edits(edits, count, last)
    return "".join(parts)


def _replace(lines: Lines, start: int, chunk: UpdateChunk, out: Lines, keep_endings: bool) -> int:
    """Append to ``out`` what ``chunk`` makes of ``lines`` from ``start`` (its endings too when
    ``keep_endings``), and return where its old lines end."""
    position = start
    texts, endings, ending = lines.texts, lines.endings, lines.default_ending
    for marker, text in chunk.ops:
        if marker == " ":
            out.texts.append(texts[position])
            if keep_endings:
                out.endings.append(endings[position])
            position += 1
        elif marker == "+":
            out.texts.append(text)
            if keep_endings:
                out.endings.append(ending)
        else:
            position += 1
    return position
