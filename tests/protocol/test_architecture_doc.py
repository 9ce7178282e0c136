"""docs/architecture.md matches the code: every file it names exists, its layer table is the
import-linter contract, and each seam's type is defined in the module the seams table names."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
PATHS = sorted(set(re.findall(r"`((?:server|tests|docs|vscode-extension)/[\w./-]+)`", DOC)))
SEAM_ROW = re.compile(r"^\| [a-z ]+ \| `(\w+)`[^|]* \| `server/(codex_lsp/[\w/]+)\.py` \|", re.M)
LAYER_ROW = re.compile(r"^\| [a-z ]+ \| ((?:`[a-z_]+`(?:, )?)+) \|", re.M)


def test_every_file_the_doc_names_exists() -> None:
    assert len(PATHS) > 40
    missing = [p for p in PATHS if not (ROOT / p).exists()]
    assert missing == []


def test_the_layer_table_is_the_import_contract() -> None:
    rows = [re.findall(r"`(\w+)`", row) for row in LAYER_ROW.findall(DOC)]
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers = next(
        c["layers"]
        for c in contracts["tool"]["importlinter"]["contracts"]
        if c["name"] == "Layers point one way"
    )
    expected = [[p.removeprefix("codex_lsp.") for p in layer.split(" | ")] for layer in layers]
    assert rows == expected
    assert all((ROOT / "server" / "codex_lsp" / p).is_dir() for row in rows for p in row)


def test_each_seam_is_defined_where_the_table_says() -> None:
    seams = SEAM_ROW.findall(DOC)
    assert len(seams) == 9
    for name, module in seams:
        defined = importlib.import_module(module.replace("/", "."))
        assert hasattr(defined, name), f"{name} is not in {module}"
