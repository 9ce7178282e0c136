"""``/speckit.constitution`` when its stage has no agents: create the project's constitution from
the template when there is none, else report its version, principles and unfilled placeholders."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

from codex_lsp.speckit.files import read_text, write_text
from codex_lsp.speckit.result import CommandResult
from codex_lsp.speckit.templates import fill, find_template
from codex_lsp.speckit.workspace import Workspace

_VERSION = re.compile(r"\*\*Version\*\*:\s*(\S+)")
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9_ ]{2,}\]")


def constitution_sync(workspace: Workspace, now: datetime | None = None) -> CommandResult:
    """Create or describe the constitution (blocking)."""
    path = workspace.layout.constitution
    shown = workspace.relative(path)
    text = read_text(path, workspace.root)
    if text is None:
        values = {
            "PROJECT_NAME": workspace.root.name,
            "DATE": (now or datetime.now(UTC)).strftime("%Y-%m-%d"),
        }
        write_text(
            path, workspace.root, fill(find_template("constitution", workspace).text, values)
        )
        return CommandResult(
            True,
            f"✅ Created {shown} from the template: write its core principles, then run "
            "/speckit.analyze to check SPECs against it.",
            {"command": "speckit.constitution", "path": shown, "created": True},
            (path,),
        )
    version = match.group(1) if (match := _VERSION.search(text)) else None
    principles = len(re.findall(r"^### ", text, re.MULTILINE))
    left = sorted(set(_PLACEHOLDER.findall(text)))
    lines = [
        f"# Constitution ({shown})",
        "",
        f"- Version: {version or 'none (add **Version**: 1.0.0)'}",
        f"- Principles: {principles}",
    ]
    if left:
        lines.append(f"- ⚠ Unfilled placeholders: {', '.join(left)}")
    lines.append(
        "\nTo have agents amend it, give the constitution stage agents ([speckit.stages] "
        "constitution)."
    )
    data = {
        "command": "speckit.constitution",
        "path": shown,
        "created": False,
        "version": version,
        "principles": principles,
        "placeholders": left,
    }
    return CommandResult(True, "\n".join(lines), data)


async def speckit_constitution(workspace: Workspace) -> CommandResult:
    """``/speckit.constitution`` (native), off the event loop."""
    return await asyncio.to_thread(constitution_sync, workspace)
