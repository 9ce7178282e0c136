"""``apply_patch``: the model edits files with a patch in Codex's format.

Offered as a freeform tool with the Lark grammar (Responses API models that support it) or as a
function taking ``{"input": patch}``; also reached when the model runs ``apply_patch`` through
``shell``; both ways are judged by the same code (:func:`apply_patch_for_model`). The patch is
verified (parsed, every path resolved and judged, every file change computed) before anything
is written; then approval follows the policy (:func:`codex_lsp.exec.safety.decide_approval`) —
changes outside the policy's writable roots always need the user, changes in ``.git``,
``.codex`` or ``.codex-lsp`` need them every time — and the files are written atomically.
"""

from __future__ import annotations

import asyncio
import difflib
import os
import re
from pathlib import Path

from codex_lsp.exec.safety import Ask, PatchWrites, Refuse, Run, decide_approval
from codex_lsp.patch.boundary import Survey, survey
from codex_lsp.patch.files import FilePlan, plan_hunks, summarize
from codex_lsp.patch.model import Hunk, PatchError
from codex_lsp.patch.parser import parse_patch
from codex_lsp.patch.review import keep_accepted, rejection_report
from codex_lsp.protocol.events import (
    ApplyPatchApprovalRequestEvent,
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
from codex_lsp.protocol.policies import DangerFullAccess, ReadOnly
from codex_lsp.tools.files import FileSink
from codex_lsp.tools.lifecycle import ToolCallLife
from codex_lsp.tools.registry import (
    REJECTED_FOR_GOOD,
    ToolArgs,
    ToolInvocation,
    ToolOutput,
    ToolSession,
    parse_arguments,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from codex_lsp.patch.files import Reader


_LITERAL_WORD = r"""'[^']*'|"[^"$`\\!]*"|(?!-)[^\s'"$`\\~;&|<>(){}*?\[\]!#]+"""
"""A shell word that means itself (no expansion): single-quoted, double-quoted without ``$``,
backquotes, backslashes or ``!``, or unquoted without shell syntax (and not an option such as
``cd -``). A ``cd`` to anything else is not intercepted: the command then runs in the sandbox
like any other."""
_HEREDOC = re.compile(
    rf"""^\s*(?:cd\s+(?P<dir>{_LITERAL_WORD})\s*&&\s*)?"""  # optional `cd DIR &&`
    r"""apply_?patch\s*<<\s*(?P<q>['"]?)(?P<tag>\w+)(?P=q)[ \t]*\n"""  # apply_patch <<'EOF'
    r"""(?P<body>.*?)\n(?P=tag)\s*$""",  # the patch, then the closing tag
    re.DOTALL,
)


class _FunctionArgs(ToolArgs):
    input: str


def patch_from_shell(argv: list[str]) -> tuple[str, str | None] | None:
    """``(patch, folder)`` when a shell command is really an apply_patch call, else ``None``;
    ``folder`` (from ``cd DIR &&``) only places the patch's relative paths."""
    if len(argv) == 2 and Path(argv[0]).name in ("apply_patch", "applypatch"):
        return argv[1], None
    if len(argv) == 3 and Path(argv[0]).name in ("bash", "sh", "zsh") and argv[1] in ("-c", "-lc"):
        match = _HEREDOC.match(argv[2])
        if match:
            word = match.group("dir")
            workdir = word[1:-1] if word and word[0] in "'\"" else word
            return match.group("body"), workdir
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


def _writable_roots(session: ToolSession) -> list[Path] | None:
    """The policy's writable roots (``None``: everything): the conversation's cwd and
    ``sandbox_workspace_write.writable_roots``; never a folder the model names."""
    policy = session.sandbox_policy
    if isinstance(policy, DangerFullAccess):
        return None
    if isinstance(policy, ReadOnly):
        return []
    return [session.cwd, *policy.writable_roots]


def _writes(found: Survey, session: ToolSession, life: ToolCallLife) -> PatchWrites:
    """Where the patch writes, as the approval decision needs it."""
    return PatchWrites(
        protected=tuple(d.shown for d in found.destinations if d.protected),
        outside=tuple(d.shown for d in found.destinations if d.outside),
        read_only=tuple(d.shown for d in found.destinations if d.read_only),
        review=session.review_patches,
        approved_for_session=life.approved_for_session,
    )


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


async def _reader(files: FileSink, hunks: list[Hunk]) -> Reader:
    """The current text of every file the hunks read, loaded now (buffers on the event loop,
    the disk in a worker thread) so the patch can be computed in a thread."""
    loaded: dict[Path, str | PatchError | None] = {}
    for hunk in hunks:
        path = Path(hunk.path)
        try:
            loaded[path] = await files.load(path)
        except PatchError as exc:
            loaded[path] = exc

    def read(path: Path) -> str | None:
        value = loaded[path]
        if isinstance(value, PatchError):
            raise value
        return value

    return read


def _plan(found: Survey, read: Reader) -> tuple[list[FilePlan], dict[str, FileChange]]:
    """The patch computed against ``read``, each file named as the user is shown it."""
    plans = [
        plan.named(
            found.shown(plan.target), found.shown(plan.move_target) if plan.move_target else None
        )
        for plan in plan_hunks(found.hunks, Path("/"), read)
    ]
    return plans, _changes(plans)


async def apply_patch_for_model(
    session: ToolSession, call_id: str, patch: str, base: Path
) -> ToolOutput:
    """Verify, approve, apply and report one patch. ``base`` is the folder its relative paths
    start from (the conversation's cwd, or the folder a ``shell`` call names); what may be
    written without asking is always the policy's writable roots, whatever ``base`` is.

    Order: parse; resolve and judge every path; refuse under ``never`` what would need the user
    (before reading anything); read the files (regular files only, capped, off the event loop);
    compute the change; ask; write."""
    workspace, roots = session.cwd, _writable_roots(session)
    try:
        found = await asyncio.to_thread(lambda: survey(parse_patch(patch), base, workspace, roots))
    except PatchError as exc:
        return _verification_failed(exc)
    key = ("apply_patch", *sorted(found.shown(Path(h.path)) for h in found.hunks))
    deny_key = (*key, patch)
    if deny_key in session.denied_for_session:
        return ToolOutput(f"apply_patch rejected: {REJECTED_FOR_GOOD}", success=False)
    life = ToolCallLife(session, key)
    decision = decide_approval(
        session.approval_policy, session.sandbox_policy, _writes(found, session, life)
    )
    if isinstance(decision, Refuse):
        return ToolOutput(decision.message, success=False)
    try:
        plans, changes = await asyncio.to_thread(
            _plan, found, await _reader(session.files, found.hunks)
        )
    except PatchError as exc:
        return _verification_failed(exc)
    item_id = session.new_item_id()
    rejected: dict[str, list[str]] = {}
    if isinstance(decision, Ask):
        request = ApplyPatchApprovalRequestEvent(
            turn_id=session.turn_id,
            item_id=item_id,
            call_id=call_id,
            changes=changes,
            reason=decision.reason,
        )
        answer = await life.ask(
            request,
            "the user rejected this patch; do not apply it again as is",
            remember_deny=lambda: session.denied_for_session.add(deny_key),
        )
        if isinstance(answer, ToolOutput):
            return answer
        reviewed = keep_accepted(plans, answer.rejected_hunks)
        plans, rejected = reviewed.plans, reviewed.rejected
        if not plans:
            return ToolOutput(rejection_report(rejected), success=False)
        if rejected:
            changes = _changes(plans)
    item = FileChangeItem(id=item_id, changes=changes)
    output = await _apply(life, call_id, item, plans, auto_approved=isinstance(decision, Run))
    if rejected and output.success:
        return ToolOutput(output.text + rejection_report(rejected))
    return output


def _verification_failed(exc: PatchError) -> ToolOutput:
    return ToolOutput(f"apply_patch verification failed: {exc.message}", success=False)


def _moved(plans: list[FilePlan]) -> list[str]:
    """Files whose folder resolves elsewhere than when the patch was judged (a symlink appeared
    on the way, made by a command while the user was deciding). The file itself needs no check:
    a write renames over it and a delete unlinks it, neither following a symlink there."""
    return [
        plan.path
        for plan in plans
        for path in (plan.target, plan.move_target)
        if path is not None and os.path.realpath(path.parent) != str(path.parent)
    ]


async def _apply(
    life: ToolCallLife,
    call_id: str,
    item: FileChangeItem,
    plans: list[FilePlan],
    *,
    auto_approved: bool,
) -> ToolOutput:
    """Write ``plans`` (the changes ``item`` shows) and report it as the call's item."""
    session = life.session
    turn_id, item_id, changes = session.turn_id, item.id, item.changes
    life.start(
        item,
        PatchApplyBeginEvent(
            turn_id=turn_id,
            item_id=item_id,
            call_id=call_id,
            auto_approved=auto_approved,
            changes=changes,
        ),
    )
    session.record_preimage(
        [p for plan in plans for p in (plan.target, plan.move_target) if p is not None]
    )
    error = None
    notes: list[str] = []
    moved = await asyncio.to_thread(_moved, plans)
    try:
        if moved:
            raise PatchError(
                f"{', '.join(moved)} now leads somewhere else than when the patch was checked "
                "(a symlink changed); nothing was written"
            )
        notes = await session.files.write(plans, "codex-lsp: apply_patch")
    except PatchError as exc:
        error = exc.message
    except OSError as exc:
        error = f"{exc.filename}: {exc.strerror}"
    status = ItemStatus.FAILED if error else ItemStatus.COMPLETED
    stdout = "" if error else summarize(plans).text()
    life.finish(
        PatchApplyEndEvent(
            turn_id=turn_id,
            item_id=item_id,
            call_id=call_id,
            stdout=stdout,
            stderr=error or "",
            success=error is None,
            changes=changes,
            status=status,
        ),
        item.model_copy(update={"status": status}),
    )
    session.emit_turn_diff()
    if error:
        return ToolOutput(f"apply_patch failed: {error}", success=False)
    return ToolOutput(stdout + "".join(f"Note: {note}\n" for note in notes))
