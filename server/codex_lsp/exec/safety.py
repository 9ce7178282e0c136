"""Whether a tool call may go ahead, must ask the user, or is refused, under an approval policy
and a sandbox: one pure function, :func:`decide_approval`, for shell commands, patches and MCP
tools; the tools only gather what it needs and follow its answer.

Commands known to be safe run without asking even under ``untrusted``: read-only tools with no
option that writes, executes or escapes. Scripts (``bash -lc``) are read with a real bash parser;
every command in every list and pipeline must be safe, and redirections, substitutions and
anything beyond plain commands make a script unsafe."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import overload

from codex_lsp.exec.parse import shell_script
from codex_lsp.exec.rules import RuleVerdict
from codex_lsp.exec.shell_parse import parse_script
from codex_lsp.protocol.policies import AskForApproval, DangerFullAccess, ReadOnly, WorkspaceWrite
from codex_lsp.protocol.protected import PROTECTED_FOLDERS

ESCALATION_UNDER_NEVER = (
    "escalated permissions were requested but the approval policy is `never`; "
    "run the command inside the sandbox instead"
)
RETRY_OUTSIDE_REASON = "the command failed in the sandbox; run it again without the sandbox?"


@dataclass(frozen=True)
class ShellCommand:
    """A command the model asks to run, as the decision sees it."""

    argv: tuple[str, ...]
    rule: RuleVerdict = RuleVerdict.NONE
    """What the command rules say about it."""
    rule_reason: str | None = None
    """The rules that decided (where each was written, its justification), for the messages."""
    escalated: bool = False
    """The model asked to run it outside the sandbox."""
    justification: str | None = None
    """The model's reason for the escalation, shown to the user."""
    approved_for_session: bool = False
    """The user already approved this very command for the conversation."""


@dataclass(frozen=True)
class PatchWrites:
    """Where a patch writes, as the user is shown each path; empty tuples: inside the writable
    roots and out of the protected folders."""

    protected: tuple[str, ...] = ()
    """In ``.git``, ``.codex`` or ``.codex-lsp``: asked every time, whatever was approved."""
    outside: tuple[str, ...] = ()
    """Outside the workspace and every writable root."""
    read_only: tuple[str, ...] = ()
    """In the workspace while the sandbox is read-only."""
    review: bool = False
    """Every patch waits for the user's review (``review_patches``), except under ``never``."""
    approved_for_session: bool = False
    """The user already approved a patch to these very files for the conversation."""


@dataclass(frozen=True)
class McpToolCall:
    """A call of an MCP server's tool."""

    server: str
    tool: str
    read_only: bool = False
    """The server says the tool changes nothing (``readOnlyHint``)."""
    approved_for_session: bool = False
    """The user already approved this tool for the conversation."""


@dataclass(frozen=True)
class Ask:
    """Ask the user first, saying ``reason``; on approval run, in the sandbox or not."""

    reason: str | None = None
    sandboxed: bool = True


@dataclass(frozen=True)
class Run:
    """Go ahead without asking, in the sandbox or not. ``on_denial``: when the sandbox denies the
    command, what to do about running it again outside (``None``: the failure stands)."""

    sandboxed: bool = True
    on_denial: Run | Ask | None = None


@dataclass(frozen=True)
class Refuse:
    """Do not run it; the model is told ``message``."""

    message: str


@dataclass(frozen=True)
class WebRequest:
    """A request of a web tool (``fetch_url``, ``web_search``) to ``target``."""

    tool: str
    target: str
    approved_for_session: bool = False
    """The user already approved this tool for the conversation."""


Decision = Run | Ask | Refuse
CallClass = ShellCommand | PatchWrites | McpToolCall | WebRequest


@overload
def decide_approval(
    approval: AskForApproval,
    sandbox: DangerFullAccess | ReadOnly | WorkspaceWrite,
    call: McpToolCall | WebRequest,
) -> Run | Ask: ...


@overload
def decide_approval(
    approval: AskForApproval,
    sandbox: DangerFullAccess | ReadOnly | WorkspaceWrite,
    call: ShellCommand | PatchWrites,
) -> Decision: ...


