"""``codex-lsp protocol schema|ts``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codex_lsp.protocol.schema import typescript, write_json_schemas


def run_protocol(args: argparse.Namespace) -> int:
    """Write the JSON Schemas or the TypeScript declarations."""
    if args.protocol_command == "schema":
        written = write_json_schemas(Path(args.out))
        print(f"wrote {len(written)} files to {args.out}", file=sys.stderr)
        return 0
    text = typescript()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
