"""Configuration: a typed tree read from config.toml, ``-c`` overrides and request fields."""

from codex_lsp.config.loader import ConfigOverrides, load_config, parse_cli_overrides
from codex_lsp.config.model import Config, ModelProviderInfo, WireApi

__all__ = [
    "Config",
    "ConfigOverrides",
    "ModelProviderInfo",
    "WireApi",
    "load_config",
    "parse_cli_overrides",
]
