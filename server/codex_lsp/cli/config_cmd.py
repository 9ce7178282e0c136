"""``codex-lsp config show`` (every effective value with where it came from, secrets redacted)
and ``codex-lsp config schema`` (the JSON Schema of config.toml, for editors)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from codex_lsp.config.layers import leaves
from codex_lsp.config.loader import load_layered
from codex_lsp.config.model import Config
from codex_lsp.config.reference import reference_markdown
from codex_lsp.errors import ConfigError

_SECRET_NAME = re.compile(
    r"(^|_)(api_?key|key|token|secret|password|authorization)$", re.IGNORECASE
)


def _redacted(dotted: str, value: Any) -> Any:
    last = dotted.rsplit(".", 1)[-1]
    if value and (".http_headers." in f".{dotted}." or _SECRET_NAME.search(last)):
        return "[redacted]"
    return value


def show(overrides: dict[str, Any], cwd: Path) -> str:
    """``key = value  # origin`` for every effective value, sorted by key."""
    loaded = load_layered(overrides, workspace=cwd)
    effective = leaves(loaded.config.model_dump(mode="json", exclude={"profiles", "projects"}))
    lines = []
    for key in sorted(effective):
        value = _redacted(key, effective[key])
        lines.append(f"{key} = {json.dumps(value)}  # {loaded.origin(key)}")
    lines += [f"# warning: {w}" for w in loaded.warnings]
    return "\n".join(lines) + "\n"


def run_config(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    """Entry point of ``codex-lsp config``."""
    if args.config_command == "docs":
        sys.stdout.write(reference_markdown())
        return 0
    if args.config_command == "schema":
        sys.stdout.write(json.dumps(Config.model_json_schema(), indent=2) + "\n")
        return 0
    try:
        sys.stdout.write(show(overrides, Path(args.cwd or ".").resolve()))
    except ConfigError as exc:
        print(f"codex-lsp config: {exc.message}", file=sys.stderr)
        return 2
    return 0
