"""Generated artefacts stay in step with the models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from codex_lsp.protocol.methods import METHODS
from codex_lsp.protocol.schema import typescript

REPO = Path(__file__).resolve().parents[2]
GENERATED_TS = REPO / "vscode-extension" / "src" / "shared" / "generated.ts"


def test_typescript_declarations_are_up_to_date() -> None:
    assert GENERATED_TS.read_text(encoding="utf-8") == typescript(), (
        "vscode-extension/src/shared/generated.ts is stale: run "
        "`codex-lsp protocol ts --out vscode-extension/src/shared/generated.ts`"
    )


def test_typescript_declares_every_method_and_discriminator() -> None:
    text = typescript()
    for method in METHODS:
        assert json.dumps(method.name) in text
    assert 'type: "agentMessageDelta";' in text


def test_schema_command_writes_a_schema_per_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "codex_lsp", "protocol", "schema", "--out", str(tmp_path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    names = {p.stem for p in tmp_path.glob("*.json")}
    assert {"EventMsg", "Op", "UserTurnParams", "ExecApprovalParams", "methods"} <= names
    schema = json.loads((tmp_path / "UserInputParams.json").read_text())
    assert "conversationId" in schema["properties"] and "items" in schema["required"]
