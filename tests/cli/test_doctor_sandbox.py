"""``codex-lsp doctor`` judges the sandbox by running a real probe command under it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codex_lsp.exec import sandbox
from codex_lsp.testing import FakeModelServer
from tests.helpers import subprocess_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="this kernel has no Landlock support"),
]


def _doctor(prefix: list[str], home: Path, cwd: Path) -> list[str]:
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "codex_lsp", "doctor"],
        cwd=cwd,
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return [line for line in done.stdout.splitlines() if " sandbox " in line]


def test_a_working_sandbox_is_reported_ok(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    lines = _doctor([], codex_home, workspace)
    assert lines[-1].startswith("ok    sandbox   .git, .codex and .codex-lsp stay read-only")


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux's unshare")
def test_refused_namespaces_are_a_failure_that_says_what_to_do(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    refuse = 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"'
    lines = _doctor(["unshare", "-U", "-r", "sh", "-c", refuse, "sh"], codex_home, workspace)
    assert lines[-1].startswith(
        "FAIL  sandbox   sandboxed commands will be refused: cannot isolate"
    )
    assert "user namespaces" in lines[-1]
