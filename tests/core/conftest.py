"""A conversation manager whose events land in an :class:`EventLog`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from tests.helpers import EventLog, ScriptedApprover


@pytest.fixture
async def manager(
    codex_home: Path, log: EventLog, approver: ScriptedApprover, workspace: Path
) -> AsyncIterator[ConversationManager]:
    """A manager on the fake provider, started in ``workspace``."""

    mgr = ConversationManager(
        FrontEnd(log.sink, approvals=approver),
        ConfigSources(home=codex_home, default_cwd=workspace),
    )
    yield mgr
    await mgr.shutdown_all()
