"""The workspace boundary of apply_patch, attacked through every way the model can reach it.

A client that denies every approval, workspace-write + on-request (the defaults): each case is
run through the apply_patch tool and through ``shell`` (argv with ``workdir``, ``applypatch``,
heredocs with a ``cd`` prefix in several spellings, the string form). Every entry point must be
judged by the policy's writable roots, never the folder the model names, and must produce the
same approval request, with the absolute path of every target outside the workspace.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core import ConversationManager
from codex_lsp.protocol.events import ApplyPatchApprovalRequestEvent
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.policies import AskForApproval, ReviewDecision
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import EventLog, ScriptedApprover


@dataclass(frozen=True)
class Env:
    """The folders a case plays with: the workspace, a folder outside it, the codex-lsp home."""

    workspace: Path
    outside: Path
    home: Path


def _add(path: str) -> str:
    return f"*** Begin Patch\n*** Add File: {path}\n+planted\n*** End Patch\n"


HOSTS = "127.0.0.1 localhost\n"
CONFIG_REWRITE = (
    '@@\n model = "fake-model"\n+sandbox_mode = "danger-full-access"\n+approval_policy = "never"\n'
)


@dataclass(frozen=True)
class Case:
    """A patch applied from ``base`` (relative to the workspace, or absolute); ``patch`` gets the
    prefix that places its relative paths (``""`` when the entry point sets ``base`` itself)."""

    base: Callable[[Env], str]
    patch: Callable[[Env, str], str]
    asked_for: Callable[[Env], list[Path]]
    """The targets outside the workspace, which the request must name by absolute path."""


CASES: dict[str, Case] = {
    "workdir-is-the-parent": Case(
        lambda e: "..",
        lambda e, p: _add(f"{p}escaped.txt"),
        lambda e: [e.workspace.parent / "escaped.txt"],
    ),
    "absolute-folder-outside": Case(
        lambda e: str(e.outside),
        lambda e, p: (
            f"*** Begin Patch\n*** Update File: {p}hosts\n@@\n-{HOSTS}+0.0.0.0 bank\n"
            "*** End Patch\n"
        ),
        lambda e: [e.outside / "hosts"],
    ),
    "the-codex-lsp-home": Case(
        lambda e: str(e.home),
        lambda e, p: (
            f"*** Begin Patch\n*** Update File: {p}config.toml\n{CONFIG_REWRITE}*** End Patch\n"
        ),
        lambda e: [e.home / "config.toml"],
    ),
    "quoted-folder-with-a-space": Case(
        lambda e: "../dir with space",
        lambda e, p: _add(f"{p}x.txt"),
        lambda e: [e.workspace.parent / "dir with space" / "x.txt"],
    ),
    "dotdot-from-a-subfolder": Case(
        lambda e: "sub",
        lambda e, p: _add(f"{p}../../escaped.txt"),
        lambda e: [e.workspace.parent / "escaped.txt"],
    ),
    "absolute-path-in-the-patch": Case(
        lambda e: ".",
        lambda e, p: _add(f"{e.outside}/abs.txt"),
        lambda e: [e.outside / "abs.txt"],
    ),
    "symlinked-folder": Case(
        lambda e: ".",
        lambda e, p: _add(f"{p}link/planted.txt"),
        lambda e: [e.outside / "planted.txt"],
    ),
    "symlinked-file": Case(
        lambda e: ".",
        lambda e, p: (
            f"*** Begin Patch\n*** Update File: {p}hosts-link\n@@\n-{HOSTS}+0.0.0.0 bank\n"
            "*** End Patch\n"
        ),
        lambda e: [e.outside / "hosts"],
    ),
    "move-to-outside": Case(
        lambda e: ".",
        lambda e, p: (
            f"*** Begin Patch\n*** Update File: {p}app.py\n*** Move to: {p}../moved.py\n"
            "@@\n-x = 1\n+x = 2\n*** End Patch\n"
        ),
        lambda e: [e.workspace.parent / "moved.py"],
    ),
    "cd-into-a-symlink": Case(
        lambda e: "link",
        lambda e, p: _add(f"{p}y.txt"),
        lambda e: [e.outside / "y.txt"],
    ),
}


def _prefix(base: str) -> str:
    return "" if base == "." else base.rstrip("/") + "/"


ENTRY_POINTS: dict[str, Callable[[str, Callable[[str], str]], ToolCall]] = {
    "apply_patch-tool": lambda base, patch: ToolCall(
        "apply_patch", {"input": patch(_prefix(base))}
    ),
    "shell-argv-workdir": lambda base, patch: ToolCall(
        "shell", {"command": ["apply_patch", patch("")], "workdir": base}
    ),
    "shell-applypatch-workdir": lambda base, patch: ToolCall(
        "shell", {"command": ["/usr/local/bin/applypatch", patch("")], "workdir": base}
    ),
    "heredoc-cd-single-quoted": lambda base, patch: ToolCall(
        "shell",
        {
            "command": [
                "bash",
                "-lc",
                f"cd {shlex.quote(base)} && apply_patch <<'EOF'\n{patch('')}EOF",
            ]
        },
    ),
    "heredoc-cd-double-quoted": lambda base, patch: ToolCall(
        "shell",
        {"command": ["sh", "-c", f'cd "{base}" && applypatch <<"PATCH"\n{patch("")}PATCH\n']},
    ),
    "heredoc-workdir": lambda base, patch: ToolCall(
        "shell",
        {"command": ["bash", "-lc", f"apply_patch <<EOF\n{patch('')}EOF"], "workdir": base},
    ),
    "string-command-cd": lambda base, patch: ToolCall(
        "shell", {"command": f"cd {shlex.quote(base)} && apply_patch <<'EOF'\n{patch('')}EOF"}
    ),
}


class SwappingApprover(ScriptedApprover):
    """Runs ``meanwhile`` while the user is deciding (a command in another terminal)."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: Callable[[], None] = lambda: None

    async def __call__(self, conversation_id: str, request: Any) -> Any:
        self.meanwhile()
        return await super().__call__(conversation_id, request)


