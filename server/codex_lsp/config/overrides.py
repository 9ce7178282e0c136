"""``-c key=value`` overrides: dotted keys and TOML values. Imports nothing heavy, so the
command line can parse them before deciding which front end to load."""

from __future__ import annotations

import tomllib
from typing import Any

from codex_lsp.errors import ConfigError

ConfigOverrides = dict[str, Any]


def parse_cli_overrides(pairs: list[str]) -> ConfigOverrides:
    """Parse ``-c key=value`` pairs: dotted keys, TOML values, and a bare word as a string."""
    out: ConfigOverrides = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f'-c {pair!r}: expected key=value, e.g. -c model="gpt-5"')
        out[key] = _parse_toml_value(raw.strip())
    return out


def _parse_toml_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw
