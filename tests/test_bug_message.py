"""What a user reads when codex-lsp itself fails: a bug, named as one, without Python internals."""

from codex_lsp.errors import bug_message


def test_a_bug_is_named_as_one_without_the_exception_class() -> None:
    text = bug_message("this turn", KeyError("items"))
    assert "KeyError" not in text and "Traceback" not in text
    assert "this turn" in text and "'items'" in text and "bug in codex-lsp" in text
    assert "keeps running" in text and "log" in text


def test_an_exception_without_text_still_reads_as_a_sentence() -> None:
    assert "(no detail)" in bug_message("the interrupt operation", RuntimeError())