@pytest.fixture
def approver() -> SwappingApprover:
    """Approvals the test scripts, with something happening while they are pending."""
    return SwappingApprover()


@pytest.fixture
def env(workspace: Path, codex_home: Path, tmp_path: Path) -> Env:
    """The workspace with ``app.py``, ``sub/``, a folder symlink and a file symlink leading to
    ``outside/`` (which holds ``hosts``), and a sibling folder with a space in its name."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "hosts").write_text(HOSTS)
    (workspace / "app.py").write_text("x = 1\n")
    (workspace / "sub").mkdir()
    (workspace / "link").symlink_to(outside)
    (workspace / "hosts-link").symlink_to(outside / "hosts")
    (tmp_path / "dir with space").mkdir()
    return Env(workspace, outside, codex_home)


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (the store's own files in the codex-lsp home left out)."""
    files: dict[str, bytes] = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            shown = str(path.relative_to(root))
            if not shown.startswith("codex-home/") or shown == "codex-home/config.toml":
                files[shown] = path.read_bytes()
    return files


async def run_call(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    call: ToolCall,
    **params: Any,
) -> tuple[str, str]:
    """One turn in which the model makes ``call``; the conversation id and the tool's output."""
    model_server.enqueue(Reply((call,)), Reply((Text("ok"),)))
    conv = await manager.new_conversation(NewConversationParams.model_validate(params))
    conv.submit(UserInputOp(items=[TextInput(text="go")]))
    await log.wait_for("taskComplete", conv.id)
    items = model_server.requests[-1].body["input"]
    output = next(i for i in reversed(items) if i.get("type") == "function_call_output")
    return conv.id, str(output["output"])


def _request_shape(request: Any) -> tuple[dict[str, Any], str | None]:
    assert isinstance(request, ApplyPatchApprovalRequestEvent)
    return {k: v.model_dump() for k, v in request.changes.items()}, request.reason


