"""The one path every command the model asks for takes before it runs, whether ``shell`` runs it
to its end or ``exec_command`` keeps it as a terminal: the working folder checked, a patch sent
through ``shell`` handed to apply_patch, the approval decision (:func:`decide_approval`), the
user asked (:class:`ToolCallLife`), and, when ``on-failure`` offers it, a second attempt outside
the sandbox after the sandbox stopped the first. How a command runs is the tool's ``run``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from codex_lsp.exec.parse import parse_command
from codex_lsp.exec.safety import Ask, Refuse, Run, ShellCommand, decide_approval
from codex_lsp.protocol.events import ExecApprovalRequestEvent
from codex_lsp.protocol.policies import DangerFullAccess
from codex_lsp.tools.apply_patch import apply_patch_for_model, is_raw_patch, patch_from_shell
from codex_lsp.tools.commands import Sandbox
from codex_lsp.tools.lifecycle import ToolCallLife
from codex_lsp.tools.registry import ToolInvocationError, ToolOutput, ToolSession

ResultT = TypeVar("ResultT")
SANDBOX_DENIAL_HINTS = ("permission denied", "read-only file system", "operation not permitted")


def resolve_workdir(tool: str, cwd: Path, workdir: str | None) -> Path:
    """``workdir`` (relative to ``cwd``) as an existing folder, or a :class:`ToolInvocationError`
    saying it is not one."""
    path = (cwd / workdir).resolve() if workdir else cwd
    if not path.is_dir():
        raise ToolInvocationError(f"{tool}: workdir {path} does not exist or is not a directory")
    return path


def denied_by_sandbox(exit_code: int | None, output: str) -> bool:
    """The command failed the way a command the sandbox stopped fails."""
    lowered = output.lower()
    return exit_code not in (0, None) and any(hint in lowered for hint in SANDBOX_DENIAL_HINTS)


def sandbox_for(session: ToolSession, sandboxed: bool) -> Sandbox:
    """The sandbox one attempt runs under: the conversation's policy, or none when the user
    approved running outside it. The writable roots are the conversation's folder and the
    policy's, never the working folder the model chose for the command."""
    policy = session.sandbox_policy if sandboxed else DangerFullAccess()
    return Sandbox(policy, session.cwd)


@dataclass(frozen=True)
class CommandCall:
    """One command the model asked for."""

    session: ToolSession
    call_id: str
    argv: list[str]
    cwd: Path
    escalated: bool = False
    justification: str | None = None


async def intercept_patch(call: CommandCall) -> ToolOutput | None:
    """A patch sent as a command (``apply_patch <<EOF``) goes to apply_patch, whose approval
    and editor path it then takes; a bare patch as a command is refused. None otherwise."""
    intercepted = patch_from_shell(call.argv)
    if intercepted is not None:
        patch, patch_dir = intercepted
        workdir = resolve_workdir("apply_patch", call.cwd, patch_dir)
        return await apply_patch_for_model(call.session, call.call_id, patch, workdir)
    if is_raw_patch(call.argv):
        raise ToolInvocationError(
            "patch detected without an explicit call to apply_patch: call the apply_patch tool "
            'with the patch, or run ["apply_patch", "<patch>"]'
        )
    return None


Attempt = Callable[[ToolCallLife, str, bool], Awaitable[ResultT]]
"""Runs one attempt of the command: its life, a fresh item id, and whether in the sandbox."""


async def run_approved(
    call: CommandCall, attempt: Attempt[ResultT], denied: Callable[[ResultT], bool]
) -> ResultT | ToolOutput:
    """Decide, ask when the decision says so, run with ``attempt``; when the sandbox stopped it
    (``denied``) and the policy offers it, ask to run it again outside. A refusal or a denial
    is the :class:`ToolOutput` for the model."""
    session = call.session
    life = ToolCallLife(session, tuple(call.argv))
    rules = session.command_rules.evaluate(call.argv)
    decision = decide_approval(
        session.approval_policy,
        session.sandbox_policy,
        ShellCommand(
            tuple(call.argv),
            rule=rules.verdict,
            rule_reason=rules.reason(),
            escalated=call.escalated,
            justification=call.justification,
            approved_for_session=life.approved_for_session,
        ),
    )
    if isinstance(decision, Refuse):
        return ToolOutput(decision.message, success=False)
    result = await _attempt(call, life, decision, attempt)
    retry = decision.on_denial if isinstance(decision, Run) else None
    if retry is not None and not isinstance(result, ToolOutput) and denied(result):
        result = await _attempt(call, life, retry, attempt)
    return result


async def _attempt(
    call: CommandCall, life: ToolCallLife, decision: Run | Ask, attempt: Attempt[ResultT]
) -> ResultT | ToolOutput:
    """Ask first when ``decision`` says so (a refusal goes back to the model), then run as it
    says, in the sandbox or not."""
    session, argv = call.session, call.argv
    item_id = session.new_item_id()
    if isinstance(decision, Ask):
        request = ExecApprovalRequestEvent(
            turn_id=session.turn_id,
            item_id=item_id,
            call_id=call.call_id,
            command=argv,
            cwd=str(call.cwd),
            reason=decision.reason,
            parsed_cmd=parse_command(argv),
        )
        answer = await life.ask(
            request,
            f"the user denied running `{' '.join(argv)}`; do not retry it as is",
            remember_always=lambda: session.command_rules.remember_allow(argv),
            remember_deny=lambda: session.command_rules.remember_deny(argv),
        )
        if isinstance(answer, ToolOutput):
            return answer
    return await attempt(life, item_id, decision.sandboxed)
