"""The pure parts of the patch boundary: which paths a patch may name, how its destinations are
resolved and judged, and how files are read (regular files only, capped, never waiting)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.patch import files
from codex_lsp.patch.boundary import protected_name, survey
from codex_lsp.patch.files import MAX_FILE_BYTES, read_disk, read_text
from codex_lsp.patch.model import (
    AddFileHunk,
    DeleteFileHunk,
    PatchError,
    UpdateChunk,
    UpdateFileHunk,
)
from codex_lsp.patch.parser import parse_patch
from codex_lsp.patch.paths import path_problem


@pytest.mark.parametrize(
    "name",
    [
        ".git",
        ".GIT",
        ".Codex",
        ".codex-lsp",
        ".CODEX-LSP",
        ".git.",
        ".git ",
        "\u200c.git",
        "\u200d.codex",
        ".gi\u200bt",
        "GIT~1",
        "codex~2",
        "CODEX-~1",
    ],
)
def test_names_the_filesystem_may_take_for_a_protected_folder(name: str) -> None:
    assert protected_name(name)


@pytest.mark.parametrize(
    "name", [".gitignore", ".github", "git", ".codexrc", "codex-lsp", ".git-blame-ignore", "~1"]
)
def test_ordinary_names_are_not_protected(name: str) -> None:
    assert not protected_name(name)


@pytest.mark.parametrize(
    "path", ["a.txt", "dir/b.py", "../x", "/abs/x", "é" * 126 + ".t", "d/" * 100 + "f", ".git"]
)
def test_paths_that_can_name_a_file(path: str) -> None:
    assert path_problem(path) is None


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("a\0b", "NUL byte"),
        ("n" * 256, "at most 255 bytes"),
        ("ü" * 128, "256 bytes"),
        ("d/" * 2100 + "f", "at most 4095 bytes"),
        (".", "names a folder"),
        ("a/..", "names a folder"),
        ("a/", "names a folder"),
        ("/", "names a folder"),
        ("\ud800", "not valid Unicode"),
        ("a\nb", "control character"),
        ("\u202egnp.exe", "control character"),
    ],
)
def test_paths_that_cannot(path: str, problem: str) -> None:
    found = path_problem(path)
    assert found is not None and problem in found


def test_the_parser_names_the_line_of_a_bad_path() -> None:
    with pytest.raises(PatchError) as caught:
        parse_patch("*** Begin Patch\n*** Add File: ok\n+x\n*** Add File: a\0b\n+y\n*** End Patch")
    assert caught.value.message.startswith("Invalid patch hunk on line 4: the path 'a\\x00b'")


def _add(path: str) -> AddFileHunk:
    return AddFileHunk(path, "x\n")


def test_the_base_places_paths_but_the_roots_judge_them(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    (workspace / "sub").mkdir(parents=True)
    found = survey(
        [_add("../a.txt"), _add("../../b.txt")], workspace / "sub", workspace, [workspace]
    )
    inside, outside = found.destinations
    assert (inside.shown, inside.outside) == ("a.txt", False)
    assert (outside.shown, outside.outside) == (str(tmp_path / "b.txt"), True)
    assert [h.path for h in found.hunks] == [str(workspace / "a.txt"), str(tmp_path / "b.txt")]
    from_outside = survey([_add("c.txt")], tmp_path, workspace, [workspace])
    assert from_outside.destinations[0].outside


def test_an_extra_root_is_writable_and_shown_absolute(tmp_path: Path) -> None:
    workspace, extra = tmp_path / "ws", tmp_path / "extra"
    workspace.mkdir()
    extra.mkdir()
    [dest] = survey([_add("f")], extra, workspace, [workspace, extra]).destinations
    assert (dest.shown, dest.outside, dest.read_only) == (str(extra / "f"), False, False)


def test_read_only_and_full_access(tmp_path: Path) -> None:
    [dest] = survey([_add("f")], tmp_path, tmp_path, []).destinations
    assert dest.read_only and not dest.outside
    [dest] = survey([_add("/elsewhere/f")], tmp_path, tmp_path, None).destinations
    assert not dest.read_only and not dest.outside and not dest.protected
    [dest] = survey([_add(".git/config")], tmp_path, tmp_path, None).destinations
    assert dest.protected


def test_a_writable_root_inside_dot_git_does_not_unprotect_it(tmp_path: Path) -> None:
    git = tmp_path / ".git"
    git.mkdir()
    [dest] = survey([_add("hooks/x")], git, tmp_path, [tmp_path, git]).destinations
    assert dest.protected and not dest.outside


def test_symlinks_are_followed_both_ways(tmp_path: Path) -> None:
    workspace, outside = tmp_path / "ws", tmp_path / "out"
    (workspace / ".codex-lsp").mkdir(parents=True)
    outside.mkdir()
    (workspace / "cfg").symlink_to(workspace / ".codex-lsp")
    (workspace / "out").symlink_to(outside)
    (workspace / ".git").symlink_to(workspace / "gitdir")
    found = survey(
        [_add("cfg/config.toml"), _add("out/x"), _add(".git/hooks/y")],
        workspace,
        workspace,
        [workspace],
    )
    cfg, out, git = found.destinations
    assert cfg.protected and cfg.shown == ".codex-lsp/config.toml"
    assert out.outside and out.shown == str(outside / "x")
    assert git.protected and git.shown == "gitdir/hooks/y"  # a `.git` symlink is still `.git`


def test_a_file_named_twice_is_refused_but_a_move_onto_itself_is_not(tmp_path: Path) -> None:
    chunk = [UpdateChunk(ops=[("-", "a"), ("+", "b")])]
    survey([UpdateFileHunk("f", "./f", chunk)], tmp_path, tmp_path, [tmp_path])
    with pytest.raises(PatchError, match="changed by two sections"):
        survey([_add("f"), UpdateFileHunk("g", "f", chunk)], tmp_path, tmp_path, [tmp_path])


def test_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(PatchError, match="Too many levels of symbolic links"):
        survey([_add("loop")], tmp_path, tmp_path, [tmp_path])


FIFO = "it is a named pipe (FIFO), not a regular file; apply_patch edits regular files only"


@pytest.fixture
def specials(tmp_path: Path) -> Path:
    """A FIFO, a folder, a symlink to the FIFO, a file one byte over the cap, a text file."""
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "folder").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "pipe")
    with (tmp_path / "big").open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    (tmp_path / "text").write_text("hello\n")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("pipe", FIFO),
        ("link", FIFO),
        ("folder", "Is a directory (os error 21)"),
        ("missing", "No such file or directory (os error 2)"),
    ],
)
def test_only_regular_files_are_read(specials: Path, name: str, why: str) -> None:
    path = specials / name
    assert read_disk(path) is None
    with pytest.raises(PatchError) as caught:
        read_text(path, "Failed to read file to update", str(path))
    assert caught.value.message == f"Failed to read file to update {path}: {why}"


def test_devices_are_not_read() -> None:
    assert read_disk(Path("/dev/zero")) is None
    with pytest.raises(PatchError, match="/dev/zero: it is a character device"):
        read_text(Path("/dev/zero"), "Failed to read file", "/dev/zero")


def test_a_file_over_the_cap_is_refused(specials: Path) -> None:
    with pytest.raises(PatchError) as caught:
        read_disk(specials / "big")
    assert f"{specials / 'big'}: it is larger than 10 MiB" in caught.value.message
    assert read_disk(specials / "text") == "hello\n"


def test_a_fifo_swapped_in_after_the_check_does_not_block(
    specials: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``stat`` says "regular file" (the check), then the open finds a FIFO (the swap)."""
    pipe = specials / "pipe"
    real_stat = os.stat

    def stale_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        result = real_stat(path, *args, **kwargs)
        if Path(path) == pipe:
            return os.stat_result((stat.S_IFREG | 0o644, *tuple(result)[1:]))
        return result

    monkeypatch.setattr(files.os, "stat", stale_stat)
    outcome: list[str | None] = []
    reader = threading.Thread(target=lambda: outcome.append(read_disk(pipe)), daemon=True)
    reader.start()
    reader.join(timeout=3)
    blocked = reader.is_alive()
    if blocked:  # release it: a writer that opens and closes at once
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=3)
    assert not blocked, "reading a FIFO that passed the check blocked"
    assert outcome == [None]


def test_a_delete_or_a_move_removes_the_symlink_itself(tmp_path: Path) -> None:
    workspace, outside = tmp_path / "ws", tmp_path / "out"
    workspace.mkdir()
    outside.mkdir()
    (outside / "f").write_text("a\n")
    (workspace / "link").symlink_to(outside / "f")
    chunk = [UpdateChunk(ops=[("-", "a"), ("+", "b")])]
    [gone] = survey([DeleteFileHunk("link")], workspace, workspace, [workspace]).destinations
    assert (gone.shown, gone.outside) == ("link", False)
    source, moved = survey(
        [UpdateFileHunk("link", "new", chunk)], workspace, workspace, [workspace]
    ).destinations
    assert (source.shown, moved.shown) == ("link", "new") and not source.outside
    [through] = survey(
        [UpdateFileHunk("link", None, chunk)], workspace, workspace, [workspace]
    ).destinations
    assert through.outside and through.shown == str(outside / "f")
