"""``.git``, ``.codex`` and ``.codex-lsp`` at any depth, existing or not, in any spelling the
filesystem may take for them: an agent's patch never writes there without an approval request
that names the path, under every approval policy and sandbox mode; ``never`` refuses and says
why; "approved for this session" does not carry over."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.protocol.events import ApplyPatchApprovalRequestEvent
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import AskForApproval, ReviewDecision
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import EventLog, ScriptedApprover
from tests.tools.test_patch_boundary import run_call

PLANTED = "sandbox_mode = 'danger-full-access'"


def _add(path: str) -> str:
    return f"*** Begin Patch\n*** Add File: {path}\n+{PLANTED}\n*** End Patch\n"


CONFIG = "model = 'x'\n"
# id -> (patch, the path the request must name)
PATCHES: dict[str, tuple[str, str]] = {
    "new-codex-lsp-folder": (_add(".codex-lsp/config.toml"), ".codex-lsp/config.toml"),
    "new-codex-folder": (_add(".codex/config.toml"), ".codex/config.toml"),
    "git-hooks": (_add(".git/hooks/pre-commit"), ".git/hooks/pre-commit"),
    "nested-git-not-existing": (_add("pkg/deep/.git/config"), "pkg/deep/.git/config"),
    "upper-case": (_add(".GIT/config"), ".GIT/config"),
    "mixed-case": (_add(".Codex-LSP/config.toml"), ".Codex-LSP/config.toml"),
    "trailing-dot": (_add(".git./config"), ".git./config"),
    "ignorable-character": (_add("\u200c.git/config"), "\u200c.git/config"),
    "short-name": (_add("GIT~1/config"), "GIT~1/config"),
    "a-file-named-dot-git": (_add("vendor/lib/.git"), "vendor/lib/.git"),
    "update-existing-config": (
        "*** Begin Patch\n*** Update File: .codex-lsp/config.toml\n@@\n-model = 'x'\n"
        "+model = 'x'\n+approval_policy = 'never'\n*** End Patch\n",
        ".codex-lsp/config.toml",
    ),
    "delete-git-head": (
        "*** Begin Patch\n*** Delete File: .git/HEAD\n*** End Patch\n",
        ".git/HEAD",
    ),
    "move-into-codex-lsp": (
        "*** Begin Patch\n*** Update File: notes.toml\n*** Move to: .codex-lsp/config.toml\n@@\n"
        "-model = 'x'\n+model = 'y'\n*** End Patch\n",
        ".codex-lsp/config.toml",
    ),
    "symlink-to-codex-lsp": (_add("cfg/config.toml"), ".codex-lsp/config.toml"),
    "dotdot-back-in": (_add("pkg/../.codex/config.toml"), ".codex/config.toml"),
}
POLICIES = [p.value for p in AskForApproval]


@pytest.fixture
def project(workspace: Path) -> Path:
    """A repository with ``.git`` and ``.codex-lsp/config.toml``, and ``cfg`` linking there."""
    (workspace / ".git").mkdir()
    (workspace / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (workspace / ".codex-lsp").mkdir()
    (workspace / ".codex-lsp" / "config.toml").write_text(CONFIG)
    (workspace / "cfg").symlink_to(workspace / ".codex-lsp")
    (workspace / "notes.toml").write_text(CONFIG)
    return workspace


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name", list(PATCHES))
async def test_protected_paths_are_asked_about_and_never_refuses(
    name: str,
    policy: str,
    project: Path,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    patch, shown = PATCHES[name]
    before = _tree(project)
    call = ToolCall("apply_patch", {"input": patch})
    _, output = await run_call(manager, model_server, log, call, approvalPolicy=policy)
    assert _tree(project) == before
    if policy == AskForApproval.NEVER:
        assert not approver.asked
        assert output.startswith("apply_patch rejected:") and "`never`" in output
        assert shown in output and "protected folder" in output
        return
    [request] = approver.asked
    assert isinstance(request, ApplyPatchApprovalRequestEvent)
    assert shown in (request.reason or "") and "protected folder" in (request.reason or "")
    assert "rejected this patch" in output


@pytest.mark.parametrize("sandbox", ["read-only", "workspace-write", "danger-full-access"])
@pytest.mark.parametrize(
    "call",
    [
        ToolCall(
            "shell",
            {
                "command": [
                    "bash",
                    "-lc",
                    f"cd .codex-lsp && apply_patch <<'EOF'\n{_add('x.toml')}EOF",
                ]
            },
        ),
        ToolCall("shell", {"command": ["apply_patch", _add(".git/config")], "workdir": "pkg"}),
        ToolCall("apply_patch", {"input": _add("pkg/.git/config")}),
    ],
    ids=["cd-into-it", "workdir-beside-it", "tool"],
)
async def test_every_sandbox_and_entry_point_asks(
    call: ToolCall,
    sandbox: str,
    project: Path,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    (project / "pkg").mkdir()
    before = _tree(project)
    await run_call(manager, model_server, log, call, sandbox=sandbox)
    assert len(approver.asked) == 1 and "protected folder" in (approver.asked[0].reason or "")
    assert _tree(project) == before


async def test_approved_for_the_session_does_not_cover_the_next_protected_patch(
    project: Path,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    approver.answers = [ReviewDecision.APPROVED_FOR_SESSION, ReviewDecision.DENIED]
    first, second = (
        f"*** Begin Patch\n*** Add File: .codex/notes.toml\n+{text}\n*** End Patch\n"
        for text in ("first", "second")
    )
    model_server.enqueue(
        Reply((ToolCall("apply_patch", {"input": first}),)),
        Reply((Text("ok"),)),
        Reply((ToolCall("apply_patch", {"input": second}),)),
        Reply((Text("ok"),)),
    )
    conv = await manager.new_conversation(NewConversationParams())
    for count, text in enumerate(("one", "two"), start=1):
        conv.submit(UserInputOp(items=[TextInput(text=text)]))
        await log.wait_for("taskComplete", conv.id, count=count)
    assert len(approver.asked) == 2
    assert (project / ".codex" / "notes.toml").read_text() == "first\n"


async def test_ordinary_files_beside_them_are_not_asked_about(
    project: Path,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    patch = (
        "*** Begin Patch\n*** Add File: .gitignore\n+x\n*** Add File: src/.codexrc\n+y\n"
        "*** Add File: docs/git/codex-lsp.md\n+z\n*** End Patch\n"
    )
    _, output = await run_call(
        manager, model_server, log, ToolCall("apply_patch", {"input": patch})
    )
    assert output.startswith("Success.") and not approver.asked
