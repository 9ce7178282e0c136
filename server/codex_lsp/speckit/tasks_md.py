"""The one parser of task lines, for both formats: the fork's ``- [ ] T001 [P] desc`` with
``**Validation**`` / ``**Artifact**`` sub-lines, and GitHub spec-kit's
``- [ ] T001 [P] [US1] desc path``. Every task keeps its line numbers and the column of its
checkbox, so an editor can put a code lens on it and tick it with a one-character edit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TASK_LINE = re.compile(
    r"^(?P<indent>[ \t]*)[-*] \[(?P<mark>[ xX])\] (?P<id>T\d{3,})"
    r"(?P<parallel> \[P\])?(?: \[(?P<story>US\d+|Story: P\d)\])?(?: (?P<rest>.*))?$"
)
_SUB_LINE = re.compile(
    r"^[ \t]*(?:[-*][ \t]+)?\*\*(?P<key>Validation|Artifact)\*\*:?[ \t]*(?P<v>.*)$"
)
_PATH = re.compile(r"^[\w.@~-]*(?:/[\w.@~-]+)+/?$|^[\w.@~-]+\.[A-Za-z0-9]{1,8}$")
_HEADING = re.compile(r"^#{1,6} ")


@dataclass(frozen=True)
class TaskLine:
    """One task: id, done, ``[P]``, story, description, the paths it names, the fork's
    validation command and artifact, its phase heading, and where it is in the file."""

    id: str
    done: bool
    parallel: bool
    story: str | None
    description: str
    paths: tuple[str, ...]
    validation: str | None
    artifact: str | None
    phase: str | None
    line: int
    """The task line, 0-based."""
    end_line: int
    """The last line of the task (its last sub-line), 0-based."""
    checkbox_column: int
    """The column of the character between ``[`` and ``]``: tick by replacing it with ``x``."""
    sub_lines: dict[str, int] = field(default_factory=dict)
    """The line of each sub-line (``Validation``, ``Artifact``)."""


def _strip_code(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == "`":
        return value[1:-1].strip()
    return value


def _paths(description: str) -> tuple[str, ...]:
    """Words of the description that look like file paths (``src/models/user.py``)."""
    found = []
    for raw in description.split():
        word = raw.strip("`'\",;:()[]").rstrip(".")
        if _PATH.match(word) and not word.replace(".", "").isdigit():
            found.append(word)
    return tuple(found)


def parse_tasks(text: str) -> list[TaskLine]:
    """Every task of a ``tasks.md``, in order."""
    tasks: list[TaskLine] = []
    phase: str | None = None
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if _HEADING.match(line):
            phase = line.lstrip("#").strip()
            index += 1
            continue
        match = TASK_LINE.match(line)
        if match is None:
            index += 1
            continue
        values: dict[str, str] = {}
        sub_lines: dict[str, int] = {}
        end = index
        following = index + 1
        while following < len(lines) and (sub := _SUB_LINE.match(lines[following])):
            values[sub.group("key")] = _strip_code(sub.group("v"))
            sub_lines[sub.group("key")] = following
            end = following
            following += 1
        description = (match.group("rest") or "").strip()
        tasks.append(
            TaskLine(
                id=match.group("id"),
                done=match.group("mark") != " ",
                parallel=match.group("parallel") is not None,
                story=match.group("story"),
                description=description,
                paths=_paths(description),
                validation=values.get("Validation") or None,
                artifact=values.get("Artifact") or None,
                phase=phase,
                line=index,
                end_line=end,
                checkbox_column=len(match.group("indent")) + 3,
                sub_lines=sub_lines,
            )
        )
        index = following
    return tasks


@dataclass(frozen=True)
class TaskDraft:
    """A task to be written: what :func:`format_task` needs (no position in a file yet)."""

    id: str
    description: str
    parallel: bool = False
    story: str | None = None
    done: bool = False
    validation: str | None = None
    artifact: str | None = None


def format_task(task: TaskDraft) -> str:
    """The lines of one task as spec-kit writes them: GitHub's line format with the fork's
    sub-lines (both readers accept it)."""
    head = f"- [{'x' if task.done else ' '}] {task.id}"
    head += " [P]" if task.parallel else ""
    head += f" [{task.story}]" if task.story else ""
    out = [f"{head} {' '.join(task.description.split())}"]
    if task.validation:
        out.append(f"  - **Validation**: `{task.validation}`")
    if task.artifact:
        out.append(f"  - **Artifact**: `{task.artifact}`")
    return "\n".join(out)


def first_open(text: str) -> TaskLine | None:
    """The first task not ticked yet (what ``/speckit.implement`` without a task takes)."""
    return next((t for t in parse_tasks(text) if not t.done), None)


def tick(text: str, task_id: str) -> str | None:
    """``text`` with ``task_id`` ticked (``[x]``); None when it has no such task or it is
    ticked already."""
    task = next((t for t in parse_tasks(text) if t.id == task_id), None)
    if task is None or task.done:
        return None
    lines = text.split("\n")
    line = lines[task.line]
    column = task.checkbox_column
    lines[task.line] = f"{line[:column]}x{line[column + 1 :]}"
    return "\n".join(lines)
