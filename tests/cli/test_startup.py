"""What every ``codex-lsp`` command's start-up does before its front end runs: the objects the
start-up made are frozen out of the garbage collector's scans, which is on again for the run."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import gc, sys
import codex_lsp.cli.config_cmd as config_cmd
def probe(args, overrides):
    print(gc.isenabled(), gc.get_freeze_count())
    return 0
config_cmd.run_config = probe
from codex_lsp.cli.main import main
sys.exit(main(["config", "docs"]))
"""


def test_the_front_end_runs_with_the_collector_on_and_start_up_frozen() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    enabled, frozen = result.stdout.split()
    assert enabled == "True"  # a long-lived server must still collect its cycles
    assert int(frozen) > 10_000  # the modules, classes and schemas start-up made
