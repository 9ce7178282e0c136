"""The agent's code actions, in plain LSP: "Fix with codex-lsp" on each diagnostic in range and,
on a selection, Explain / Refactor… / Write tests / Ask. The list is cheap (no command until
``codeAction/resolve``, for clients that resolve); running one is the ``codex-lsp.runCodeAction``
command, which starts a turn whose edits arrive as WorkspaceEdits like any other."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

RUN_COMMAND = "codex-lsp.runCodeAction"
SPECKIT_KIND = "speckit"
"""The ``data.kind`` of spec-kit's code actions (:mod:`codex_lsp.lsp.speckit`)."""
SELF_SOURCE = "codex-lsp"
REVIEW_SOURCE = "codex-review"
"""The source of review findings (:mod:`codex_lsp.lsp.review_diagnostics`)."""
SPECKIT_SOURCE = "speckit"
"""spec-kit's quality-gate questions: answered by their own code actions, never "fixed" by
the model."""

_SELECTION_ACTIONS: tuple[tuple[str, str, types.CodeActionKind], ...] = (
    ("explain", "Explain with codex-lsp", types.CodeActionKind.Empty),
    ("refactor", "Refactor with codex-lsp…", types.CodeActionKind.RefactorRewrite),
    ("tests", "Write tests for this with codex-lsp", types.CodeActionKind.Empty),
    ("ask", "Ask codex-lsp about the selection", types.CodeActionKind.Empty),
)
KINDS = [types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite]


def resolves_commands(capabilities: types.ClientCapabilities | None) -> bool:
    """True when the client resolves a code action's ``command`` lazily."""
    text = getattr(capabilities, "text_document", None)
    action = getattr(text, "code_action", None)
    support = getattr(action, "resolve_support", None)
    return bool(support and "command" in (support.properties or []))


def wanted(kind: types.CodeActionKind, only: list[str] | None) -> bool:
    """``kind`` is among the kinds the request asks for (``context.only``), or none was named."""
    if not only:
        return True
    return any(kind == k or str(kind).startswith(f"{k}.") for k in only)


def _range(r: types.Range) -> list[int]:
    return [r.start.line, r.start.character, r.end.line, r.end.character]


def code_actions(params: types.CodeActionParams, lazy: bool) -> list[types.CodeAction]:
    """The actions for ``params``; with ``lazy`` their command comes from :func:`resolve`."""
    uri = params.text_document.uri
    only = [str(k) for k in params.context.only] if params.context.only else None
    actions: list[types.CodeAction] = []
    if wanted(types.CodeActionKind.QuickFix, only):
        for diag in params.context.diagnostics:
            if diag.source in (SELF_SOURCE, SPECKIT_SOURCE):
                continue
            data: dict[str, Any] = {
                "kind": "fix",
                "uri": uri,
                "range": _range(diag.range),
                "diagnostic": {
                    "message": diag.message,
                    "source": diag.source,
                    "code": None if diag.code is None else str(diag.code),
                    "line": diag.range.start.line,
                },
            }
            first_line = diag.message.splitlines()[0] if diag.message else ""
            title = f"Fix with codex-lsp: {first_line[:60]}"
            if diag.source == REVIEW_SOURCE:  # a review finding: fixed where it was found
                title = f"Fix this: {first_line[:60]}"
                found_in = diag.data.get("conversationId") if isinstance(diag.data, dict) else None
                data["conversationId"] = found_in if isinstance(found_in, str) else None
            actions.append(
                types.CodeAction(
                    title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diag], data=data
                )
            )
    selection = params.range
    if selection.start != selection.end:
        for name, title, kind in _SELECTION_ACTIONS:
            if wanted(kind, only):
                data = {"kind": name, "uri": uri, "range": _range(selection)}
                actions.append(types.CodeAction(title=title, kind=kind, data=data))
    if not lazy:
        actions = [resolve(a) for a in actions]
    return actions


def resolve(action: types.CodeAction) -> types.CodeAction:
    """Fill in the command that runs ``action``: a spec-kit action's data names its command
    (``codex-lsp.speckit.plan``) and arguments, the others run ``codex-lsp.runCodeAction``. An
    action that came with its command (a quality-gate answer) is complete as it is."""
    if action.command is not None and action.data is None:
        return action
    data: Any = action.data
    if isinstance(data, dict) and data.get("kind") == SPECKIT_KIND:
        arguments = data.get("arguments")
        command, args = str(data.get("command")), arguments if isinstance(arguments, list) else []
        action.command = types.Command(title=action.title, command=command, arguments=args)
        return action
    action.command = types.Command(title=action.title, command=RUN_COMMAND, arguments=[data])
    return action
