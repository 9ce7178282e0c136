"""What the model sees of a command's output."""

from __future__ import annotations

from codex_lsp.tools.truncation import truncate_middle


def test_short_output_is_untouched() -> None:
    assert truncate_middle("hello", 100) == "hello"


def test_long_output_keeps_head_and_tail() -> None:
    text = "HEAD" + "x" * 10_000 + "TAIL"
    cut = truncate_middle(text, 200)
    assert cut.startswith("HEAD") and cut.endswith("TAIL")
    assert "bytes of output omitted" in cut and len(cut.encode()) < 300


def test_multibyte_text_is_not_broken() -> None:
    cut = truncate_middle("é" * 1000, 101)
    cut.encode("utf-8")
    assert "omitted" in cut
