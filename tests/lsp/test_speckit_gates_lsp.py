"""Quality-gate questions in a real language server, as any LSP client sees them: a critical
need-human issue of the clarify gate is a ``speckit`` diagnostic on spec.md (published and
pulled), ``/speckit.auto`` asks no plan agent while it is open, and the code action's answer
edits spec.md through ``workspace/applyEdit``, clears the diagnostic and lets the plan start; the
same wait survives a SIGKILL of the server, and the answer then resumes the run; typing
``/speckit.auto`` again after a restart sends the open gate's questions again, answerable as the
panel does. With no gate agents the native checks hold the gate: a ``[NEEDS CLARIFICATION: …]``
marker in spec.md is such a critical diagnostic, answered with the panel's free text through its
"Answer…" action."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from codex_lsp.testing import FakeModelServer
from tests.lsp.conftest import Session, open_session
from tests.speckit.agents import agents_toml
from tests.speckit.conftest import make_fork_repo, make_fork_spec
from tests.speckit.pipeline import AGENTS, STAGES, asked, enqueue, wait_until
from tests.speckit.test_gates import GATES, QUESTION, critical_gate, enqueue_gate
from tests.speckit.test_native_gates import MARKER, add_marker

pytestmark = pytest.mark.slow


class _Agents:
    def __init__(self, servers: dict[str, FakeModelServer]) -> None:
        self.servers = servers


@pytest.fixture
def scripted() -> Iterator[tuple[_Agents, FakeModelServer]]:
    with ExitStack() as stack:
        started = {name: stack.enter_context(FakeModelServer()) for name in ("main", *AGENTS)}
        main = started.pop("main")
        yield _Agents(started), main


def _setup(clean_env: Path, tmp_path: Path, agents: _Agents, main: FakeModelServer) -> Path:
    clean_env.mkdir(parents=True, exist_ok=True)
    toml = agents_toml(agents.servers, main.base_url, extra=GATES)
    (clean_env / "config.toml").write_text(toml, "utf-8")
    spec = make_fork_spec(make_fork_repo(tmp_path / "fork"))
    enqueue_gate(agents, critical_gate("redirect"))
    for stage in STAGES:
        enqueue(agents, stage)
    return spec


def _approve(lsp: Session) -> None:
    lsp.patch_answers = [{"decision": "approved"}] * 4
    lsp.approvals = ["approved"] * 4


def _waiting(message: dict[str, Any]) -> bool:
    return bool(message["state"] == "waiting")


def _speckit_diagnostics(lsp: Session, path: Path) -> list[types.Diagnostic]:
    return [d for d in lsp.client.diagnostics.get(path.as_uri(), []) if d.source == "speckit"]


async def _answer_from_the_code_action(lsp: Session, spec_md: Path) -> Any:
    (shown,) = _speckit_diagnostics(lsp, spec_md)
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=spec_md.as_uri()),
        range=shown.range,
        context=types.CodeActionContext(diagnostics=[shown]),
    )
    found = await lsp.client.text_document_code_action_async(params)
    titles = [a.title for a in found or []]
    assert titles[:3] == ["Answer CLR-009: Okta", "Answer CLR-009: Auth0", "Answer CLR-009…"]
    okta = next(a for a in found or [] if a.title == "Answer CLR-009: Okta")
    # pytest-lsp reads a CodeAction carrying a command as a Command whose `command` is the
    # repr of the nested one: undo that (an editor reads the JSON as it is)
    nested = okta.command if isinstance(okta, types.CodeAction) else okta
    assert nested is not None
    command = (
        ast.literal_eval(nested.command)
        if nested.command.startswith("{")
        else {"command": nested.command, "arguments": nested.arguments}
    )
    assert command["command"] == "codex-lsp.speckit.answer"
    return await lsp.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command["command"], arguments=command["arguments"])
    )


async def _pulled(lsp: Session, path: Path) -> list[types.Diagnostic]:
    report = await lsp.client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(path.as_uri()))
    )
    assert isinstance(
        report, types.RelatedFullDocumentDiagnosticReport | types.FullDocumentDiagnosticReport
    )
    return list(report.items)


async def test_a_critical_question_is_a_diagnostic_and_its_code_action_lets_the_run_go_on(
    clean_env: Path, tmp_path: Path, scripted: tuple[_Agents, FakeModelServer]
) -> None:
    agents, main = scripted
    spec = _setup(clean_env, tmp_path, agents, main)
    spec_md = spec / "spec.md"
    async with open_session(clean_env, spec.parent.parent, "neovim", custom_approvals=True) as lsp:
        _approve(lsp)
        conversation = await lsp.new_conversation()
        await lsp.say(conversation, "/speckit.auto SPEC-KIT-071")
        await wait_until(lambda: bool(_speckit_diagnostics(lsp, spec_md)), timeout=30)
        (shown,) = _speckit_diagnostics(lsp, spec_md)
        assert shown.severity == types.DiagnosticSeverity.Error and shown.code == "CLR-009"
        assert QUESTION in shown.message and "gemini: Okta" in shown.message
        assert "claude: Auth0" in shown.message and "waits for the answer" in shown.message
        assert shown.range.start.line == 15  # the requirement line that says "redirect"
        (pulled,) = await _pulled(lsp, spec_md)
        assert pulled.code == "CLR-009"
        await lsp.log.wait_for("speckitAutoProgress", conversation, _waiting, timeout=30)
        assert "plan" not in asked(agents)
        result = await _answer_from_the_code_action(lsp, spec_md)
        assert result["answered"] is True and result["resumed"] is False
        assert "- CLR-009: Which identity provider does sign-in use? → Okta" in spec_md.read_text()
        assert _speckit_diagnostics(lsp, spec_md) == [] and await _pulled(lsp, spec_md) == []
        done = await lsp.log.wait_for("taskComplete", conversation, timeout=45)
        assert done["lastAgentMessage"].startswith("## /speckit.auto SPEC-KIT-071: completed")
        assert asked(agents).count("plan") == 3


async def test_the_critical_wait_survives_a_restart_and_the_answer_resumes_the_run(
    clean_env: Path, tmp_path: Path, scripted: tuple[_Agents, FakeModelServer]
) -> None:
    agents, main = scripted
    spec = _setup(clean_env, tmp_path, agents, main)
    spec_md = spec / "spec.md"
    root = spec.parent.parent
    async with open_session(clean_env, root, "neovim", custom_approvals=True) as first:
        conversation = await first.new_conversation()
        await first.say(conversation, "/speckit.auto SPEC-KIT-071")
        await wait_until(lambda: bool(_speckit_diagnostics(first, spec_md)), timeout=30)
        await first.kill()
    async with open_session(clean_env, root, "neovim", custom_approvals=True) as second:
        _approve(second)
        await wait_until(lambda: bool(_speckit_diagnostics(second, spec_md)), timeout=15)
        assert any("Resume /speckit.auto SPEC-KIT-071" in m.message for m in second.client.messages)
        assert "plan" not in asked(agents)
        result = await _answer_from_the_code_action(second, spec_md)
        assert result["answered"] is True and result["resumed"] is True
        await wait_until(lambda: asked(agents).count("unlock") == 3, timeout=45)
        assert asked(agents).count("clarify") == 3  # the gate was not asked again
        await wait_until((spec / "unlock.md").is_file, timeout=15)


@pytest.mark.parametrize("stop", ["killed", "shut down"])
async def test_a_run_resumed_after_a_restart_sends_its_open_gate_again_and_its_answer_finishes_it(
    clean_env: Path, tmp_path: Path, scripted: tuple[_Agents, FakeModelServer], stop: str
) -> None:
    agents, main = scripted
    spec = _setup(clean_env, tmp_path, agents, main)
    spec_md = spec / "spec.md"
    root = spec.parent.parent
    async with open_session(clean_env, root, "visual-studio-code", custom_approvals=True) as first:
        conversation = await first.new_conversation()
        await first.say(conversation, "/speckit.auto SPEC-KIT-071")
        held = await first.log.wait_for("speckitGate", conversation, timeout=30)
        await first.log.wait_for("speckitAutoProgress", conversation, _waiting, timeout=15)
        if stop == "killed":
            await first.kill()
    async with open_session(clean_env, root, "visual-studio-code", custom_approvals=True) as second:
        _approve(second)
        await wait_until(lambda: bool(_speckit_diagnostics(second, spec_md)), timeout=15)
        second.client.diagnostics.clear()  # those of the start: the resume publishes them again
        resumed = await second.new_conversation()
        await second.say(resumed, "/speckit.auto SPEC-KIT-071")
        gate = await second.log.wait_for("speckitGate", resumed, timeout=20)
        assert gate == held  # the stored questions, options, file/line and critical list
        (question,) = gate["questions"]
        assert question["question"] == QUESTION and question["options"] == ["Okta", "Auth0"]
        assert gate["critical"] == ["CLR-009"] and question["line"] == 15
        await second.log.wait_for("speckitAutoProgress", resumed, _waiting, timeout=15)
        await wait_until(lambda: bool(_speckit_diagnostics(second, spec_md)), timeout=15)
        (shown,) = _speckit_diagnostics(second, spec_md)
        assert shown.code == "CLR-009" and shown.range.start.line == 15
        assert "plan" not in asked(agents)
        # the panel's card answers with the question's option, as codex-lsp.speckit.answer
        result = await second.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="codex-lsp.speckit.answer",
                arguments=[gate["runId"], gate["checkpoint"], "CLR-009", question["options"][0]],
            )
        )
        assert result["answered"] is True and result["resumed"] is False  # it runs here already
        done = await second.log.wait_for("taskComplete", resumed, timeout=45)
        assert done["lastAgentMessage"].startswith("## /speckit.auto SPEC-KIT-071: completed")
        assert "- CLR-009: Which identity provider does sign-in use? → Okta" in spec_md.read_text()
        assert "CLR-009" not in [d.code for d in _speckit_diagnostics(second, spec_md)]
        assert asked(agents).count("clarify") == 3  # the gate was not held again
        assert asked(agents).count("unlock") == 3


async def test_with_no_gate_agents_a_needs_clarification_marker_is_a_diagnostic_that_holds_the_run(
    clean_env: Path, tmp_path: Path, scripted: tuple[_Agents, FakeModelServer]
) -> None:
    agents, main = scripted
    clean_env.mkdir(parents=True, exist_ok=True)
    (clean_env / "config.toml").write_text(agents_toml(agents.servers, main.base_url), "utf-8")
    spec = make_fork_spec(make_fork_repo(tmp_path / "fork"))
    spec_md = spec / "spec.md"
    line = add_marker(spec_md)
    for stage in STAGES:
        enqueue(agents, stage)
    async with open_session(clean_env, spec.parent.parent, "neovim", custom_approvals=True) as lsp:
        _approve(lsp)
        conversation = await lsp.new_conversation()
        await lsp.say(conversation, "/speckit.auto SPEC-KIT-071")
        await wait_until(lambda: bool(_speckit_diagnostics(lsp, spec_md)), timeout=30)
        (shown,) = _speckit_diagnostics(lsp, spec_md)
        assert shown.severity == types.DiagnosticSeverity.Error and shown.code == "AMB-001"
        assert shown.range.start.line == line and MARKER in shown.message
        assert "low confidence" in shown.message and "waits for the answer" in shown.message
        await lsp.log.wait_for("speckitAutoProgress", conversation, _waiting, timeout=30)
        assert asked(agents) == []
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=spec_md.as_uri()),
            range=shown.range,
            context=types.CodeActionContext(diagnostics=[shown]),
        )
        found = await lsp.client.text_document_code_action_async(params)
        (action,) = [a for a in found or [] if a.title.startswith("Answer")]
        assert action.title == "Answer AMB-001…"  # the heuristic suggests no answer
        nested = action.command if isinstance(action, types.CodeAction) else action
        assert nested is not None
        command = (
            ast.literal_eval(nested.command)
            if nested.command.startswith("{")
            else {"command": nested.command, "arguments": nested.arguments}
        )
        result = await lsp.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=command["command"], arguments=[*command["arguments"], "Okta"]
            )
        )
        assert result["answered"] is True
        answered = spec_md.read_text().splitlines()[line]
        assert answered == "- **FR-003**: Sign-in MUST go through Okta"
        assert _speckit_diagnostics(lsp, spec_md) == []
        done = await lsp.log.wait_for("taskComplete", conversation, timeout=45)
        assert done["lastAgentMessage"].startswith("## /speckit.auto SPEC-KIT-071: completed")
        assert asked(agents).count("plan") == 3
