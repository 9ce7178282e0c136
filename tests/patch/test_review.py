"""Per-file and per-hunk review of a patch: which parts are kept, and what the model is told."""

from __future__ import annotations

from pathlib import Path

from codex_lsp.patch.files import FilePlan, plan_hunks
from codex_lsp.patch.parser import parse_patch
from codex_lsp.patch.review import hunk_texts, keep_accepted

ORIGINAL = "".join(f"line {n}\n" for n in range(1, 31))
REVIEWED_PATCH = """*** Begin Patch
*** Update File: long.txt
@@
-line 2
+LINE TWO
@@
-line 28
+LINE TWENTY-EIGHT
*** Add File: extra.txt
+new file
*** End Patch
"""


def _plans(workspace: Path) -> list[FilePlan]:
    (workspace / "long.txt").write_text(ORIGINAL)
    return plan_hunks(
        parse_patch(REVIEWED_PATCH), workspace, lambda p: p.read_text() if p.exists() else None
    )


def test_hunks_are_the_sections_of_the_unified_diff(workspace: Path) -> None:
    update = _plans(workspace)[0]
    hunks = hunk_texts(update.old, update.new)
    assert len(hunks) == 2
    assert hunks[0].startswith("@@ -1,5 +1,5 @@") and "+LINE TWO" in hunks[0]
    assert "+LINE TWENTY-EIGHT" in hunks[1]


def test_a_rejected_hunk_is_left_as_it_was_and_the_edits_match(workspace: Path) -> None:
    reviewed = keep_accepted(_plans(workspace), {"long.txt": [1]})
    update, added = reviewed.plans
    assert "LINE TWO" in update.new and "line 28\n" in update.new
    assert "LINE TWENTY-EIGHT" not in update.new
    assert [(e.start, e.end, e.text) for e in update.edits] == [(1, 2, "LINE TWO\n")]
    assert added.path == "extra.txt"
    assert "+LINE TWENTY-EIGHT" in reviewed.rejected["long.txt"][0]


def test_rejecting_every_hunk_or_a_whole_new_file_drops_it(workspace: Path) -> None:
    reviewed = keep_accepted(_plans(workspace), {"long.txt": [0, 1], "extra.txt": [0]})
    assert reviewed.plans == []
    assert reviewed.rejected["extra.txt"] == ["the whole new file"]
