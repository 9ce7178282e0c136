"""Allows ``python -m codex_lsp``."""

from codex_lsp.cli.main import run

run()
