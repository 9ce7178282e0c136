"""``codex-lsp apply-patch`` as a process: what its start-up imports, how it writes (an existing
file replaced through a renamed temp file, a new one created in place with the usual mode), and
what a write the system refuses looks like (Codex's message, never a traceback)."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

CODEX_BIN = os.environ.get("CODEX_BIN") or shutil.which("codex")
MODULES_ALLOWED = {
    "codex_lsp",
    "codex_lsp.__main__",
    "codex_lsp.cli",
    "codex_lsp.cli.main",
    "codex_lsp.cli.apply_patch_cmd",
    "codex_lsp.errors",
    "codex_lsp.local_files",
    "codex_lsp.patch",
    "codex_lsp.patch.apply",
    "codex_lsp.patch.files",
    "codex_lsp.patch.model",
    "codex_lsp.patch.parser",
    "codex_lsp.patch.paths",
    "codex_lsp.patch.seek",
}
HEAVY_STDLIB = {"dataclasses", "inspect", "pathlib", "re", "tempfile", "typing", "shutil", "enum"}


def _patch(*sections: str) -> str:
    return "*** Begin Patch\n" + "".join(sections) + "*** End Patch\n"


def _run(
    patch: str, cwd: Path, *argv: str, limit_bytes: int | None = None
) -> subprocess.CompletedProcess[str]:
    def limit() -> None:  # in the child: writes past the limit fail with EFBIG
        os.umask(0o022)
        if limit_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run(
        [*argv, patch] if argv else [sys.executable, "-m", "codex_lsp", "apply-patch", patch],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        preexec_fn=limit,
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _imports(argv: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``python -X importtime ARGV``: the result and the modules it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "| imported package" not in line
    }
    return result, imported


def test_the_command_imports_only_the_patch_modules(tmp_path: Path) -> None:
    """Beyond what the interpreter and ``-m`` load anyway (measured here, so a site
    customisation importing more is not blamed on the command)."""
    (tmp_path / "app.py").write_text("x = 1\n")
    patch = _patch("*** Update File: app.py\n@@\n-x = 1\n+x = 2\n", "*** Add File: new.txt\n+n\n")
    result, imported = _imports(["-m", "codex_lsp", "apply-patch", patch], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Success. Updated the following files:\nA new.txt\nM app.py\n"
    imported -= _imports(["-c", "import runpy"], tmp_path)[1]
    ours = {m for m in imported if m.split(".")[0] == "codex_lsp"}
    assert ours and ours <= MODULES_ALLOWED, sorted(ours - MODULES_ALLOWED)
    assert not imported & HEAVY_STDLIB, sorted(imported & HEAVY_STDLIB)
    assert (tmp_path / "app.py").read_text() == "x = 2\n"


def test_an_update_renames_a_new_file_over_the_old_and_keeps_its_mode(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("echo one\n")
    script.chmod(0o754)
    link = tmp_path / "hard-link"
    os.link(script, link)
    before = script.stat().st_ino
    result = _run(_patch("*** Update File: run.sh\n@@\n-echo one\n+echo two\n"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert script.read_text() == "echo two\n" and _mode(script) == 0o754
    assert script.stat().st_ino != before  # replaced, not rewritten in place:
    assert link.read_text() == "echo one\n"  # a reader holding the old file saw no half write
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard-link", "run.sh"]  # no temp left


def test_new_files_get_the_usual_mode(tmp_path: Path) -> None:
    """Created in place under the umask (0644 under 022), as Codex and editors create files; a
    moved file keeps its own mode."""
    tool = tmp_path / "tool.sh"
    tool.write_text("echo\n")
    tool.chmod(0o750)
    patch = _patch(
        "*** Add File: made/new.txt\n+new\n",
        "*** Update File: tool.sh\n*** Move to: bin/tool.sh\n@@\n-echo\n+echo moved\n",
    )
    result = _run(patch, tmp_path)
    assert result.returncode == 0, result.stderr
    assert _mode(tmp_path / "made" / "new.txt") == 0o644
    assert _mode(tmp_path / "bin" / "tool.sh") == 0o750 and not tool.exists()


@pytest.mark.skipif(
    CODEX_BIN is None, reason="the Codex CLI is not installed (set CODEX_BIN to its binary)"
)
def test_modes_are_the_same_as_codex(tmp_path: Path) -> None:
    """An added file and an updated one (a moved one keeps its mode here; Codex's gets 0644)."""
    patch = _patch("*** Add File: a/new.txt\n+new\n", "*** Update File: kept.sh\n@@\n-1\n+2\n")
    modes = []
    assert CODEX_BIN is not None
    for name, argv in (("ours", ()), ("codex", (CODEX_BIN, "--codex-run-as-apply-patch"))):
        work = tmp_path / name
        work.mkdir()
        (work / "kept.sh").write_text("1\n")
        (work / "kept.sh").chmod(0o751)
        assert _run(patch, work, *argv).returncode == 0
        modes.append({str(p.relative_to(work)): _mode(p) for p in work.rglob("*") if p.is_file()})
    assert modes[0] == modes[1]


def test_an_added_file_replaces_a_planted_link_not_what_it_points_to(tmp_path: Path) -> None:
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    (outside / "secret").write_text("precious\n")
    (work / "notes.txt").symlink_to(outside / "secret")
    (work / "dangling.txt").symlink_to(outside / "absent")
    patch = _patch("*** Add File: notes.txt\n+mine\n", "*** Add File: dangling.txt\n+also\n")
    result = _run(patch, work)
    assert result.returncode == 0, result.stderr
    assert (outside / "secret").read_text() == "precious\n" and not (outside / "absent").exists()
    for name, text in (("notes.txt", "mine\n"), ("dangling.txt", "also\n")):
        assert not (work / name).is_symlink() and (work / name).read_text() == text


def test_a_write_the_system_refuses_is_codex_s_message(tmp_path: Path) -> None:
    """A file too big for the process's limit (EFBIG): the new file is not left half written,
    the existing one keeps its text, no temp file stays; exit 1 and one line, no traceback."""
    (tmp_path / "big.txt").write_text("small\n")
    body = "".join(f"+{'x' * 99}\n" for _ in range(50))
    for section, target in (
        (f"*** Add File: new.txt\n{body}", "new.txt"),
        (f"*** Update File: big.txt\n@@\n-small\n{body}", "big.txt"),
    ):
        result = _run(_patch(section), tmp_path, limit_bytes=1000)
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr == f"Failed to write file {tmp_path / target}\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["big.txt"]
        assert (tmp_path / "big.txt").read_text() == "small\n"


def test_a_file_with_the_longest_name_can_be_updated(tmp_path: Path) -> None:
    """Its temp file's name is cut to fit: the whole name plus a suffix would be over 255 bytes."""
    name = "\u00e9" * 125 + ".txt"  # 254 bytes in UTF-8
    (tmp_path / name).write_text("old\n")
    result = _run(_patch(f"*** Update File: {name}\n@@\n-old\n+new\n"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / name).read_text() == "new\n" and len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("*** Update File: pipe\n@@\n-a\n+b\n", "Failed to read file to update {}/pipe: {}"),
        ("*** Add File: pipe\n+b\n", "Failed to write file {}/pipe: {}"),
        ("*** Delete File: pipe\n", "Failed to delete file {}/pipe: {}"),
        ("*** Update File: zero\n@@\n-a\n+b\n", "Failed to read file to update {}/zero: {}"),
    ],
)
def test_a_fifo_or_a_device_is_refused_without_waiting(
    tmp_path: Path, section: str, message: str
) -> None:
    """Never opened in a way that could wait (a FIFO's writer never comes, /dev/zero never
    ends): the command answers at once, and the FIFO and the link stay as they were."""
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "zero").symlink_to("/dev/zero")
    result = _run(_patch(section), tmp_path)
    kind = "a character device" if "zero" in section else "a named pipe (FIFO)"
    why = f"it is {kind}, not a regular file; apply_patch edits regular files only"
    assert result.returncode == 1 and result.stderr == message.format(tmp_path, why) + "\n"
    assert stat.S_ISFIFO((tmp_path / "pipe").lstat().st_mode)
    assert (tmp_path / "zero").is_symlink()
