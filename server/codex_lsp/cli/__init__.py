"""Command-line entry points. Each subcommand imports only what it needs: ``exec`` never loads
pygls, and the language server never loads the exec renderer."""

import sys

from codex_lsp.cli import no_pydantic_plugins

sys.modules.setdefault("pydantic.plugin._loader", no_pydantic_plugins)
