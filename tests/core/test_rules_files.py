"""Codex ``.rules`` files in a real conversation: what the model is told, what the user is
asked, and what a repository's own rules may and may not do."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.core import ConversationManager
from codex_lsp.protocol.policies import AskForApproval, ReviewDecision
from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import EventLog, ScriptedApprover, run_turn, tool_outputs

FORBID_RM = """# the user's own rules
prefix_rule(
    pattern = ["rm"],
    decision = "forbidden",
    justification = "Move files to the trash with `trash` instead.",
    match = ["rm -rf build"],
)
"""


def _rules(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


async def test_a_forbidden_rule_refuses_the_call_and_tells_the_model_why(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    codex_home: Path,
) -> None:
    path = _rules(codex_home / "rules", "default.rules", FORBID_RM)
    (workspace / "keep.txt").write_text("x")
    model_server.enqueue(
        Reply(
            (
                ToolCall("shell", {"command": ["rm", "keep.txt"]}),
                ToolCall("shell", {"command": "ls && /bin/rm -f keep.txt"}),
            )
        ),
        Reply((Text("ok"),)),
    )
    # never: nothing would be asked, and the sandbox alone would let rm run in the workspace
    await run_turn(manager, log, AskForApproval.NEVER)
    first, second = tool_outputs(model_server)
    assert first == (
        f"`rm keep.txt` is denied by a command rule ({path}:2: Move files to the trash with "
        "`trash` instead.); do not run it"
    )
    assert "is denied by a command rule" in second  # /bin/rm inside a script is rm too
    assert (workspace / "keep.txt").exists()
    assert approver.asked == []


async def test_a_prompt_rule_asks_even_where_the_policy_would_not(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    codex_home: Path,
) -> None:
    _rules(
        Path.home() / ".codex" / "rules",
        "git.rules",
        'prefix_rule(pattern=["touch", ["a.txt", "b.txt"]], decision="prompt", '
        'justification="touching is reviewed")\n',
    )
    model_server.enqueue(
        Reply(
            (
                ToolCall("shell", {"command": ["touch", "a.txt"]}),
                ToolCall("shell", {"command": ["touch", "c.txt"]}),
            )
        ),
        Reply((Text("ok"),)),
    )
    approver.answers = [ReviewDecision.DENIED]
    await run_turn(manager, log, AskForApproval.ON_REQUEST)  # on-request never asks for touch
    assert [r.command for r in approver.asked] == [["touch", "a.txt"]]
    assert approver.asked[0].reason is not None
    assert "touching is reviewed" in approver.asked[0].reason
    assert not (workspace / "a.txt").exists() and (workspace / "c.txt").exists()


async def test_a_prompt_rule_under_never_is_refused(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    codex_home: Path,
) -> None:
    _rules(codex_home / "rules", "x.rules", 'prefix_rule(["touch"], "prompt")\n')
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "a.txt"]}),)), Reply((Text("ok"),))
    )
    await run_turn(manager, log, AskForApproval.NEVER)
    assert "but the approval policy is `never`" in tool_outputs(model_server)[0]
    assert approver.asked == [] and not (workspace / "a.txt").exists()


async def test_an_untrusted_repository_may_forbid_but_not_allow(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    codex_home: Path,
) -> None:
    (workspace / ".git").mkdir()
    planted = _rules(
        workspace / ".codex" / "rules",
        "repo.rules",
        'prefix_rule(pattern=["touch"], decision="allow")\n'
        'prefix_rule(pattern=["mkdir"], decision="forbidden")\n',
    )
    model_server.enqueue(
        Reply(
            (
                ToolCall("shell", {"command": ["touch", "t.txt"]}),
                ToolCall("shell", {"command": ["mkdir", "d"]}),
            )
        ),
        Reply((Text("ok"),)),
    )
    approver.answers = [ReviewDecision.DENIED]
    conv_id = await run_turn(manager, log, AskForApproval.UNTRUSTED)
    assert [r.command for r in approver.asked] == [["touch", "t.txt"]]  # the allow did not count
    assert "is denied by a command rule" in tool_outputs(model_server)[1]
    assert not (workspace / "d").exists()
    warnings = [m["message"] for m in log.msgs(conv_id, "warning")]
    assert any(str(planted) in w and "1 allow rule(s) ignored" in w for w in warnings)


async def test_a_trusted_repository_may_allow(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    approver: ScriptedApprover,
    workspace: Path,
    codex_home: Path,
) -> None:
    with (codex_home / "config.toml").open("a") as config:
        config.write(f'\n[projects."{workspace}"]\ntrust_level = "trusted"\n')
    _rules(workspace / ".codex" / "rules", "repo.rules", 'prefix_rule(["touch"])\n')
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "t.txt"]}),)), Reply((Text("ok"),))
    )
    await run_turn(manager, log, AskForApproval.UNTRUSTED)
    assert approver.asked == [] and (workspace / "t.txt").exists()


async def test_a_broken_rules_file_is_a_warning_and_the_others_still_apply(
    manager: ConversationManager,
    model_server: FakeModelServer,
    log: EventLog,
    workspace: Path,
    codex_home: Path,
) -> None:
    _rules(codex_home / "rules", "a.rules", FORBID_RM)
    broken = _rules(
        workspace / ".codex" / "rules", "b.rules", 'prefix_rule(pattern=["rm"])\n__import__("os")\n'
    )
    (workspace / "keep.txt").write_text("x")
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["rm", "keep.txt"]}),)), Reply((Text("ok"),))
    )
    conv_id = await run_turn(manager, log, AskForApproval.NEVER)
    assert "is denied by a command rule" in tool_outputs(model_server)[0]
    assert (workspace / "keep.txt").exists()
    (warning,) = [m["message"] for m in log.msgs(conv_id, "warning") if str(broken) in m["message"]]
    assert warning.startswith(f"{broken}:2: ")
    assert warning.endswith("the rules of this file are ignored")
    assert "Traceback" not in warning
