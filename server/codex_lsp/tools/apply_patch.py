"""``apply_patch``: the model edits files with a patch in Codex's format.

Offered as a freeform tool with the Lark grammar (Responses API models that support it) or as a
function taking ``{"input": patch}``; also reached when the model runs ``apply_patch`` through
``shell``. The patch is verified (parsed and every file change computed) before anything is
written; then approval follows the policy — changes outside the writable roots or inside ``.git``
always need the user — and the files are written atomically.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from pydantic import BaseModel

from codex_lsp.patch.files import FilePlan, plan_hunks, summarize
from codex_lsp.patch.model import PatchError
from codex_lsp.patch.parser import parse_patch
from codex_lsp.patch.review import keep_accepted, rejection_report
from codex_lsp.protocol.events import (
    ApplyPatchApprovalRequestEvent,
    ItemCompletedEvent,
    ItemStartedEvent,
    PatchApplyBeginEvent,
    PatchApplyEndEvent,
)
from codex_lsp.protocol.items import (
    AddFile,
    DeleteFile,
    FileChange,
    FileChangeItem,
    ItemStatus,
    UpdateFile,
)
from codex_lsp.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    WorkspaceWrite,
)
from codex_lsp.providers.base import FreeformToolSpec, FunctionToolSpec
from codex_lsp.tools.registry import (
    ToolInvocation,
    ToolOutput,
    ToolSession,
    apply_decision,
    parse_arguments,
)

LARK_GRAMMAR = r"""start: begin_patch hunk+ end_patch
begin_patch: "*** Begin Patch" LF
end_patch: "*** End Patch" LF?

hunk: add_hunk | delete_hunk | update_hunk
add_hunk: "*** Add File: " filename LF add_line+
delete_hunk: "*** Delete File: " filename LF
update_hunk: "*** Update File: " filename LF change_move? change?

filename: /(.+)/
add_line: "+" /(.*)/ LF -> line

change_move: "*** Move to: " filename LF
change: (change_context | change_line)+ eof_line?
change_context: ("@@" | "@@ " /(.+)/) LF
change_line: ("+" | "-" | " ") /(.*)/ LF
eof_line: "*** End of File" LF

%import common.LF
"""

DESCRIPTION = (
    "Use the `apply_patch` tool to edit files. The patch language is a stripped-down, "
    "file-oriented diff format:\n*** Begin Patch\n[ one or more file sections ]\n*** End Patch\n"
    "Each file section starts with '*** Add File: <path>' (every following line starts with +), "
    "'*** Delete File: <path>', or '*** Update File: <path>' (optionally followed by "
    "'*** Move to: <new path>'), then hunks introduced by '@@' (optionally '@@ <class or function "
    "line>' to locate the change). In hunks, ' ' lines are context, '-' removed, '+' added. Show "
    "3 lines of context above and below each change. Paths are relative to the working directory."
)

FREEFORM_SPEC = FreeformToolSpec(name="apply_patch", description=DESCRIPTION, grammar=LARK_GRAMMAR)
FUNCTION_SPEC = FunctionToolSpec(
    name="apply_patch",
    description=DESCRIPTION,
    parameters={
        "type": "object",
        "properties": {
            "input": {
                "type": "string",
                "description": "The entire contents of the apply_patch command",
            }
        },
        "required": ["input"],
        "additionalProperties": False,
    },
)

_HEREDOC = re.compile(
    r"""^\s*(?:cd\s+(?P<dir>'[^']*'|"[^"]*"|\S+)\s*&&\s*)?"""  # optional `cd DIR &&`
    r"""apply_?patch\s*<<\s*(?P<q>['"]?)(?P<tag>\w+)(?P=q)[ \t]*\n"""  # apply_patch <<'EOF'
    r"""(?P<body>.*?)\n(?P=tag)\s*$""",  # the patch, then the closing tag
    re.DOTALL,
)


class _FunctionArgs(BaseModel):
    input: str


def patch_from_shell(argv: list[str]) -> tuple[str, str | None] | None:
    """``(patch, workdir)`` when a shell command is really an apply_patch call, else ``None``."""
    if len(argv) == 2 and Path(argv[0]).name in ("apply_patch", "applypatch"):
        return argv[1], None
    if len(argv) == 3 and Path(argv[0]).name in ("bash", "sh", "zsh") and argv[1] in ("-c", "-lc"):
        match = _HEREDOC.match(argv[2])
        if match:
            workdir = match.group("dir")
            return match.group("body"), workdir.strip("'\"") if workdir else None
    return None


def is_raw_patch(argv: list[str]) -> bool:
    """The model passed a patch to ``shell`` without calling apply_patch."""
    text = argv[-1] if argv else ""
    return text.lstrip().startswith("*** Begin Patch")


