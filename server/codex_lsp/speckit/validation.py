"""``/speckit.validate``'s commands: the ``**Validation**`` lines of the SPEC's ``tasks.md``,
run through the conversation's normal ``shell`` tool, so the sandbox, the approval policy, the
command rules and the command items the client shows all apply as to a command the model runs
(the repository, and so tasks.md, is untrusted). Their results are given to the agents."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.files import read_text
from codex_lsp.speckit.packet import SpecPacket
from codex_lsp.speckit.tasks_md import parse_tasks
from codex_lsp.tools.registry import ToolInvocation, ToolSession
from codex_lsp.tools.shell import handle_shell
from codex_lsp.tools.truncation import truncate_middle

VALIDATION_TIMEOUT_MS = 10 * 60 * 1000
RESULT_MAX_BYTES = 4_000
MAX_COMMANDS = 50


@dataclass(frozen=True)
class ValidationResult:
    """One command's run: which task named it, the command, whether it passed, its output."""

    task_id: str
    command: str
    ok: bool
    output: str


def validation_commands(packet: SpecPacket, root: Path) -> list[tuple[str, str]]:
    """(task id, command) of every task of ``tasks.md`` with a ``**Validation**`` line, each
    command once, at most :data:`MAX_COMMANDS` (blocking: call it in a worker thread)."""
    text = read_text(packet.file("tasks.md"), root)
    if text is None:
        raise SpeckitError(
            f"{packet.id} has no tasks.md, so no validation commands: run /speckit.tasks "
            f"{packet.id} first"
        )
    seen: dict[str, str] = {}
    for task in parse_tasks(text):
        if task.validation and task.validation not in seen:
            seen[task.validation] = task.id
    return [(task_id, command) for command, task_id in list(seen.items())[:MAX_COMMANDS]]


async def run_validation(
    session: ToolSession, commands: list[tuple[str, str]]
) -> list[ValidationResult]:
    """Run each command in the session's turn, one after another, as ``bash -lc``."""
    results = []
    for task_id, command in commands:
        arguments = {"command": ["bash", "-lc", command], "timeout_ms": VALIDATION_TIMEOUT_MS}
        invocation = ToolInvocation(
            f"speckit-validate-{uuid.uuid4().hex[:8]}", "shell", json.dumps(arguments), False
        )
        output = await handle_shell(session, invocation)
        results.append(
            ValidationResult(
                task_id, command, output.success, truncate_middle(output.text, RESULT_MAX_BYTES)
            )
        )
    return results


def report(results: list[ValidationResult]) -> str:
    """The results as the agents are shown them."""
    if not results:
        return "tasks.md names no **Validation** commands; nothing was run."
    lines = ["The validation commands of tasks.md were run; their results:"]
    for result in results:
        verdict = "passed" if result.ok else "FAILED"
        lines.append(f"\n### {result.task_id}: `{result.command}`: {verdict}")
        lines.append(f"```\n{result.output}\n```")
    return "\n".join(lines)
