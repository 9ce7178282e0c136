"""The approval decision as a table: every approval policy, every sandbox, every class of call
(shell commands, patches, MCP tools) and what :func:`decide_approval` answers. The table is the
behaviour the tools had before the decision became one function; ``tests/lsp/
test_approval_sandbox_matrix.py`` and ``tests/tools/test_tool_events_golden.py`` check the same
end to end."""

from __future__ import annotations

from typing import Any

import pytest

from codex_lsp.exec.rules import RuleVerdict
from codex_lsp.exec.safety import (
    Ask,
    CallClass,
    Decision,
    McpToolCall,
    PatchWrites,
    Refuse,
    Run,
    ShellCommand,
    decide_approval,
)
from codex_lsp.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    SandboxMode,
    WorkspaceWrite,
    sandbox_policy_for_mode,
)

POLICIES = ("untrusted", "on-failure", "on-request", "never")
SANDBOXES = ("read-only", "workspace-write", "danger-full-access")

RUN = Run()
OUTSIDE = Run(sandboxed=False)
RETRY = Run(
    on_denial=Ask("the command failed in the sandbox; run it again without the sandbox?", False)
)
"""Run in the sandbox; if the sandbox denies it, offer to run it again outside."""
ESCALATION = Refuse(
    "escalated permissions were requested but the approval policy is `never`; "
    "run the command inside the sandbox instead"
)
DENY_RULE = Refuse(
    "`rm -rf x` is denied by a command rule ([command_rules] deny in config.toml); do not run it"
)
RULE_FILE = "/home/u/.codex/rules/default.rules:3: pushing is reviewed"
PROMPT_RULE = Ask(f"a command rule asks first: {RULE_FILE}")
PROMPT_UNDER_NEVER = Refuse(
    f"`ls` needs the user's approval by a command rule ({RULE_FILE}), but the approval policy "
    "is `never`; do not run it"
)
PROTECTED = (
    "changes .git/config in a protected folder (.git, .codex, .codex-lsp hold the repository's "
    "and the agent's own configuration)"
)
OUT = "writes outside the workspace: /elsewhere/x"
READ_ONLY = "writes a.txt while the sandbox is read-only"
ALL_THREE = f"{PROTECTED}; {OUT}; {READ_ONLY}"
MCP_ASK = Ask("call tool write_note of MCP server faults")


def never_refuses(reason: str) -> Refuse:
    """What the model is told when ``never`` meets a patch that needs the user."""
    return Refuse(
        f"apply_patch rejected: this patch {reason}, and the approval policy is `never`, so it "
        "cannot be approved; keep edits inside the workspace and out of .git, .codex, .codex-lsp"
    )


def unless_danger(decision: Decision) -> dict[str, Decision]:
    """``decision`` in the read-only and workspace-write sandboxes; a plain run without one."""
    return {"read-only": decision, "workspace-write": decision, "danger-full-access": RUN}


Cell = Decision | dict[str, Decision]
TOUCH = ("touch", "x")
RM = ("rm", "-rf", "x")
DENY = RuleVerdict.DENY
ALLOW = RuleVerdict.ALLOW
PROMPT = RuleVerdict.PROMPT

