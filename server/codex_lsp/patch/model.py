"""The parsed form of a patch."""

from __future__ import annotations

from dataclasses import dataclass, field

from codex_lsp.errors import CodexError


class PatchError(CodexError):
    """A patch could not be parsed or applied; the message is what Codex would print."""


@dataclass
class UpdateChunk:
    """One ``@@`` section of an Update File hunk: its lines in order as (marker, text), marker
    ``" "`` (context: the file's own line is kept), ``"-"`` (removed) or ``"+"`` (added)."""

    change_context: str | None = None
    ops: list[tuple[str, str]] = field(default_factory=list)
    is_end_of_file: bool = False

    @property
    def old_lines(self) -> list[str]:
        """What the chunk expects to find."""
        return [text for marker, text in self.ops if marker != "+"]

    def without_trailing_empty_old_line(self) -> UpdateChunk:
        """The chunk minus its last expected line, which is empty (Codex retries with this)."""
        index = max(i for i, (marker, _) in enumerate(self.ops) if marker != "+")
        ops = list(self.ops)
        marker, _ = ops[index]
        if marker == " " and any(m == "+" for m, _ in ops[index + 1 :]):
            ops[index] = ("+", "")
        else:
            del ops[index]
        return UpdateChunk(self.change_context, ops, self.is_end_of_file)


@dataclass(frozen=True)
class AddFileHunk:
    """``*** Add File: path`` with its full content."""

    path: str
    contents: str


@dataclass(frozen=True)
class DeleteFileHunk:
    """``*** Delete File: path``."""

    path: str


@dataclass(frozen=True)
class UpdateFileHunk:
    """``*** Update File: path`` (optionally ``*** Move to:``) with its chunks."""

    path: str
    move_path: str | None
    chunks: list[UpdateChunk]


Hunk = AddFileHunk | DeleteFileHunk | UpdateFileHunk
