"""The SPEC documents the native heuristics read, split into prose lines (code fences, HTML
comments and headings skipped) and ``#`` sections, with the line numbers an issue points at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.files import read_text
from codex_lsp.speckit.markdown import heading_key
from codex_lsp.speckit.packet import LayoutKind, SpecPacket
from codex_lsp.speckit.workspace import Workspace

_HEADING = re.compile(r"^(#{1,6}) +(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SEPARATOR = re.compile(r"^\s*\|?[\s:|-]+\|[\s:|-]*$")


@dataclass(frozen=True)
class Heading:
    """A heading: its level, text, key (:func:`heading_key`) and line."""

    level: int
    text: str
    key: str
    line: int


@dataclass
class Document:
    """One file: where it is (relative to the project), its lines and headings, and the
    0-based numbers of its prose lines."""

    path: str
    name: str
    lines: list[str]
    headings: list[Heading] = field(default_factory=list)
    prose: list[int] = field(default_factory=list)

    @classmethod
    def parse(cls, path: str, name: str, text: str) -> Document:
        """Split ``text``."""
        doc = cls(path, name, text.splitlines())
        in_fence = in_comment = False
        for number, line in enumerate(doc.lines):
            if _FENCE.match(line):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            visible = line
            if in_comment:
                if "-->" not in line:
                    continue
                visible, in_comment = line.split("-->", 1)[1], False
            visible = re.sub(r"<!--.*?-->", "", visible)
            if "<!--" in visible:
                visible, in_comment = visible.split("<!--", 1)[0], True
            if match := _HEADING.match(visible):
                text_ = match.group(2)
                doc.headings.append(Heading(len(match.group(1)), text_, heading_key(text_), number))
                continue
            if visible.strip() and not _SEPARATOR.match(visible):
                doc.prose.append(number)
        return doc

    def prose_lines(self) -> Iterator[tuple[int, str]]:
        """``(line number, text)`` of every prose line (comments removed)."""
        for number in self.prose:
            yield number, re.sub(r"<!--.*?(-->|$)", "", self.lines[number])

    def section(self, *keys: str) -> Heading | None:
        """The first heading whose key is one of ``keys``."""
        return next((h for h in self.headings if h.key in keys), None)

    def section_has_content(self, heading: Heading) -> bool:
        """Whether prose follows ``heading`` before the next heading of its level or above."""
        end = next(
            (h.line for h in self.headings if h.line > heading.line and h.level <= heading.level),
            len(self.lines),
        )
        return any(heading.line < n < end for n in self.prose)


@dataclass
class Packet:
    """The documents of a SPEC that exist, and notes about those that could not be read."""

    docs: dict[str, Document] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def get(self, name: str) -> Document | None:
        """A document by file name (``spec.md``)."""
        return self.docs.get(name)


WHAT_DOCS = {LayoutKind.FORK: ("PRD.md", "spec.md"), LayoutKind.GITHUB: ("spec.md",)}


def read_packet(workspace: Workspace, packet: SpecPacket, names: tuple[str, ...]) -> Packet:
    """The documents ``names`` of ``packet`` (``constitution`` means the project's)."""
    out = Packet()
    for name in names:
        path = workspace.layout.constitution if name == "constitution" else packet.file(name)
        try:
            text = read_text(path, workspace.root)
        except SpeckitError as exc:
            out.notes.append(exc.message)
            continue
        if text is not None:
            out.docs[name] = Document.parse(workspace.relative(path), name, text)
    return out
