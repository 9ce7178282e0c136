"""What the editor's code actions ask the agent: the prompt for "Fix", "Explain", "Refactor",
"Write tests" and "Ask" on a range of a file, with the surrounding code and the diagnostic."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

CONTEXT_LINES = 20
MAX_EXCERPT_CHARS = 12_000


class CodeActionKind(StrEnum):
    """The agent's code actions."""

    FIX = "fix"
    EXPLAIN = "explain"
    REFACTOR = "refactor"
    TESTS = "tests"
    ASK = "ask"


_ASKS: dict[CodeActionKind, str] = {
    CodeActionKind.FIX: "Fix this problem. Change only what the fix needs, with apply_patch.",
    CodeActionKind.EXPLAIN: "Explain what this code does and why, briefly. Do not change files.",
    CodeActionKind.REFACTOR: "Refactor this code for clarity without changing its behaviour; "
    "apply the change with apply_patch and say what you changed.",
    CodeActionKind.TESTS: "Write tests for this code, next to the project's existing tests and "
    "in their style, and run them.",
    CodeActionKind.ASK: "Answer my questions about this code. First, summarise what it does.",
}


@dataclass(frozen=True)
class Diagnostic:
    """A problem the editor reported (from any language server)."""

    message: str
    source: str | None = None
    code: str | None = None
    line: int = 0


def code_action_prompt(
    kind: CodeActionKind,
    path: str,
    text: str,
    start_line: int,
    end_line: int,
    *,
    diagnostic: Diagnostic | None = None,
) -> str:
    """The user message a code action sends: the ask, where, the diagnostic, and the code with
    ``CONTEXT_LINES`` lines around the range (0-based, inclusive lines), numbered."""
    lines = text.splitlines()
    first = max(0, start_line - CONTEXT_LINES)
    last = min(len(lines), end_line + CONTEXT_LINES + 1)
    width = len(str(last))
    excerpt = "\n".join(
        f"{n + 1:>{width}}{'>' if start_line <= n <= end_line else ' '} {lines[n]}"
        for n in range(first, last)
    )
    if len(excerpt) > MAX_EXCERPT_CHARS:
        excerpt = excerpt[:MAX_EXCERPT_CHARS] + "\n…"
    parts = [_ASKS[kind], "", f"File: {path}, lines {start_line + 1}-{end_line + 1} (marked >)."]
    if diagnostic is not None:
        origin = " ".join(x for x in (diagnostic.source, diagnostic.code) if x)
        label = f" ({origin})" if origin else ""
        parts.append(f"Diagnostic on line {diagnostic.line + 1}{label}: {diagnostic.message}")
    parts += ["", "```", excerpt, "```"]
    return "\n".join(parts)
