"""Allows ``python -m codex_lsp``."""

from codex_lsp.cli.main import main

raise SystemExit(main())