# class id -> (the call, its decision under untrusted, on-failure, on-request, never); a cell is
# one decision for every sandbox, or one per sandbox
TABLE: dict[str, tuple[CallClass, tuple[Cell, Cell, Cell, Cell]]] = {
    # shell commands
    "known-safe": (ShellCommand(("ls",)), (RUN, unless_danger(RETRY), RUN, RUN)),
    "unsafe": (ShellCommand(TOUCH), (Ask(), unless_danger(RETRY), RUN, RUN)),
    "unsafe-approved-for-session": (
        ShellCommand(TOUCH, approved_for_session=True),
        (RUN, unless_danger(Run(on_denial=OUTSIDE)), RUN, RUN),
    ),
    "unsafe-allow-rule": (
        ShellCommand(TOUCH, rule=ALLOW),
        (RUN, unless_danger(RETRY), RUN, RUN),
    ),
    "deny-rule": (
        ShellCommand(RM, rule=DENY, rule_reason="[command_rules] deny in config.toml"),
        (DENY_RULE, DENY_RULE, DENY_RULE, DENY_RULE),
    ),
    # a prompt rule asks even for a known-safe command, under policies that would not ask
    "prompt-rule": (
        ShellCommand(("ls",), rule=PROMPT, rule_reason=RULE_FILE),
        (PROMPT_RULE, PROMPT_RULE, PROMPT_RULE, PROMPT_UNDER_NEVER),
    ),
    "prompt-rule-approved-for-session": (
        ShellCommand(("ls",), rule=PROMPT, rule_reason=RULE_FILE, approved_for_session=True),
        (RUN, unless_danger(Run(on_denial=OUTSIDE)), RUN, PROMPT_UNDER_NEVER),
    ),
    "escalated-prompt-rule": (
        ShellCommand(("ls",), rule=PROMPT, rule_reason=RULE_FILE, escalated=True),
        (
            Ask(PROMPT_RULE.reason, False),
            Ask(PROMPT_RULE.reason, False),
            Ask(PROMPT_RULE.reason, False),
            ESCALATION,
        ),
    ),
    "escalated": (
        ShellCommand(TOUCH, escalated=True, justification="why"),
        # on-failure asks too: leaving the sandbox is never the model's call alone
        (Ask("why", False), Ask("why", False), Ask("why", False), ESCALATION),
    ),
    "escalated-known-safe": (
        ShellCommand(("ls",), escalated=True),
        (Ask(None, False), Ask(None, False), Ask(None, False), ESCALATION),
    ),
    "escalated-allow-rule": (
        ShellCommand(TOUCH, rule=ALLOW, escalated=True, justification="why"),
        (OUTSIDE, OUTSIDE, OUTSIDE, ESCALATION),
    ),
    "escalated-approved-for-session": (
        ShellCommand(TOUCH, escalated=True, justification="why", approved_for_session=True),
        (OUTSIDE, OUTSIDE, OUTSIDE, ESCALATION),
    ),
    "escalated-deny-rule": (
        ShellCommand(
            RM, rule=DENY, rule_reason="[command_rules] deny in config.toml", escalated=True
        ),
        (DENY_RULE, DENY_RULE, DENY_RULE, ESCALATION),
    ),
    # patches
    "patch-inside": (PatchWrites(), (Ask(), RUN, RUN, RUN)),
    "patch-inside-review": (PatchWrites(review=True), (Ask(), Ask(), Ask(), RUN)),
    "patch-inside-review-approved-for-session": (
        PatchWrites(review=True, approved_for_session=True),
        (RUN, RUN, RUN, RUN),
    ),
    "patch-outside": (
        PatchWrites(outside=("/elsewhere/x",)),
        (Ask(OUT), Ask(OUT), Ask(OUT), never_refuses(OUT)),
    ),
    "patch-outside-approved-for-session": (
        PatchWrites(outside=("/elsewhere/x",), approved_for_session=True),
        (RUN, RUN, RUN, RUN),
    ),
    "patch-read-only": (
        PatchWrites(read_only=("a.txt",)),
        (Ask(READ_ONLY), Ask(READ_ONLY), Ask(READ_ONLY), never_refuses(READ_ONLY)),
    ),
    "patch-protected": (
        PatchWrites(protected=(".git/config",)),
        (Ask(PROTECTED), Ask(PROTECTED), Ask(PROTECTED), never_refuses(PROTECTED)),
    ),
    "patch-protected-approved-for-session": (
        PatchWrites(protected=(".git/config",), approved_for_session=True),
        (Ask(PROTECTED), Ask(PROTECTED), Ask(PROTECTED), never_refuses(PROTECTED)),
    ),
    "patch-protected-outside-read-only": (
        PatchWrites(protected=(".git/config",), outside=("/elsewhere/x",), read_only=("a.txt",)),
        (Ask(ALL_THREE), Ask(ALL_THREE), Ask(ALL_THREE), never_refuses(ALL_THREE)),
    ),
    # MCP tools
    "mcp-read-only": (McpToolCall("faults", "add", read_only=True), (RUN, RUN, RUN, RUN)),
    "mcp-tool": (
        McpToolCall("faults", "write_note"),
        (MCP_ASK, RUN, MCP_ASK, RUN),
    ),
    "mcp-tool-approved-for-session": (
        McpToolCall("faults", "write_note", approved_for_session=True),
        (RUN, RUN, RUN, RUN),
    ),
}


def _rows() -> list[Any]:
    rows = []
    for name, (call, cells) in TABLE.items():
        for policy, cell in zip(POLICIES, cells, strict=True):
            for sandbox in SANDBOXES:
                expected = cell[sandbox] if isinstance(cell, dict) else cell
                rows.append(
                    pytest.param(policy, sandbox, call, expected, id=f"{policy}-{sandbox}-{name}")
                )
    return rows


@pytest.mark.parametrize(("policy", "sandbox", "call", "expected"), _rows())
def test_decision(policy: str, sandbox: str, call: CallClass, expected: Decision) -> None:
    assert decide_approval(AskForApproval(policy), _sandbox(sandbox), call) == expected


def _sandbox(mode: str) -> DangerFullAccess | ReadOnly | WorkspaceWrite:
    return sandbox_policy_for_mode(SandboxMode(mode))


def test_the_table_covers_every_policy_and_sandbox() -> None:
    assert set(POLICIES) == {p.value for p in AskForApproval}
    assert set(SANDBOXES) == {m.value for m in SandboxMode}
    assert all(
        set(cell) == set(SANDBOXES)
        for _, cells in TABLE.values()
        for cell in cells
        if isinstance(cell, dict)
    )
