"""The parsed form of a patch, and :class:`Record`, the value-type base of the patch modules."""

from __future__ import annotations

from codex_lsp.errors import CodexError

TYPE_CHECKING = False  # typing's own would import typing, which apply-patch does not need
if TYPE_CHECKING:
    from typing import Final


class PatchError(CodexError):
    """A patch could not be parsed or applied; the message is what Codex would print."""


class Record:
    """Field-wise equality, hashing and repr over ``__slots__``: what the patch's value types
    took from ``@dataclass``, without its import (dataclasses loads inspect: ~18 ms, half of
    Codex's whole apply_patch run, in the ``apply-patch`` command's start-up). A subclass names
    its fields in ``__slots__`` and marks the immutable ones ``Final``."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        """Same type, equal fields."""
        return type(other) is type(self) and self._values() == other._values()

    def __hash__(self) -> int:
        """By the fields (a record holding a list is unhashable, as a dataclass's would be)."""
        return hash(self._values())

    def __repr__(self) -> str:
        """``Name(field=value, ...)``."""
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class UpdateChunk(Record):
    """One ``@@`` section of an Update File hunk: its lines in order as (marker, text), marker
    ``" "`` (context: the file's own line is kept), ``"-"`` (removed) or ``"+"`` (added)."""

    __slots__ = ("change_context", "is_end_of_file", "ops")

    def __init__(
        self,
        change_context: str | None = None,
        ops: list[tuple[str, str]] | None = None,
        is_end_of_file: bool = False,
    ) -> None:
        self.change_context = change_context
        self.ops: list[tuple[str, str]] = [] if ops is None else ops
        self.is_end_of_file = is_end_of_file

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


class AddFileHunk(Record):
    """``*** Add File: path`` with its full content."""

    __slots__ = ("contents", "path")
    path: Final[str]
    contents: Final[str]

    def __init__(self, path: str, contents: str) -> None:
        self.path = path
        self.contents = contents


class DeleteFileHunk(Record):
    """``*** Delete File: path``."""

    __slots__ = ("path",)
    path: Final[str]

    def __init__(self, path: str) -> None:
        self.path = path


class UpdateFileHunk(Record):
    """``*** Update File: path`` (optionally ``*** Move to:``) with its chunks."""

    __slots__ = ("chunks", "move_path", "path")
    path: Final[str]
    move_path: Final[str | None]
    chunks: Final[list[UpdateChunk]]

    def __init__(self, path: str, move_path: str | None, chunks: list[UpdateChunk]) -> None:
        self.path = path
        self.move_path = move_path
        self.chunks = chunks


Hunk = AddFileHunk | DeleteFileHunk | UpdateFileHunk
