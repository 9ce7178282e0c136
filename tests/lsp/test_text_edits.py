"""Minimal line edits: applying them to the old text gives the new text, in every encoding."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from lsprotocol import types

from codex_lsp.lsp.text_edits import line_edits, to_text_edits
from codex_lsp.patch.files import plan_hunks
from codex_lsp.patch.model import PatchError
from codex_lsp.patch.parser import parse_patch
from tests.helpers import apply_text_edits as apply


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("a\nb\nc\n", "a\nB\nc\n"),
        ("a\r\nb\r\nc\r\n", "a\r\nb\r\nX\r\nc\r\n"),
        ("no final newline", "no final newline\n"),
        ("x\ny", "x\nY"),
        ("emoji 😀 line\nnext", "emoji 😀 line\nnext changed"),
        ("a\nlast 😀 line", "a\nlast 😀 line!\n"),
        ("", "new file\n"),
        ("gone\n", ""),
    ],
)
@pytest.mark.parametrize(
    "encoding", [types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf32]
)
def test_edits_turn_old_into_new(old: str, new: str, encoding: str) -> None:
    assert apply(old, line_edits(old, new, encoding), encoding) == new


def test_only_changed_lines_are_touched() -> None:
    old = "".join(f"line {i}\n" for i in range(1000))
    new = old.replace("line 500\n", "LINE 500\n")
    edits = line_edits(old, new)
    assert (
        len(edits) == 1 and edits[0].range.start.line == 500 and edits[0].new_text == "LINE 500\n"
    )


def test_random_mutations_round_trip() -> None:
    rng = random.Random(1234)
    for _ in range(200):
        lines = [f"l{rng.randint(0, 9)}\n" for _ in range(rng.randint(0, 15))]
        mutated = list(lines)
        for _ in range(rng.randint(1, 4)):
            op = rng.choice(["insert", "delete", "replace"])
            index = rng.randint(0, len(mutated))
            if op == "insert":
                mutated.insert(index, f"n{rng.randint(0, 9)}\n")
            elif mutated and index < len(mutated):
                if op == "delete":
                    del mutated[index]
                else:
                    mutated[index] = f"r{rng.randint(0, 9)}\n"
        old, new = "".join(lines), "".join(mutated)
        assert apply(old, line_edits(old, new), types.PositionEncodingKind.Utf16) == new


SCENARIOS = sorted((Path(__file__).parents[1] / "patch" / "scenarios").iterdir())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_edits_from_patch_chunks_reproduce_the_patched_text(scenario: Path, tmp_path: Path) -> None:
    shutil.copytree(scenario / "input", tmp_path, dirs_exist_ok=True)
    try:
        plans = plan_hunks(parse_patch((scenario / "patch.txt").read_text("utf-8")), tmp_path)
    except PatchError:
        return
    for plan in plans:
        if plan.kind == "update" and plan.old is not None and plan.edits is not None:
            assert apply(plan.old, to_text_edits(plan.old, plan.edits)) == plan.new


def test_large_files_with_repeated_lines_round_trip() -> None:
    rng = random.Random(99)
    common = ["}\n", "\n", "    return None\n"]
    for _ in range(20):
        lines = [
            rng.choice(common) if rng.random() < 0.3 else f"row {i}\n"
            for i in range(rng.randint(300, 3000))
        ]
        mutated = list(lines)
        for _ in range(rng.randint(1, 60)):
            index = rng.randrange(len(mutated))
            choice = rng.random()
            if choice < 0.3:
                mutated.insert(index, rng.choice([*common, f"new {index}\n"]))
            elif choice < 0.6:
                del mutated[index]
            else:
                mutated[index] = f"changed {index}\n"
        old, new = "".join(lines), "".join(mutated)
        edits = line_edits(old, new)
        assert apply(old, edits) == new
        assert len(edits) <= 60
