"""Applies only the parts of a patch the user accepted.

An editor reviews a patch per file and per hunk, where a hunk is one ``@@`` section of the file's
unified diff (three lines of context, as :func:`difflib.unified_diff` groups them). The user's
rejections come back as hunk indices; :func:`keep_accepted` turns the planned changes into the
ones to write, and :func:`rejection_report` tells the model what was left out.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from codex_lsp.patch.apply import LineEdit
from codex_lsp.patch.files import FilePlan

CONTEXT_LINES = 3


@dataclass(frozen=True)
class Reviewed:
    """The plans to write, and each partly or wholly rejected file with its rejected hunks."""

    plans: list[FilePlan]
    rejected: dict[str, list[str]]


def hunk_texts(old: str, new: str) -> list[str]:
    """The unified-diff hunks (``@@`` header and body) turning ``old`` into ``new``, in order."""
    lines = list(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), n=CONTEXT_LINES
        )
    )[2:]
    hunks: list[str] = []
    for line in lines:
        if line.startswith("@@"):
            hunks.append("")
        hunks[-1] += line if line.endswith("\n") else line + "\n"
    return hunks


def _partial(plan: FilePlan, rejected: set[int]) -> FilePlan:
    """``plan`` with the rejected hunks of an update left as they were."""
    a = (plan.old or "").splitlines(keepends=True)
    b = (plan.new or "").splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, a, b)
    kept: list[tuple[int, int, int, int]] = []
    for index, group in enumerate(matcher.get_grouped_opcodes(CONTEXT_LINES)):
        if index not in rejected:
            kept += [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in group if tag != "equal"]
    out: list[str] = []
    position = 0
    for i1, i2, j1, j2 in kept:
        out += a[position:i1] + b[j1:j2]
        position = i2
    out += a[position:]
    edits = tuple(LineEdit(i1, i2, "".join(b[j1:j2])) for i1, i2, j1, j2 in kept)
    return plan.revised("".join(out), edits)


def keep_accepted(plans: list[FilePlan], rejected_hunks: dict[str, list[int]]) -> Reviewed:
    """The plans with the user's rejections taken out: a file whose every hunk was rejected
    (or an added/deleted file with hunk 0 rejected) is dropped, a partly rejected update keeps
    only its accepted hunks; a moved file keeps its move."""
    kept: list[FilePlan] = []
    report: dict[str, list[str]] = {}
    for plan in plans:
        rejected = set(rejected_hunks.get(plan.path, []))
        if not rejected:
            kept.append(plan)
            continue
        if plan.kind != "update":
            report[plan.path] = [f"the whole {'new' if plan.kind == 'add' else 'deleted'} file"]
            continue
        hunks = hunk_texts(plan.old or "", plan.new or "")
        report[plan.path] = [h for i, h in enumerate(hunks) if i in rejected]
        if rejected.issuperset(range(len(hunks))) and plan.move_target is None:
            continue
        kept.append(_partial(plan, rejected))
    return Reviewed(kept, report)


def rejection_report(rejected: dict[str, list[str]]) -> str:
    """What the model is told about the parts the user rejected."""
    lines = ["The user reviewed the patch and rejected these parts, which were NOT applied:"]
    for path, hunks in rejected.items():
        for hunk in hunks:
            lines.append(f"{path}: {hunk.rstrip()}")
    lines.append("Do not apply them again as they were; ask the user if unsure.")
    return "\n".join(lines) + "\n"
