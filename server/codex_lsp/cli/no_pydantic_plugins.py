"""Stands in for pydantic's plugin loader in the processes the command line starts: no
pydantic plugin runs in them.

At its first schema build pydantic imports ``importlib.metadata`` and scans every installed
distribution for ``pydantic`` entry points (~15 ms of every ``codex-lsp exec``), then hooks
each plugin it finds into every validation. codex-lsp uses none, and what the model and the
repository send should not be validated through code some other installed package registered.
``PYDANTIC_DISABLE_PLUGINS`` would still import the loader, and as an environment variable it
would reach every command the agent runs.
"""

from __future__ import annotations


def get_plugins() -> tuple[()]:
    """No plugins (pydantic's loader's one function: what its schema builds call)."""
    return ()


def install() -> None:
    """Stand in for pydantic's loader in this process, before any model is built (idempotent)."""
    import sys

    sys.modules.setdefault("pydantic.plugin._loader", sys.modules[__name__])
