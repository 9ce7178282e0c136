"""Quality-gate questions as diagnostics, in the server's own code: a fork-layout repository whose
``spec.md`` has 2,000 lines and a ``/speckit.auto`` run with 50 open gate issues in the store.
Timed in process, through the language server's spec-kit feature (a real conversation manager,
config loading, the store on disk): publishing every diagnostic of the workspace
(``textDocument/publishDiagnostics``, the client side a stub that only collects them), and
answering the code-action request on one question's line, and carrying the answer out
(``codex-lsp.speckit.answer``: the backup, the edit of the 2,000-line file, the store, the
diagnostics published again). Target: publishing and the code-action request under 20 ms.

``python -m bench.speckit_gates [--lines 2000] [--issues 50] [--runs 50]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

from bench.common import summary
from codex_lsp.core.assembly import ConfigSources
from codex_lsp.core.manager import ConversationManager
from codex_lsp.core.seams import FrontEnd
from codex_lsp.lsp.conversations import Conversations
from codex_lsp.lsp.speckit import SpeckitFeature
from codex_lsp.store.speckit_auto import IssueRow
from codex_lsp.store.speckit_runs import SpeckitRuns
from codex_lsp.tools.files import DiskSink


class _Client:
    """The client end of the two calls the feature makes: it only keeps what it is sent."""

    def __init__(self) -> None:
        self.published: list[types.PublishDiagnosticsParams] = []

    def text_document_publish_diagnostics(self, params: types.PublishDiagnosticsParams) -> None:
        self.published.append(params)

    def window_show_message(self, params: types.ShowMessageParams) -> None:
        """Not asked here."""


def build(base: Path, lines: int) -> tuple[Path, Path]:
    """The repository and the codex-lsp home; ``spec.md`` of ``lines`` lines."""
    root, home = base / "repo", base / "home"
    (root / ".git").mkdir(parents=True)
    folder = root / "docs" / "SPEC-KIT-001-login"
    folder.mkdir(parents=True)
    body = [f"- **FR-{n:03d}**: The system MUST do thing {n} within {n} ms." for n in range(lines)]
    (folder / "spec.md").write_text("# Spec: Login\n\n" + "\n".join(body) + "\n")
    home.mkdir()
    (home / "config.toml").write_text("")
    return root, home


async def _store(root: Path, home: Path, issues: int) -> None:
    runs = await SpeckitRuns.open(home / "state.db")
    try:
        await runs.auto.claim(
            root,
            "SPEC-KIT-001",
            fresh=True,
            new_id="bench-run",
            new_state={"spec_id": "SPEC-KIT-001", "stages": ["plan"]},
            conversation_id=None,
        )
        await runs.auto.put_issues(
            [
                IssueRow(
                    run_id="bench-run",
                    checkpoint="before-plan",
                    issue_id=f"CLR-{n:03d}",
                    status="open",
                    magnitude=("critical", "important", "minor")[n % 3],
                    file="docs/SPEC-KIT-001-login/spec.md",
                    line=n * 40,
                    data={
                        "question": f"What does FR-{n * 40:03d} mean by thing {n}?",
                        "confidence": "medium",
                        "answers": {"gemini": "A", "claude": "B", "gpt_pro": "A"},
                        "arbiter_view": "gpt_pro: A",
                        "options": ["A", "B"],
                    },
                )
                for n in range(issues)
            ]
        )
        # stopped: answering the last critical question does not resume it (no model here)
        stopped = {"spec_id": "SPEC-KIT-001", "stages": ["plan"], "status": "stopped"}
        await runs.auto.save("bench-run", "stopped", stopped)
        await runs.auto.release("bench-run")
    finally:
        await runs.close()


async def measure(lines: int = 2000, issues: int = 50, count: int = 50) -> dict[str, Any]:
    """Build, then time publishing and one code-action request."""
    base = Path(tempfile.mkdtemp(prefix="speckit-gates-bench-"))
    root, home = build(base, lines)
    await _store(root, home, issues)
    manager = ConversationManager(
        FrontEnd(lambda _event: None), ConfigSources(home=home, default_cwd=root)
    )
    client = _Client()
    feature = SpeckitFeature(
        manager,
        Conversations(manager),
        client,  # type: ignore[arg-type]  # the two calls it makes
        DiskSink(),
        lambda: root,
    )
    spec_md = root / "docs" / "SPEC-KIT-001-login" / "spec.md"
    line = 20 * 40
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=spec_md.as_uri()),
        range=types.Range(types.Position(line, 0), types.Position(line, 0)),
        context=types.CodeActionContext(diagnostics=[]),
    )
    publish: list[float] = []
    actions: list[float] = []
    answers: list[float] = []
    try:
        for _ in range(3):  # warm: the store opened once, the config read
            await feature.gates.publish(root)
            await feature.code_actions(params, lazy=False)
        for _ in range(count):
            started = time.perf_counter()
            await feature.gates.publish(root)
            publish.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            found = await feature.code_actions(params, lazy=False)
            actions.append((time.perf_counter() - started) * 1000)
        shown = client.published[-1]
        assert len(shown.diagnostics) == issues, len(shown.diagnostics)
        for n in range(issues):
            started = time.perf_counter()
            await feature.gates.answer(["bench-run", "before-plan", f"CLR-{n:03d}", "A"])
            answers.append((time.perf_counter() - started) * 1000)
    finally:
        await feature.aclose()
        await manager.shutdown_all()
    assert client.published[-1].diagnostics == []
    assert [a.title for a in found][:3] == [
        "Answer CLR-020: A",
        "Answer CLR-020: B",
        "Answer CLR-020…",
    ]
    return {
        "lines": lines,
        "issues": issues,
        "publish_ms": summary(publish),
        "code_action_ms": summary(actions),
        "answer_ms": summary(answers),
    }


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--issues", type=int, default=50)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.lines, args.issues, args.runs)), indent=2))


if __name__ == "__main__":
    main()
