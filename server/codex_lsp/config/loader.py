"""Reads ``$CODEX_LSP_HOME/config.toml`` and applies ``-c key=value`` overrides.

Precedence, highest first: overrides (CLI ``-c`` and request fields) > the user file > defaults.
Tables merge key by key; scalars and lists replace.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from codex_lsp.config.model import Config
from codex_lsp.config.overrides import ConfigOverrides
from codex_lsp.errors import ConfigError


def codex_lsp_home() -> Path:
    """``$CODEX_LSP_HOME``, or ``~/.codex-lsp``."""
    env = os.environ.get("CODEX_LSP_HOME")
    return Path(env).expanduser() if env else Path.home() / ".codex-lsp"


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def merge_tables(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``top`` over ``base``: tables merge key by key; scalars and lists replace."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge_tables(out[key], value)
        else:
            out[key] = value
    return out


def read_config_file(path: Path) -> dict[str, Any]:
    """The TOML table in ``path`` (empty when the file does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Fix the file and try again.") from exc


def load_config(overrides: ConfigOverrides | None = None, home: Path | None = None) -> Config:
    """Build the effective :class:`Config` from the user file and overrides."""
    path = (home or codex_lsp_home()) / "config.toml"
    tree = read_config_file(path)
    layered: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        _set_dotted(layered, key, value)
    tree = merge_tables(tree, layered)
    try:
        return Config.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(_describe_validation_error(exc, path)) from exc


def _describe_validation_error(exc: ValidationError, path: Path) -> str:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        problems.append(f"{key}: {err['msg']} (got {err.get('input')!r})")
    return f"invalid configuration (from {path} and overrides): " + "; ".join(problems)
