"""Starting an asyncio task the one way the package does it.

``asyncio`` keeps only a weak reference to a running task, so a task nobody holds can be
garbage-collected mid-flight; a failure in a task nobody awaits is reported, if ever, as
"Task exception was never retrieved" when it is collected; an unnamed task shows as
``Task-123`` in a log. :func:`create_task` fixes all three: the task is held until it ends,
it carries a name, and a failure is logged with that name (and so counts as retrieved).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

_held: set[asyncio.Task[Any]] = set()
"""Tasks started without an owner, until they end."""


def create_task(
    work: Coroutine[Any, Any, T], *, name: str, owner: set[asyncio.Task[T]] | None = None
) -> asyncio.Task[T]:
    """Run ``work`` as a task named ``name``, held in ``owner`` (a set its owner can cancel
    at shutdown) or in a module-wide set until it ends. A failure (not a cancellation) is
    logged with the task's name; whoever awaits the task still gets it."""
    task = asyncio.get_running_loop().create_task(work, name=name)
    held: set[Any] = _held if owner is None else owner
    held.add(task)
    task.add_done_callback(lambda done: _finished(done, held))
    return task


def _finished(task: asyncio.Task[Any], held: set[Any]) -> None:
    held.discard(task)
    if task.cancelled():
        return
    failure = task.exception()
    if failure is not None:
        log.error("task %s failed: %s", task.get_name(), failure, exc_info=failure)
