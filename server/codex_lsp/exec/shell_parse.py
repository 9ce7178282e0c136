"""Reads a shell script with a real bash parser (bashlex) and returns its simple commands, or
``None`` when it uses anything beyond plain commands joined by ``&&``, ``||``, ``;`` and ``|``:
redirections, command or process substitution, parameter expansion, assignments, subshells,
control flow and background jobs all make a script opaque (and so never "known safe").

bashlex builds its LALR tables on import (~150 ms), so it is imported on first use
(:func:`parser`); the language server calls that ahead of time on a worker thread."""

from __future__ import annotations

import importlib
from typing import Any

_LIST_OPERATORS = {"&&", "||", ";", "\n"}


def parser() -> Any:
    """The bashlex module, imported on the first call."""
    return importlib.import_module("bashlex")


def parse_script(script: str) -> list[list[str]] | None:
    """The argv of every simple command in ``script``, in order; ``None`` if it is not plain."""
    try:
        nodes = parser().parse(script)
    except Exception:  # bashlex raises its own errors and, on odd input, builtin ones
        return None
    commands: list[list[str]] = []
    return commands if all(_visit(node, commands) for node in nodes) else None


def _visit(node: Any, commands: list[list[str]]) -> bool:
    kind = node.kind
    if kind == "list":
        return all(
            node_part.op in _LIST_OPERATORS
            if node_part.kind == "operator"
            else _visit(node_part, commands)
            for node_part in node.parts
        )
    if kind == "pipeline":
        return all(
            part.pipe == "|" if part.kind == "pipe" else _visit(part, commands)
            for part in node.parts
        )
    if kind == "command":
        argv = []
        for part in node.parts:
            if part.kind != "word" or getattr(part, "parts", None):
                return False  # a redirect, an assignment, or a word with an expansion inside
            argv.append(part.word)
        if argv:
            commands.append(argv)
        return bool(argv)
    return False
