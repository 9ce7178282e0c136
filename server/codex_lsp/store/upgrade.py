"""Events stored by older versions, brought to today's protocol as they are read.

Replaying a conversation on resume must show clients only what the protocol defines today, also
for rows an older codex-lsp wrote (before an upgrade, or while one still runs beside a newer one
on the same store). One change so far: plan steps were ``in_progress``; every enumerated value
of the protocol is camelCase, so they are ``inProgress``.
"""

from __future__ import annotations

import json
from typing import Any

_OLD_STATUS = '"in_progress"'
_RENAMED = {"in_progress": "inProgress"}


def upgraded_event(body: str) -> str:
    """``body`` (an event's JSON) in today's spelling; the same string when nothing changed."""
    if _OLD_STATUS not in body:
        return body
    event: Any = json.loads(body)
    item = event.get("item") if isinstance(event, dict) else None
    if isinstance(event, dict) and event.get("type") == "planUpdate":
        steps = event.get("plan")
    elif isinstance(item, dict) and item.get("type") == "plan":
        steps = item.get("plan")
    else:
        return body
    changed = False
    for step in steps if isinstance(steps, list) else []:
        status = step.get("status") if isinstance(step, dict) else None
        if status in _RENAMED:
            step["status"] = _RENAMED[status]
            changed = True
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")) if changed else body
