"""The language server answers ``initialize`` at the pygls floor: what it imports to start must
not pull in the spec-kit engine or the store (a regression once cost every editor 0.5 s). What
``initialized`` waits for (the backend) does not build the shell parser either: that is 150 ms
of a resumed ``/speckit.auto``'s way to its first model request, so it is built later, on a
worker thread."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("codex_lsp.speckit.engine", "codex_lsp.speckit.gate_run", "jsonschema", "aiosqlite")


def test_starting_the_server_imports_no_spec_kit_engine() -> None:
    code = (
        "import sys; import codex_lsp.lsp.server as s; s.create_server(); "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


def test_the_backend_it_loads_later_is_frozen_out_of_collections() -> None:
    """The backend, imported on a worker thread after ``initialize``, makes ~50,000 long-lived
    objects; a full collection over them paused every stream for 20-100 ms."""
    code = (
        "import gc; import codex_lsp.lsp.server as s; gc.freeze(); s._load_backend(); "
        "print(gc.isenabled(), len(gc.get_objects()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    enabled, scanned = done.stdout.split()
    assert enabled == "True"
    assert int(scanned) < 2_000, scanned  # what a collection still scans


def test_loading_the_backend_leaves_the_shell_parser_to_the_later_warm_up() -> None:
    code = (
        "import sys; import codex_lsp.lsp.server as s; s._load_backend(); "
        "print('bashlex' in sys.modules); s._warm_up(); print('bashlex' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "True"], done.stdout