async def handle_apply_patch(session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
    """The tool handler (freeform or function form)."""
    patch = (
        invocation.payload
        if invocation.freeform
        else parse_arguments(_FunctionArgs, invocation).input
    )
    return await apply_patch_for_model(session, invocation.call_id, patch, session.cwd)


def _writable_roots(session: ToolSession, cwd: Path) -> list[Path] | None:
    policy = session.sandbox_policy
    if isinstance(policy, DangerFullAccess):
        return None
    if isinstance(policy, ReadOnly):
        return []
    assert isinstance(policy, WorkspaceWrite)
    return [cwd.resolve(), *(Path(r).resolve() for r in policy.writable_roots)]


def _outside(plans: list[FilePlan], roots: list[Path] | None) -> list[str]:
    """Paths the patch would touch outside the writable roots or inside ``.git``."""
    bad = []
    for plan in plans:
        for target, shown in ((plan.target, plan.path), (plan.move_target, plan.move_path)):
            if target is None or shown is None:
                continue
            resolved = target.resolve()
            inside = roots is None or any(resolved.is_relative_to(r) for r in roots)
            if not inside or ".git" in resolved.parts:
                bad.append(shown)
    return bad


def _changes(plans: list[FilePlan]) -> dict[str, FileChange]:
    changes: dict[str, FileChange] = {}
    for plan in plans:
        if plan.kind == "add":
            changes[plan.path] = AddFile(content=plan.new or "")
        elif plan.kind == "delete":
            changes[plan.path] = DeleteFile(content=plan.old or "")
        else:
            diff = "".join(
                difflib.unified_diff(
                    (plan.old or "").splitlines(keepends=True),
                    (plan.new or "").splitlines(keepends=True),
                    n=3,
                )
            )
            changes[plan.path] = UpdateFile(unified_diff=diff, move_path=plan.move_path)
    return changes


async def apply_patch_for_model(
    session: ToolSession, call_id: str, patch: str, cwd: Path
) -> ToolOutput:
    """Verify, approve, apply and report one patch."""
    try:
        plans = plan_hunks(parse_patch(patch), cwd, session.files.read)
    except PatchError as exc:
        return ToolOutput(f"apply_patch verification failed: {exc.message}", success=False)
    changes = _changes(plans)
    outside = _outside(plans, _writable_roots(session, cwd))
    policy = session.approval_policy
    key = ("apply_patch", *sorted(changes))
    review = session.review_patches and policy is not AskForApproval.NEVER
    needs_approval = (
        review or policy is AskForApproval.UNTRUSTED or bool(outside)
    ) and key not in session.approved_for_session
    item_id = session.new_item_id()
    rejected: dict[str, list[str]] = {}
    if needs_approval:
        if policy is AskForApproval.NEVER:
            return ToolOutput(
                f"apply_patch rejected: it writes outside the writable roots "
                f"({', '.join(outside)}) and the approval policy is `never`; "
                "keep edits inside the workspace",
                success=False,
            )
        reason = f"writes outside the workspace: {', '.join(outside)}" if outside else None
        request = ApplyPatchApprovalRequestEvent(
            turn_id=session.turn_id,
            item_id=item_id,
            call_id=call_id,
            changes=changes,
            reason=reason,
        )
        answer = await session.request_patch_approval(request)
        denied = apply_decision(
            session,
            answer.decision,
            key,
            "the user rejected this patch; do not apply it again as is",
        )
        if denied is not None:
            return denied
        reviewed = keep_accepted(plans, answer.rejected_hunks)
        plans, rejected = reviewed.plans, reviewed.rejected
        if not plans:
            return ToolOutput(rejection_report(rejected), success=False)
        if rejected:
            changes = _changes(plans)
    output = await _apply(
        session, call_id, item_id, plans, changes, auto_approved=not needs_approval
    )
    if rejected and output.success:
        return ToolOutput(output.text + rejection_report(rejected))
    return output


async def _apply(
    session: ToolSession,
    call_id: str,
    item_id: str,
    plans: list[FilePlan],
    changes: dict[str, FileChange],
    *,
    auto_approved: bool,
) -> ToolOutput:
    turn_id = session.turn_id
    item = FileChangeItem(id=item_id, changes=changes)
    session.emit(ItemStartedEvent(turn_id=turn_id, item=item))
    session.emit(
        PatchApplyBeginEvent(
            turn_id=turn_id,
            item_id=item_id,
            call_id=call_id,
            auto_approved=auto_approved,
            changes=changes,
        )
    )
    session.record_preimage(
        [p for plan in plans for p in (plan.target, plan.move_target) if p is not None]
    )
    error = None
    notes: list[str] = []
    try:
        notes = await session.files.write(plans, "codex-lsp: apply_patch")
    except PatchError as exc:
        error = exc.message
    except OSError as exc:
        error = f"{exc.filename}: {exc.strerror}"
    status = ItemStatus.FAILED if error else ItemStatus.COMPLETED
    stdout = "" if error else summarize(plans).text()
    session.emit(
        PatchApplyEndEvent(
            turn_id=turn_id,
            item_id=item_id,
            call_id=call_id,
            stdout=stdout,
            stderr=error or "",
            success=error is None,
            changes=changes,
            status=status,
        )
    )
    session.emit(
        ItemCompletedEvent(turn_id=turn_id, item=item.model_copy(update={"status": status}))
    )
    session.emit_turn_diff()
    if error:
        return ToolOutput(f"apply_patch failed: {error}", success=False)
    return ToolOutput(stdout + "".join(f"Note: {note}\n" for note in notes))
