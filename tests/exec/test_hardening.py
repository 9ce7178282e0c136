"""The server makes itself non-dumpable at start: commands of its own user (no CAP_SYS_PTRACE)
cannot read its environment, where the provider key is."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

KEY = "sk-env-secret-0123456789"


def _env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "PYTHONPATH")}
    return {**keep, **extra}


DUMPABLE = """
import ctypes, os, subprocess, sys
from codex_lsp.exec.hardening import harden_process
libc = ctypes.CDLL(None, use_errno=True)
if os.geteuid() == 0:  # become an ordinary user, who has no CAP_SYS_PTRACE
    os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
    libc.prctl(4, 1, 0, 0, 0)  # changing ids made us non-dumpable: undo that for the control
if sys.argv[1] == "hardened":
    harden_process()
child = subprocess.run(["cat", f"/proc/{os.getpid()}/environ"], capture_output=True)
print(libc.prctl(3, 0, 0, 0, 0), child.stdout.count(b"sk-env-secret"), flush=True)
"""


@pytest.mark.parametrize(("mode", "expected"), [("plain", "1 1"), ("hardened", "0 0")])
def test_a_hardened_server_keeps_its_environment_from_commands_of_its_user(
    mode: str, expected: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", DUMPABLE, mode],
        env=_env(OPENAI_API_KEY=KEY),
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == expected.split()


def test_the_server_hardens_itself_at_start() -> None:
    code = (
        "import ctypes, sys; from codex_lsp.cli.main import main; main(['config', 'schema']); "
        "print('dumpable', ctypes.CDLL(None).prctl(3, 0, 0, 0, 0), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert "dumpable 0" in done.stderr
