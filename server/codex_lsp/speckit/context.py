"""What an agent is shown of a SPEC: the constitution, the what/why documents and, for later
stages, *summaries* of the earlier stage files, each file capped (the fork's prompts grew
exponentially when prior outputs were nested verbatim). Files that are unsafe to read (FIFOs,
symlinks out of the project) are left out with a note."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.files import read_text
from codex_lsp.speckit.packet import LayoutKind, SpecPacket
from codex_lsp.speckit.stages import STAGES
from codex_lsp.speckit.tasks_md import TaskLine, parse_tasks
from codex_lsp.speckit.workspace import Workspace

SUMMARY_MAX_CHARS = 6_000
DEBUG_MARKERS = ("## Debug:", "## Raw JSON", "## Agent Proposals")
SKIPPED_SECTIONS = frozenset({"multi-agent consensus", "evidence references", "inputs"})
_SECTION = re.compile(r"^## +(.+?)\s*$", re.MULTILINE)


@dataclass
class Context:
    """The context text and what went into it."""

    text: str = ""
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def cap(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` with a marker saying how much was left out."""
    if len(text) <= max_chars:
        return text
    return text[:max_chars] + f"\n[...truncated {len(text) - max_chars} chars...]"


def summarise(text: str, max_chars: int = SUMMARY_MAX_CHARS) -> str:
    """A stage file without its debug tail and bookkeeping sections, capped."""
    cut = min((i for m in DEBUG_MARKERS if (i := text.find(m)) >= 0), default=len(text))
    text = text[:cut]
    kept: list[str] = []
    sections = list(_SECTION.finditer(text))
    kept.append(text[: sections[0].start()] if sections else text)
    for index, match in enumerate(sections):
        end = sections[index + 1].start() if index + 1 < len(sections) else len(text)
        if match.group(1).strip().lower() not in SKIPPED_SECTIONS:
            kept.append(text[match.start() : end])
    return cap("".join(kept).strip(), max_chars)


def summarise_tasks(tasks: list[TaskLine]) -> str:
    """One line per task: the part of tasks.md later stages need."""
    lines = []
    for task in tasks:
        flags = " [P]" if task.parallel else ""
        flags += f" [{task.story}]" if task.story else ""
        extra = f" (validation: {task.validation})" if task.validation else ""
        lines.append(f"- [{'x' if task.done else ' '}] {task.id}{flags} {task.description}{extra}")
    return "\n".join(lines)


def build_context(
    workspace: Workspace, packet: SpecPacket, stage: str, task: str | None = None
) -> Context:
    """The ``${CONTEXT}`` of ``stage``'s agents (``task``: implement that task alone)."""
    limit = workspace.config.speckit.context_file_max_chars
    context = Context()
    parts = [f"SPEC: {packet.id} ({workspace.relative(packet.folder)})"]

    def add(path: Path, title: str, summary: bool = False) -> str | None:
        try:
            text = read_text(path, workspace.root)
        except SpeckitError as exc:
            context.notes.append(exc.message)
            return None
        if text is None:
            return None
        context.files.append(workspace.relative(path))
        body = summarise(text, min(limit, SUMMARY_MAX_CHARS)) if summary else cap(text, limit)
        parts.append(f"## {title}\n{body}")
        return text

    add(
        workspace.layout.constitution,
        f"constitution ({workspace.relative(workspace.layout.constitution)})",
    )
    if packet.layout is LayoutKind.FORK:
        add(packet.file("PRD.md"), "PRD.md")
    add(packet.file("spec.md"), "spec.md")
    if packet.layout is LayoutKind.GITHUB and stage not in ("specify", "clarify", "plan"):
        add(packet.file("research.md"), "research.md (summary)", summary=True)
        add(packet.file("data-model.md"), "data-model.md (summary)", summary=True)
    for prior in STAGES[stage].prior:
        if prior == "tasks":
            _add_tasks(workspace, packet, task, parts, context)
            continue
        name = STAGES[prior].file
        if name:
            add(packet.file(name), f"{name} (summary)", summary=True)
    context.text = "\n\n".join(parts)
    return context


def _add_tasks(
    workspace: Workspace, packet: SpecPacket, task: str | None, parts: list[str], context: Context
) -> None:
    path = packet.file("tasks.md")
    try:
        text = read_text(path, workspace.root)
    except SpeckitError as exc:
        context.notes.append(exc.message)
        return
    if text is None:
        return
    context.files.append(workspace.relative(path))
    tasks = parse_tasks(text)
    if task is None:
        parts.append(f"## tasks.md (summary)\n{summarise_tasks(tasks)}")
        return
    chosen = next((t for t in tasks if t.id == task), None)
    if chosen is None:
        raise SpeckitError(
            f"{workspace.relative(path)} has no task {task} (its tasks: "
            f"{', '.join(t.id for t in tasks) or 'none'})"
        )
    lines = text.splitlines()[chosen.line : chosen.end_line + 1]
    parts.append(f"## The task to implement ({task}, tasks.md)\n" + "\n".join(lines))
