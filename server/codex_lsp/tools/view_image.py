"""``view_image``: the model looks at a local image; it is attached to the conversation right
after the tool's output, so the next request shows it to the model."""

from __future__ import annotations

import asyncio
from pathlib import Path

from codex_lsp.images import image_data_url
from codex_lsp.protocol.events import ViewImageToolCallEvent
from codex_lsp.tools.registry import (
    ToolArgs,
    ToolInvocation,
    ToolInvocationError,
    ToolOutput,
    ToolSession,
    parse_arguments,
)


class ViewImageArgs(ToolArgs):
    """Arguments of ``view_image``."""

    path: str


def _load(cwd: Path, raw: str) -> tuple[Path, str]:
    path = (cwd / Path(raw).expanduser()).resolve()
    return path, image_data_url(path)


async def handle_view_image(session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
    """Read the image and queue it for the model."""
    args = parse_arguments(ViewImageArgs, invocation)
    try:
        path, url = await asyncio.to_thread(_load, session.cwd, args.path)  # up to 20 MiB
    except (OSError, ValueError) as exc:
        raise ToolInvocationError(f"view_image: cannot attach {args.path}: {exc}") from exc
    session.attach_image(str(path), url)
    session.emit(
        ViewImageToolCallEvent(turn_id=session.turn_id, call_id=invocation.call_id, path=str(path))
    )
    return ToolOutput(f"attached image {path}")
