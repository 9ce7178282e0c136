"""Builds the effective configuration from every source, keeping where each value came from
(the layers and their precedence are described in :mod:`codex_lsp.config.layers`)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import ValidationError

from codex_lsp.config.layers import (
    Layer,
    Merged,
    env_layer,
    leaf_paths,
    merge,
    unflatten,
    workspace_values,
)
from codex_lsp.config.model import Config
from codex_lsp.config.overrides import ConfigOverrides
from codex_lsp.config.secrets import REDACTED, SECRETS, names_secret, redact
from codex_lsp.errors import ConfigError


def codex_lsp_home() -> Path:
    """``$CODEX_LSP_HOME``, or ``~/.codex-lsp``."""
    env = os.environ.get("CODEX_LSP_HOME")
    return Path(env).expanduser() if env else Path.home() / ".codex-lsp"


def _file_layer(name: str, path: Path) -> Layer | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path} is not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            f"(line {line}). TOML files are UTF-8: fix that line or re-save the file as UTF-8 "
            "(e.g. iconv -f latin1 -t utf-8), and try again."
        ) from exc
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Fix the file and try again.") from exc
    return Layer(name, values, path, text)


def user_layer(home: Path) -> Layer | None:
    """``home/config.toml``, or Codex's ``~/.codex/config.toml`` when that does not exist."""
    own = _file_layer(str(home / "config.toml"), home / "config.toml")
    if own is not None:
        return own
    codex = Path.home() / ".codex" / "config.toml"
    return _file_layer(f"{codex} (Codex's, read only)", codex)


@dataclass
class LoadedConfig:
    """The effective config, where each value came from, and what the user should know."""

    config: Config
    merged: Merged
    warnings: list[str] = field(default_factory=list)

    def origin(self, dotted: str) -> str:
        """Where ``dotted`` was set: a file (with line), a profile, env, flags, or ``default``."""
        layer = self.merged.origins.get(dotted)
        return layer.where(dotted) if layer else "default"


def _workspace_layer(workspace: Path, user: Layer | None, warnings: list[str]) -> Layer | None:
    path = workspace / ".codex-lsp" / "config.toml"
    found = _file_layer(str(path), path)
    if found is None:
        return None
    found.values, dropped = workspace_values(found.values, _trusted(user, workspace))
    if dropped:
        warnings.append(
            f"{path}: ignored {', '.join(sorted(dropped))}: an untrusted project may not set them. "
            f'Trust it with [projects."{workspace}"] trust_level = "trusted" in your config.toml.'
        )
    return found


def load_layered(
    overrides: ConfigOverrides | None = None,
    home: Path | None = None,
    workspace: Path | None = None,
    editor: Mapping[str, Any] | None = None,
) -> LoadedConfig:
    """The effective config from defaults, files, profile, env, editor settings and overrides."""
    warnings: list[str] = []
    files: list[Layer] = []
    user = user_layer(home or codex_lsp_home())
    if user is not None:
        files.append(user)
    if workspace is not None and (found := _workspace_layer(workspace, user, warnings)):
        files.append(found)
    top = [
        env_layer(),
        Layer("editor settings", unflatten(dict(editor or {}))),
        Layer("flags and request fields", unflatten(dict(overrides or {}))),
    ]
    profile = merge([*files, *top]).tree.get("profile")
    if profile:
        profiles = merge(files).tree.get("profiles") or {}
        if profile not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(
                f"profile {profile!r} is not defined (known: {known}); "
                f"add a [profiles.{profile}] table to config.toml"
            )
        files.append(Layer(f"profile {profile}", dict(profiles[profile])))
    merged = merge([*files, *top])
    try:
        config = Config.model_validate(merged.tree)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, merged)) from exc
    SECRETS.register(config)
    for key in unknown_keys(merged.tree):
        warnings.append(f"unknown key `{key}` in {merged.origins[key].where(key)}; it is ignored")
    return LoadedConfig(config, merged, warnings)


def load_config(
    overrides: ConfigOverrides | None = None,
    home: Path | None = None,
    workspace: Path | None = None,
) -> Config:
    """The effective :class:`Config` (see :func:`load_layered`)."""
    return load_layered(overrides, home, workspace).config


def _trusted(user: Layer | None, workspace: Path) -> bool:
    projects = (user.values.get("projects") if user else None) or {}
    entry = projects.get(str(workspace.resolve())) or projects.get(str(workspace)) or {}
    return isinstance(entry, dict) and entry.get("trust_level") == "trusted"


def _describe(exc: ValidationError, merged: Merged) -> str:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        layer = merged.origins.get(key)
        where = f" (from {layer.where(key)})" if layer else ""
        value = REDACTED if names_secret(key) else redact(repr(err.get("input")))
        problems.append(f"{key} = {value}{where}: {err['msg']}")
    return "invalid configuration: " + "; ".join(problems)


def unknown_keys(tree: Mapping[str, Any]) -> list[str]:
    """Dotted keys of ``tree`` that the schema does not know (a key may hold a dot)."""
    return [".".join(path) for path, _ in leaf_paths(tree) if not _known(Config, path)]


def _known(model: Any, parts: list[str]) -> bool:
    fields = getattr(model, "model_fields", None)
    by_key = {info.alias or name: info for name, info in (fields or {}).items()}
    if parts[0] not in by_key:
        return False
    annotation = by_key[parts[0]].annotation
    rest = parts[1:]
    if not rest:
        return True
    if get_origin(annotation) is dict:
        value_type = get_args(annotation)[1]
        return (
            _known(value_type, rest[1:])
            if rest[1:] and hasattr(value_type, "model_fields")
            else True
        )
    return _known(annotation, rest) if hasattr(annotation, "model_fields") else True
