"""A conversation manager whose events land in an :class:`EventLog`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.core.conversation import ApprovalRequest
from codex_lsp.protocol.events import EventEnvelope
from codex_lsp.protocol.policies import ReviewDecision
from tests.helpers import EventLog


class ScriptedApprover:
    """Answers approval requests from a list and records what was asked."""

    def __init__(self) -> None:
        self.answers: list[ReviewDecision] = []
        self.asked: list[ApprovalRequest] = []

    async def __call__(self, conversation_id: str, request: ApprovalRequest) -> ReviewDecision:
        self.asked.append(request)
        return self.answers.pop(0) if self.answers else ReviewDecision.DENIED


@pytest.fixture
def log() -> EventLog:
    """Events of every conversation."""
    return EventLog()


@pytest.fixture
def approver() -> ScriptedApprover:
    """Approval answers the test scripts."""
    return ScriptedApprover()


@pytest.fixture
async def manager(
    codex_home: Path, log: EventLog, approver: ScriptedApprover, workspace: Path
) -> AsyncIterator[ConversationManager]:
    """A manager on the fake provider, started in ``workspace``."""

    def sink(event: EventEnvelope) -> None:
        log.add(event.to_wire())

    mgr = ConversationManager(sink, approvals=approver, home=codex_home, default_cwd=workspace)
    yield mgr
    await mgr.shutdown_all()
