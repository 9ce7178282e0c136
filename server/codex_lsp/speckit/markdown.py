"""Small Markdown building blocks for spec-kit's files and reports: bullets, tables, and a
template split into its title and ``##`` sections."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_HEADING = re.compile(r"^## +(.+?)\s*$", re.MULTILINE)
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def cell(value: object) -> str:
    """One table cell: pipes escaped, line breaks flattened."""
    return " ".join(str(value).replace("|", "\\|").split())


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table ("" when there are no rows)."""
    body = [f"| {' | '.join(cell(v) for v in row)} |" for row in rows]
    if not body:
        return ""
    head = f"| {' | '.join(headers)} |\n|{'|'.join('---' for _ in headers)}|"
    return head + "\n" + "\n".join(body)


def bullets(items: Iterable[object]) -> str:
    """A bullet list of the non-empty items ("" when there are none)."""
    return "\n".join(f"- {' '.join(str(i).split())}" for i in items if str(i).strip())


def heading_key(heading: str) -> str:
    """A heading reduced for matching: ``Requirements *(mandatory)*`` → ``requirements``."""
    heading = re.sub(r"\*?\([^)]*\)\*?", "", heading)
    return _NOT_WORD.sub(" ", heading.lower()).strip()


@dataclass(frozen=True)
class Section:
    """A ``##`` section of a template: its heading and the text under it."""

    heading: str
    body: str

    @property
    def key(self) -> str:
        """:func:`heading_key` of the heading."""
        return heading_key(self.heading)


def sections(template: str) -> tuple[str, list[Section]]:
    """The text before the first ``##`` heading, and the sections in order."""
    matches = list(_HEADING.finditer(template))
    if not matches:
        return template, []
    head = template[: matches[0].start()]
    out = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(template)
        out.append(Section(match.group(1), template[match.end() : end].strip("\n")))
    return head, out