def decide_approval(
    approval: AskForApproval,
    sandbox: DangerFullAccess | ReadOnly | WorkspaceWrite,
    call: CallClass,
) -> Decision:
    """Whether ``call`` runs, asks the user first, or is refused under ``approval`` and
    ``sandbox``. Pure: what the user approved before comes in as ``approved_for_session``."""
    if isinstance(call, ShellCommand):
        return _command(approval, sandbox, call)
    if isinstance(call, PatchWrites):
        return _patch(approval, call)
    if isinstance(call, WebRequest):
        return _web(approval, call)
    return _mcp_tool(approval, call)


def _command(
    approval: AskForApproval,
    sandbox: DangerFullAccess | ReadOnly | WorkspaceWrite,
    call: ShellCommand,
) -> Decision:
    """Escalation is refused under ``never``, a deny rule always; a prompt rule asks under
    every policy but ``never``, which refuses; ``untrusted`` asks for all but known-safe
    commands, and every other policy for an escalation (running outside the sandbox is the
    user's call, never the model's alone), unless an allow rule or the session's approval covers
    it; ``on-failure`` offers to run a command the sandbox denied again outside it."""
    if call.escalated and approval is AskForApproval.NEVER:
        return Refuse(ESCALATION_UNDER_NEVER)
    command = shlex.join(call.argv)
    if call.rule is RuleVerdict.DENY:
        return Refuse(
            f"`{command}` is denied by a command rule ({call.rule_reason or 'deny'}); do not run it"
        )
    sandboxed = not call.escalated
    if call.rule is RuleVerdict.PROMPT:
        if approval is AskForApproval.NEVER:
            return Refuse(
                f"`{command}` needs the user's approval by a command rule "
                f"({call.rule_reason or 'prompt'}), but the approval policy is `never`; "
                "do not run it"
            )
        if not call.approved_for_session:
            reason = f"a command rule asks first: {call.rule_reason or 'prompt'}"
            return Ask(reason, sandboxed=sandboxed)
    asks = (approval is AskForApproval.UNTRUSTED and not is_known_safe(list(call.argv))) or (
        call.escalated
    )
    if asks and call.rule is not RuleVerdict.ALLOW and not call.approved_for_session:
        return Ask(call.justification, sandboxed=sandboxed)
    retries = (
        approval is AskForApproval.ON_FAILURE
        and sandboxed
        and not isinstance(sandbox, DangerFullAccess)
    )
    if not retries:
        return Run(sandboxed)
    outside = (
        Run(sandboxed=False)
        if call.approved_for_session
        else Ask(RETRY_OUTSIDE_REASON, sandboxed=False)
    )
    return Run(sandboxed, on_denial=outside)


def _patch(approval: AskForApproval, call: PatchWrites) -> Decision:
    """A patch that writes outside the writable roots or into a protected folder needs the
    user, and so does every patch under ``untrusted`` or with ``review``; the session's
    approval covers all but the protected folders; ``never`` refuses what needs the user."""
    reason = _patch_reason(call)
    asks = (
        (call.review and approval is not AskForApproval.NEVER)
        or approval is AskForApproval.UNTRUSTED
        or reason is not None
    )
    if not call.protected and not (asks and not call.approved_for_session):
        return Run()
    if approval is AskForApproval.NEVER:
        return Refuse(
            f"apply_patch rejected: this patch {reason}, and the approval policy is `never`, so "
            "it cannot be approved; keep edits inside the workspace and out of "
            f"{', '.join(PROTECTED_FOLDERS)}"
        )
    return Ask(reason)


def _patch_reason(call: PatchWrites) -> str | None:
    """Why the patch needs the user, naming the paths (``None``: it does not by itself)."""
    parts = []
    if call.protected:
        parts.append(
            f"changes {', '.join(call.protected)} in a protected folder "
            f"({', '.join(PROTECTED_FOLDERS)} hold the repository's and the agent's own "
            "configuration)"
        )
    if call.outside:
        parts.append(f"writes outside the workspace: {', '.join(call.outside)}")
    if call.read_only:
        parts.append(f"writes {', '.join(call.read_only)} while the sandbox is read-only")
    return "; ".join(parts) or None


def _mcp_tool(approval: AskForApproval, call: McpToolCall) -> Run | Ask:
    """``untrusted`` and ``on-request`` ask before a tool that is not read-only, once per tool
    when approved for the session."""
    if (
        approval in (AskForApproval.NEVER, AskForApproval.ON_FAILURE)
        or call.read_only
        or call.approved_for_session
    ):
        return Run()
    return Ask(f"call tool {call.tool} of MCP server {call.server}")


