"""Every approval policy under every sandbox mode, end to end over LSP: the model asks to create a
file in the workspace; the client approves whatever it is asked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_lsp.exec import sandbox
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.lsp.conftest import Session, open_session

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support"),
]

# (approval policy, sandbox mode) -> (client asked?, file created?)
MATRIX = {
    ("untrusted", "read-only"): (True, False),
    ("untrusted", "workspace-write"): (True, True),
    ("untrusted", "danger-full-access"): (True, True),
    ("on-failure", "read-only"): (True, True),
    ("on-failure", "workspace-write"): (False, True),
    ("on-failure", "danger-full-access"): (False, True),
    ("on-request", "read-only"): (False, False),
    ("on-request", "workspace-write"): (False, True),
    ("on-request", "danger-full-access"): (False, True),
    ("never", "read-only"): (False, False),
    ("never", "workspace-write"): (False, True),
    ("never", "danger-full-access"): (False, True),
}


@pytest.fixture
async def session(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> AsyncIterator[Session]:
    """One VS Code-profile session that answers approvals itself."""
    async with open_session(
        codex_home, workspace, "visual-studio-code", custom_approvals=True
    ) as s:
        yield s


@pytest.mark.parametrize(("policy", "mode"), list(MATRIX), ids=[f"{p}-{m}" for p, m in MATRIX])
async def test_matrix(
    policy: str, mode: str, session: Session, model_server: FakeModelServer, workspace: Path
) -> None:
    asked, created = MATRIX[(policy, mode)]
    session.approvals = ["approved", "approved"]
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "made.txt"]}),)), Reply((Text("done"),))
    )
    conv = await session.new_conversation(approvalPolicy=policy, sandbox=mode)
    await session.say(conv, "create made.txt")
    await session.log.wait_for("taskComplete", conv)
    assert bool(session.asked) is asked
    assert (workspace / "made.txt").exists() is created
    if not created:
        output = str(model_server.requests[-1].body["input"])
        assert "Permission denied" in output or "Read-only" in output
