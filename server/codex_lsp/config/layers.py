"""Configuration sources, merged with the origin of every value.

Precedence, highest first: request fields and CLI flags (``-c``, ``--model``…) > editor settings
(LSP ``initializationOptions``) > environment (``CODEX_LSP_*``) > the selected profile
(``[profiles.<name>]``) > the workspace file ``.codex-lsp/config.toml`` (only safe keys unless the
project is trusted) > the user file ``$CODEX_LSP_HOME/config.toml`` (or, when it does not exist,
``~/.codex/config.toml``, read only) > built-in defaults. Tables merge key by key; scalars and
lists replace.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codex_lsp.config.toml_lines import key_lines

ENV_KEYS: dict[str, str] = {
    "CODEX_LSP_MODEL": "model",
    "CODEX_LSP_MODEL_PROVIDER": "model_provider",
    "CODEX_LSP_PROFILE": "profile",
    "CODEX_LSP_APPROVAL_POLICY": "approval_policy",
    "CODEX_LSP_SANDBOX_MODE": "sandbox_mode",
    "CODEX_LSP_REASONING_EFFORT": "model_reasoning_effort",
    "CODEX_LSP_STATE_DB": "state_db",
}
"""Environment variables and the keys they set."""

WORKSPACE_SAFE_KEYS = (
    "model",
    "model_reasoning_effort",
    "model_reasoning_summary",
    "model_verbosity",
    "project_doc_max_bytes",
    "tool_output_max_bytes",
    "tools.",
)
"""Keys a repository may set for an untrusted workspace (no providers, commands or policies)."""


@dataclass
class Layer:
    """One source: a name for humans, its values (nested tables), and its file if any."""

    name: str
    values: dict[str, Any]
    path: Path | None = None
    text: str | None = None
    _lines: dict[str, int] | None = field(default=None, repr=False, compare=False)

    def line_of(self, dotted: str) -> int | None:
        """The line that sets ``dotted`` in this layer's file: the key's own line, or for a key
        inside an inline table or array, the line of the nearest enclosing key."""
        if self.text is None:
            return None
        if self._lines is None:
            self._lines = key_lines(self.text)
        parts = dotted.split(".")
        while parts:
            line = self._lines.get(".".join(parts))
            if line is not None:
                return line
            parts.pop()
        return None

    def where(self, dotted: str) -> str:
        """``name`` plus ``:line`` when known."""
        line = self.line_of(dotted)
        return f"{self.name}:{line}" if line else self.name


@dataclass
class Merged:
    """The merged tree and, for every leaf key, the layer that set it."""

    tree: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, Layer] = field(default_factory=dict)


def set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.c`` in nested dicts, creating tables on the way."""
    set_path(tree, dotted.split("."), value)


def set_path(tree: dict[str, Any], parts: list[str], value: Any) -> None:
    """Set the value at the keys ``parts`` in nested dicts, creating tables on the way (a key
    may hold a dot: ``[speckit.pricing."gemini-2.5-flash"]``)."""
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` → ``{"a": {"b": 1}}``."""
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        set_dotted(tree, key, value)
    return tree


def leaves(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every non-table value by dotted key."""
    return {prefix + ".".join(path): value for path, value in leaf_paths(tree)}


def leaf_paths(tree: Mapping[str, Any]) -> list[tuple[list[str], Any]]:
    """Every non-table value with the keys that lead to it."""
    out: list[tuple[list[str], Any]] = []
    for key, value in tree.items():
        if isinstance(value, Mapping) and value:
            out.extend(([key, *path], leaf) for path, leaf in leaf_paths(value))
        else:
            out.append(([key], value))
    return out


def merge(layers: list[Layer]) -> Merged:
    """Merge ``layers`` lowest precedence first (key by key, so a key holding a dot stays one
    key)."""
    merged = Merged()
    for layer in layers:
        for path, value in leaf_paths(layer.values):
            set_path(merged.tree, path, value)
            merged.origins[".".join(path)] = layer
    return merged


def env_layer(environ: Mapping[str, str] | None = None) -> Layer:
    """``CODEX_LSP_*`` variables as a layer."""
    environ = os.environ if environ is None else environ
    values = {key: environ[var] for var, key in ENV_KEYS.items() if environ.get(var)}
    return Layer("environment", unflatten(values))


def workspace_values(values: dict[str, Any], trusted: bool) -> tuple[dict[str, Any], list[str]]:
    """The workspace file's values a repository may set, and the keys that were dropped."""
    if trusted:
        return values, []
    kept, dropped = {}, []
    for dotted, value in leaves(values).items():
        if any(
            dotted == k or (k.endswith(".") and dotted.startswith(k)) for k in WORKSPACE_SAFE_KEYS
        ):
            kept[dotted] = value
        else:
            dropped.append(dotted)
    return unflatten(kept), dropped