@pytest.mark.parametrize("case", list(CASES))
async def test_every_entry_point_asks_the_same_for_targets_outside_the_workspace(
    case: str,
    env: Env,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    tmp_path: Path,
) -> None:
    spec = CASES[case]
    before = _snapshot(tmp_path)
    shapes = {}
    for entry, make in ENTRY_POINTS.items():
        asked = len(approver.asked)
        _, output = await run_call(
            manager, model_server, log, make(spec.base(env), lambda p: spec.patch(env, p))
        )
        assert len(approver.asked) == asked + 1, f"{entry}: not asked; the model got {output!r}"
        shapes[entry] = _request_shape(approver.asked[-1])
        assert "rejected this patch" in output, entry
        assert _snapshot(tmp_path) == before, f"{entry} wrote although the user denied"
    changes, reason = shapes["apply_patch-tool"]
    for target in spec.asked_for(env):
        absolute = str(target.resolve())
        assert absolute in (reason or ""), reason
        assert absolute in changes or any(c.get("move_path") == absolute for c in changes.values())
    assert all(shape == shapes["apply_patch-tool"] for shape in shapes.values()), shapes


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
async def test_under_never_every_entry_point_refuses_without_asking(
    entry: str,
    env: Env,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    tmp_path: Path,
) -> None:
    before = _snapshot(tmp_path)
    spec = CASES["the-codex-lsp-home"]
    call = ENTRY_POINTS[entry](spec.base(env), lambda p: spec.patch(env, p))
    _, output = await run_call(
        manager, model_server, log, call, approvalPolicy=AskForApproval.NEVER.value
    )
    assert not approver.asked and _snapshot(tmp_path) == before
    assert output.startswith("apply_patch rejected:") and "approval policy is `never`" in output
    assert str((env.home / "config.toml").resolve()) in output


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
async def test_inside_the_writable_roots_every_entry_point_writes_without_asking(
    entry: str,
    env: Env,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    tmp_path: Path,
) -> None:
    extra = tmp_path / "extra-root"
    extra.mkdir()
    roots = {"sandbox_workspace_write.writable_roots": [str(extra)]}
    make = ENTRY_POINTS[entry]
    conv, _ = await run_call(
        manager, model_server, log, make("sub", lambda p: _add(f"{p}made.txt")), config=roots
    )
    begin = log.msgs(conv, "patchApplyBegin")[-1]
    assert begin["autoApproved"] is True and list(begin["changes"]) == ["sub/made.txt"]
    conv, _ = await run_call(
        manager, model_server, log, make(str(extra), lambda p: _add(f"{p}ok.txt")), config=roots
    )
    assert list(log.msgs(conv, "patchApplyBegin")[-1]["changes"]) == [str(extra / "ok.txt")]
    assert not approver.asked
    assert (env.workspace / "sub" / "made.txt").read_text() == "planted\n"
    assert (extra / "ok.txt").read_text() == "planted\n"


async def test_an_approved_patch_outside_is_written_where_the_user_was_shown(
    env: Env,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
) -> None:
    approver.answers = [ReviewDecision.APPROVED]
    call = ENTRY_POINTS["shell-argv-workdir"](".", lambda p: CASES["symlinked-file"].patch(env, p))
    _, output = await run_call(manager, model_server, log, call)
    assert output.startswith("Success.") and str((env.outside / "hosts").resolve()) in output
    assert (env.outside / "hosts").read_text() == "0.0.0.0 bank\n"
    assert (env.workspace / "hosts-link").is_symlink()


@pytest.mark.parametrize(
    "command",
    [
        "cd \"$CODEX_LSP_HOME\" && apply_patch <<'EOF'\n{patch}EOF",
        "cd $HOME && apply_patch <<'EOF'\n{patch}EOF",
        "cd ~ && apply_patch <<'EOF'\n{patch}EOF",
        "cd `pwd` && apply_patch <<'EOF'\n{patch}EOF",
    ],
    ids=["quoted-variable", "variable", "tilde", "backquotes"],
)
def test_a_cd_to_an_expansion_is_not_taken_as_a_patch_folder(command: str) -> None:
    from codex_lsp.tools.apply_patch import patch_from_shell

    argv = ["bash", "-lc", command.format(patch=_add("x.txt"))]
    assert patch_from_shell(argv) is None  # runs as a command, under the sandbox


async def test_a_symlink_made_while_the_user_decides_stops_the_write(
    env: Env,
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: SwappingApprover,
) -> None:
    def swap() -> None:  # `sub` becomes a way out between the check and the write
        (env.workspace / "sub").rmdir()
        (env.workspace / "sub").symlink_to(env.outside)

    approver.meanwhile = swap
    approver.answers = [ReviewDecision.APPROVED]
    call = ToolCall("apply_patch", {"input": _add("sub/planted.txt")})
    conv, output = await run_call(manager, model_server, log, call, approvalPolicy="untrusted")
    assert output.startswith("apply_patch failed: sub/planted.txt now leads somewhere else")
    assert not (env.outside / "planted.txt").exists()
    assert log.msgs(conv, "patchApplyEnd")[-1]["success"] is False
