"""The fork's ``SPEC.md`` tracker: a Markdown table with one row per SPEC, read for status and
given a row by ``/speckit.new``."""

from __future__ import annotations

from dataclasses import dataclass

COLUMNS = (
    "Order",
    "Task ID",
    "Title",
    "Status",
    "Owners",
    "PRD",
    "Branch",
    "PR",
    "Last Validation",
    "Evidence",
    "Notes",
)
HEADER = "| " + " | ".join(COLUMNS) + " |"
SEPARATOR = "|" + "|".join("-------" for _ in COLUMNS) + "|"
NEW_FILE = f"# SPEC Tracker\n\n{HEADER}\n{SEPARATOR}\n"


@dataclass(frozen=True)
class TrackerRow:
    """One row: its cells by column name, its line (0-based) and its text."""

    cells: dict[str, str]
    line: int
    text: str

    def get(self, column: str) -> str:
        """A cell, empty when the row has none."""
        return self.cells.get(column, "")


def _cells(line: str) -> list[str]:
    """The cells of a table line; ``\\|`` is a pipe inside a cell."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    cells, current, escaped = [], "", False
    for char in body:
        if escaped:
            current += char if char == "|" else "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += char
    cells.append((current + ("\\" if escaped else "")).strip())
    return cells


def _is_separator(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith("|") and set(stripped) <= set("|-: ") and "-" in stripped


def rows(text: str) -> list[TrackerRow]:
    """The rows of the first table whose header has a ``Task ID`` column."""
    lines = text.splitlines()
    for index, line in enumerate(lines[:-1]):
        if not line.lstrip().startswith("|") or not _is_separator(lines[index + 1]):
            continue
        header = _cells(line)
        if "Task ID" not in header:
            continue
        found = []
        for number in range(index + 2, len(lines)):
            if not lines[number].lstrip().startswith("|"):
                break
            values = _cells(lines[number])
            found.append(TrackerRow(dict(zip(header, values, strict=False)), number, lines[number]))
        return found
    return []


def find(text: str, spec_id: str) -> TrackerRow | None:
    """The row of ``spec_id``."""
    return next((r for r in rows(text) if r.get("Task ID") == spec_id), None)


def escape(cell: str) -> str:
    """A cell's text with pipes escaped and line breaks flattened."""
    return " ".join(cell.replace("|", "\\|").split())


def insert_row(text: str, values: dict[str, str]) -> str:
    """``text`` with a row for ``values`` right under the table's separator (the fork puts new
    SPECs first); a file without the table gets one appended. ``Order`` is the next number."""
    existing = rows(text)
    orders = [int(r.get("Order")) for r in existing if r.get("Order").isdigit()]
    cells = {**values, "Order": str(max(orders, default=0) + 1)}
    row = "| " + " | ".join(escape(cells.get(c, "")) for c in COLUMNS) + " |"
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines[:-1]):
        if "Task ID" in _cells(line) and _is_separator(lines[index + 1]):
            lines.insert(index + 2, row + "\n")
            if not lines[index + 1].endswith("\n"):
                lines[index + 1] += "\n"
            return "".join(lines)
    prefix = text if not text or text.endswith("\n") else text + "\n"
    return prefix + ("\n" if prefix else "") + f"{HEADER}\n{SEPARATOR}\n{row}\n"