def _web(approval: AskForApproval, call: WebRequest) -> Run | Ask:
    """Under ``untrusted`` every web request asks (it sends what the model chose to the
    outside world), once per tool when approved for the session; the network policy itself is
    the tool's check, before this one."""
    if approval is not AskForApproval.UNTRUSTED or call.approved_for_session:
        return Run()
    return Ask(f"{call.tool} reaches the network: {call.target}")


_ALWAYS_SAFE = {
    "basename",
    "cat",
    "cd",
    "cmp",
    "cut",
    "df",
    "diff",
    "dirname",
    "du",
    "echo",
    "false",
    "grep",
    "egrep",
    "fgrep",
    "head",
    "id",
    "ls",
    "nl",
    "printf",
    "pwd",
    "realpath",
    "stat",
    "tail",
    "tr",
    "true",
    "uname",
    "wc",
    "which",
    "whoami",
    "hostname",
    "readlink",
    "md5sum",
    "sha256sum",
}
_GIT_READ_ONLY = {
    "status",
    "log",
    "diff",
    "show",
    "rev-parse",
    "ls-files",
    "blame",
    "grep",
    "describe",
}
_GIT_BRANCH_LISTING = {
    "--list",
    "-l",
    "-a",
    "--all",
    "-r",
    "--remotes",
    "-v",
    "-vv",
    "--show-current",
}
_FIND_UNSAFE = {
    "-exec",
    "-execdir",
    "-ok",
    "-okdir",
    "-delete",
    "-fls",
    "-fprint",
    "-fprint0",
    "-fprintf",
}
_RG_UNSAFE = {"--pre", "--hostname-bin", "--search-zip", "-z"}
_SORT_UNSAFE = ("-o", "--output", "--compress-program")


def is_known_safe(argv: list[str]) -> bool:
    """True when every command in ``argv`` (or its ``bash -lc`` script) is read-only."""
    script = shell_script(argv)
    if script is None:
        return _safe_command(argv)
    commands = parse_script(script)
    return bool(commands) and all(_safe_command(c) for c in commands or [])


def _safe_command(argv: list[str]) -> bool:
    if not argv:
        return False
    name = PurePosixPath(argv[0]).name
    rest = argv[1:]
    if name in _ALWAYS_SAFE:
        return True
    checks: dict[str, Callable[[list[str]], bool]] = {
        "git": _safe_git,
        "find": lambda a: not any(x in _FIND_UNSAFE for x in a),
        "rg": lambda a: not any(x.split("=")[0] in _RG_UNSAFE for x in a),
        "sed": _safe_sed,
        "sort": lambda a: not any(x.startswith(_SORT_UNSAFE) for x in a),
        "env": lambda a: not a,
        "tree": lambda a: not any(x == "-o" or x.startswith("-o") for x in a),
        "date": lambda a: not any(x in ("-s", "--set") or x.startswith("--set=") for x in a),
        "uniq": lambda a: len([x for x in a if not x.startswith("-")]) <= 1,
        "file": lambda a: not any(x in ("-C", "--compile") for x in a),
    }
    check = checks.get(name)
    return check is not None and check(rest)


def _safe_git(rest: list[str]) -> bool:
    if not rest or rest[0].startswith("-"):
        return False  # global options (-c, -C, --exec-path, ...) can run anything
    sub, args = rest[0], rest[1:]
    if any(a.startswith(("--output", "--ext-diff", "--textconv")) for a in args):
        return False
    if sub == "branch":
        return all(a in _GIT_BRANCH_LISTING for a in args)
    return sub in _GIT_READ_ONLY


def _safe_sed(rest: list[str]) -> bool:
    """Only ``sed -n Np`` / ``sed -n N,Mp`` on files."""
    if len(rest) < 2 or rest[0] != "-n":
        return False
    expression = rest[1]
    if not expression.endswith("p"):
        return False
    numbers = expression[:-1].split(",")
    return (
        1 <= len(numbers) <= 2
        and all(n.isdigit() for n in numbers)
        and all(not f.startswith("-") for f in rest[2:])
    )
