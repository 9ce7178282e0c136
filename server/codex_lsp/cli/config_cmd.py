"""``codex-lsp config show`` (every effective value with where it came from, secrets redacted)
and ``codex-lsp config schema`` (the JSON Schema of config.toml, for editors)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from codex_lsp.config.loader import codex_lsp_home, load_layered
from codex_lsp.config.model import Config
from codex_lsp.config.reference import reference_markdown
from codex_lsp.config.report import entries
from codex_lsp.core.instructions import instruction_files
from codex_lsp.errors import ConfigError


def instruction_lines(config: Config, cwd: Path) -> list[str]:
    """The instruction files in effect for ``cwd``, in the order the prompt has them."""
    files = instruction_files(
        cwd, config.project_doc_max_bytes, codex_lsp_home(), config.project_doc_fallback_filenames
    )
    if not files:
        return ["# instruction files: none"]
    lines = ["# instruction files, in prompt order:"]
    for file in files:
        cut = ", cut at project_doc_max_bytes" if file.truncated else ""
        lines.append(f"#   {file.path} ({file.scope}{cut})")
    return lines


def show(overrides: dict[str, Any], cwd: Path) -> str:
    """``key = value  # origin`` for every effective value, sorted by key, then the
    instruction files in effect."""
    loaded = load_layered(overrides, workspace=cwd)
    lines = [f"{e.key} = {json.dumps(e.value)}  # {e.origin}" for e in entries(loaded)]
    lines += [f"# warning: {w}" for w in loaded.warnings]
    lines += instruction_lines(loaded.config, cwd)
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
