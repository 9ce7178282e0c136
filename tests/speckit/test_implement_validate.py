"""``/speckit.implement`` and ``/speckit.validate`` end to end on real agents: the arbiter's
patch takes the normal apply_patch path of the conversation the command was typed in (the
approval, the file, the turn's undo), and the validation commands of tasks.md run through its
shell tool under the sandbox and the approval policy, their results given to the agents."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.protocol.ops import UndoTurnOp
from codex_lsp.protocol.policies import ReviewDecision
from tests.speckit.agents import answering, running_agents
from tests.speckit.answers import implement_answer, validate_answer

IMPLEMENT_AGENTS = ("gemini", "claude", "gpt_codex", "gpt_pro")
VALIDATE_AGENTS = ("gemini", "claude", "gpt_pro")
TASKS = """# Tasks: Login

## Phase 1: Setup

- [ ] T001 [P] Add the OAuth client in src/auth.py
  - **Validation**: `echo validated-ok`
  - **Artifact**: `src/auth.py`
- [ ] T002 Wire the callback
  - **Validation**: `echo validated-ok`
"""


def _patch(body: str) -> str:
    return f"*** Begin Patch\n*** Add File: src/auth.py\n+{body}\n*** End Patch"


async def test_implement_applies_the_arbiters_patch_through_apply_patch_and_undo_reverts_it(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    (fork_spec / "tasks.md").write_text(TASKS)
    extra = 'approval_policy = "untrusted"\n'
    async with running_agents(clean_env, fork_repo, IMPLEMENT_AGENTS, top=extra) as agents:
        for name in ("gemini", "claude", "gpt_codex"):
            agents.servers[name].enqueue(answering(implement_answer(name, _patch(f"# {name}"))))
        agents.servers["gpt_pro"].enqueue(
            answering(implement_answer("gpt_pro", _patch("CLIENT = 'merged'")))
        )
        agents.approver.answers = [ReviewDecision.APPROVED]
        conversation = await agents.command("/speckit.implement SPEC-KIT-071")
        assert agents.errors(conversation) == []
        (asked,) = agents.approver.asked
        assert asked.type == "applyPatchApprovalRequest" and "src/auth.py" in asked.changes
        assert (fork_repo / "src/auth.py").read_text() == "CLIENT = 'merged'\n"
        assert (fork_spec / "implement.md").is_file()
        assert [m["type"] for m in agents.log.msgs(conversation) if "patchApply" in m["type"]] == [
            "patchApplyBegin",
            "patchApplyEnd",
        ]
        assert "The arbiter's patch was applied" in (agents.answer(conversation) or "")
        # sequential: each agent saw the earlier proposals, the arbiter all of them
        assert "# gemini" in agents.requests("claude")[0].text
        arbiter = agents.requests("gpt_pro")[0].text
        assert all(f"# {n}" in arbiter for n in ("gemini", "claude", "gpt_codex"))
        agents.manager.get(conversation).submit(UndoTurnOp())
        await agents.log.wait_for("undoCompleted", conversation)
        assert not (fork_repo / "src/auth.py").exists()
        assert not (fork_spec / "implement.md").exists()


async def test_a_denied_patch_is_not_applied_and_says_so(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    (fork_spec / "tasks.md").write_text(TASKS)
    extra = 'approval_policy = "untrusted"\n'
    async with running_agents(clean_env, fork_repo, IMPLEMENT_AGENTS, top=extra) as agents:
        for name in IMPLEMENT_AGENTS:
            agents.servers[name].enqueue(answering(implement_answer(name, _patch(name))))
        conversation = await agents.command("/speckit.implement SPEC-KIT-071")
        assert not (fork_repo / "src/auth.py").exists()
        (error,) = agents.errors(conversation)
        assert "The arbiter's patch was not applied" in error and "rejected" in error


async def test_validate_runs_the_tasks_commands_through_the_shell_tool_for_the_agents(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    (fork_spec / "tasks.md").write_text(TASKS)
    async with running_agents(clean_env, fork_repo, VALIDATE_AGENTS) as agents:
        for name in VALIDATE_AGENTS:
            agents.servers[name].enqueue(answering(validate_answer(name)))
        conversation = await agents.command("/speckit.validate SPEC-KIT-071")
        assert agents.errors(conversation) == []
        commands = agents.log.msgs(conversation, "execCommandBegin")
        assert [c["command"] for c in commands] == [["bash", "-lc", "echo validated-ok"]]
        for name in VALIDATE_AGENTS:
            text = agents.requests(name)[0].text
            assert "T001: `echo validated-ok`: passed" in text and "validated-ok\\\\n" in text
        assert (fork_spec / "validate.md").is_file()


async def test_validate_under_untrusted_asks_before_a_command_that_is_not_known_safe(
    fork_spec: Path, fork_repo: Path, clean_env: Path
) -> None:
    (fork_spec / "tasks.md").write_text(
        "- [ ] T001 Break things\n  - **Validation**: `touch planted.txt`\n"
    )
    extra = 'approval_policy = "untrusted"\n'
    async with running_agents(clean_env, fork_repo, VALIDATE_AGENTS, top=extra) as agents:
        for name in VALIDATE_AGENTS:
            agents.servers[name].enqueue(answering(validate_answer(name, "fail")))
        conversation = await agents.command("/speckit.validate SPEC-KIT-071")
        (asked,) = agents.approver.asked
        assert asked.type == "execApprovalRequest" and "touch planted.txt" in asked.command[-1]
        assert not (fork_repo / "planted.txt").exists()
        assert "T001: `touch planted.txt`: FAILED" in agents.requests("gemini")[0].text
        assert conversation
