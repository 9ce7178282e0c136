"""Running the real Codex CLI (``CODEX_BIN``, 0.169) against the scripted model server, for
differential tests: what Codex sends is what codex-lsp must send."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CODEX_BIN = os.environ.get("CODEX_BIN") or shutil.which("codex")
needs_codex = pytest.mark.skipif(
    CODEX_BIN is None, reason="the Codex CLI is not installed (set CODEX_BIN to its binary)"
)


def run_codex_exec(
    codex_dir: Path, base_url: str, cwd: Path, prompt: str, top_level: str = ""
) -> subprocess.CompletedProcess[str]:
    """``codex exec PROMPT`` in ``cwd`` with ``codex_dir`` as CODEX_HOME (its config pointing at
    the model server; ``top_level`` adds keys) and HOME its parent."""
    assert CODEX_BIN is not None
    codex_dir.mkdir(parents=True, exist_ok=True)
    (codex_dir / "config.toml").write_text(
        f'{top_level}model = "fake-model"\nmodel_provider = "fake"\napproval_policy = "never"\n'
        'sandbox_mode = "read-only"\n[model_providers.fake]\nname = "fake"\n'
        f'base_url = "{base_url}"\nwire_api = "responses"\nenv_key = "FAKE_KEY"\n'
    )
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({"CODEX_HOME": str(codex_dir), "HOME": str(codex_dir.parent), "FAKE_KEY": "x"})
    return subprocess.run(
        [CODEX_BIN, "exec", "--skip-git-repo-check", prompt],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def input_texts(body: dict[str, Any]) -> list[str]:
    """Every text the request's ``input`` holds, in order."""
    texts: list[str] = []
    for item in body.get("input", []):
        for part in item.get("content") or []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return texts
