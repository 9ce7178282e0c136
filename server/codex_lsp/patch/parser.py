"""Parses the apply_patch format with Codex's leniency and its exact error messages.

Accepted: surrounding whitespace, a heredoc wrapper (``<<'EOF'`` … ``EOF``), CR before LF,
whitespace-padded file markers at the top level, a first chunk without ``@@``, blank lines
between chunks.
"""

from __future__ import annotations

from codex_lsp.patch.model import (
    AddFileHunk,
    DeleteFileHunk,
    Hunk,
    PatchError,
    UpdateChunk,
    UpdateFileHunk,
)
from codex_lsp.patch.paths import path_problem

BEGIN = "*** Begin Patch"
END = "*** End Patch"
ADD = "*** Add File: "
DELETE = "*** Delete File: "
UPDATE = "*** Update File: "
MOVE = "*** Move to: "
EOF_MARKER = "*** End of File"
_HEREDOC_STARTS = ("<<EOF", "<<'EOF'", '<<"EOF"')
_OP_MARKERS = frozenset(("", " ", "+", "-"))
"""What a chunk's line starts with (``""``: an empty line, context)."""


def _hunk_error(line_number: int, message: str) -> PatchError:
    return PatchError(f"Invalid patch hunk on line {line_number}: {message}")


def _body_lines(text: str) -> list[str]:
    """The lines between Begin and End, after the lenient boundary checks."""
    lines = text.strip().split("\n")
    if "\r" in text:
        lines = [line.removesuffix("\r") for line in lines]
    if _has_boundaries(lines):
        return lines[1:-1]
    if (
        len(lines) >= 4
        and lines[0].strip() in _HEREDOC_STARTS
        and lines[-1].strip().endswith("EOF")
    ):
        inner = lines[1:-1]
        if _has_boundaries(inner):
            return inner[1:-1]
    if not lines or lines[0].strip() != BEGIN:
        raise PatchError("Invalid patch: The first line of the patch must be '*** Begin Patch'")
    raise PatchError("Invalid patch: The last line of the patch must be '*** End Patch'")


def _has_boundaries(lines: list[str]) -> bool:
    return len(lines) >= 2 and lines[0].strip() == BEGIN and lines[-1].strip() == END


def parse_patch(text: str) -> list[Hunk]:
    """The hunks of ``text``, in order. Raises :class:`PatchError` with Codex's messages."""
    lines = _body_lines(text)
    hunks: list[Hunk] = []
    index = 0  # the lines are read in place, never copied: a patch may have thousands
    while index < len(lines):
        hunk, consumed = _parse_hunk(lines, index)
        hunks.append(hunk)
        index += consumed
    return hunks


def _checked(path: str, line_number: int) -> str:
    """``path`` when it can name a file; else the hunk's error saying why not."""
    problem = path_problem(path)
    if problem is not None:
        raise _hunk_error(line_number, problem)
    return path


def _parse_hunk(lines: list[str], at: int) -> tuple[Hunk, int]:
    """The hunk at ``lines[at]`` and how many lines it takes (line numbers count from the
    patch's first line, ``*** Begin Patch``, which the body lines follow)."""
    line_number = at + 2
    first = lines[at].strip()
    if first.startswith(ADD):
        contents = []
        consumed = 1
        for index in range(at + 1, len(lines)):
            line = lines[index]
            if not line.startswith("+"):
                break
            contents.append(line[1:] + "\n")
            consumed += 1
        return AddFileHunk(_checked(first[len(ADD) :], line_number), "".join(contents)), consumed
    if first.startswith(DELETE):
        return DeleteFileHunk(_checked(first[len(DELETE) :], line_number)), 1
    if first.startswith(UPDATE):
        return _parse_update(lines, at, _checked(first[len(UPDATE) :], line_number))
    raise _hunk_error(
        line_number,
        f"'{first}' is not a valid hunk header. Valid hunk headers: '*** Add File: {{path}}', "
        "'*** Delete File: {path}', '*** Update File: {path}'",
    )


def _parse_update(lines: list[str], at: int, path: str) -> tuple[UpdateFileHunk, int]:
    line_number = at + 2
    consumed = 1
    move_path = None
    if at + 1 < len(lines) and lines[at + 1].startswith(MOVE):
        move_path = _checked(lines[at + 1][len(MOVE) :].rstrip(), line_number + 1)
        consumed += 1
    chunks: list[UpdateChunk] = []
    while at + consumed < len(lines):
        line = lines[at + consumed]
        if not line.strip():
            consumed += 1
            continue
        if line.startswith("***"):
            break
        chunk, used = _parse_chunk(lines, at + consumed, not chunks)
        chunks.append(chunk)
        consumed += used
    if not chunks:
        raise _hunk_error(line_number, f"Update file hunk for path '{path}' is empty")
    return UpdateFileHunk(path, move_path, chunks), consumed


def _parse_chunk(lines: list[str], at: int, allow_missing_context: bool) -> tuple[UpdateChunk, int]:
    line_number = at + 2
    first = lines[at].rstrip()
    if first == "@@":
        chunk, start = UpdateChunk(), 1
    elif first.startswith("@@ "):
        chunk, start = UpdateChunk(change_context=first[3:]), 1
    elif allow_missing_context:
        chunk, start = UpdateChunk(), 0
    else:
        raise _hunk_error(
            line_number,
            f"Expected update hunk to start with a @@ context marker, got: '{lines[at]}'",
        )
    if at + start >= len(lines):
        raise _hunk_error(line_number + 1, "Update hunk does not contain any lines")
    parsed = 0
    ops = chunk.ops
    for index in range(at + start, len(lines)):  # islice would step over every earlier line
        line = lines[index]
        marker = line[:1]
        if marker in _OP_MARKERS:  # the common case first: EOF_MARKER starts with none of them
            ops.append((marker, line[1:]) if marker else (" ", ""))
            parsed += 1
            continue
        if line.rstrip() == EOF_MARKER:
            if parsed == 0:
                raise _hunk_error(line_number + 1, "Update hunk does not contain any lines")
            chunk.is_end_of_file = True
            parsed += 1
            break
        if parsed == 0:
            raise _hunk_error(
                line_number + start,
                f"Unexpected line found in update hunk: '{line}'. Every line should start with "
                "' ' (context line), '+' (added line), or '-' (removed line)",
            )
        break
    return chunk, parsed + start
