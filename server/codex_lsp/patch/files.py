"""Applies parsed hunks to files relative to a working directory.

Two modes with Codex's semantics: :func:`apply_hunks` writes hunk by hunk (a failure leaves the
earlier files changed, as the ``apply_patch`` CLI does); :func:`plan_hunks` computes every change
first without writing (how the agent verifies a patch before asking for approval), and
:func:`write_plan` then applies it. Writes are atomic (temp file + rename, mode kept).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from codex_lsp.local_files import NotRegularFileError, kind_of, open_regular
from codex_lsp.patch.apply import LineEdit, apply_chunks_with_edits
from codex_lsp.patch.model import AddFileHunk, DeleteFileHunk, Hunk, PatchError

BOM = "\ufeff"


@dataclass(frozen=True)
class FilePlan:
    """One file operation, computed: ``old`` is the current text (None when added)."""

    kind: Literal["add", "delete", "update"]
    path: str
    target: Path
    old: str | None
    new: str | None
    move_path: str | None = None
    move_target: Path | None = None
    edits: tuple[LineEdit, ...] | None = None
    """For updates: the minimal line edits from ``old`` to ``new`` (for editors)."""


@dataclass
class Summary:
    """What a patch changed, by the paths spelled in the patch."""

    added: list[str]
    modified: list[str]
    deleted: list[str]

    def text(self) -> str:
        """Codex's success message."""
        lines = ["Success. Updated the following files:"]
        lines += [f"A {p}" for p in self.added] + [f"M {p}" for p in self.modified]
        lines += [f"D {p}" for p in self.deleted]
        return "\n".join(lines) + "\n"


Reader = Callable[[Path], str | None]
"""Where a patch reads a file's current text: ``None`` when there is no such file. The editor
front end reads open documents from their buffers (unsaved edits included)."""


MAX_FILE_BYTES = 10 * 1024 * 1024
"""The most bytes of one file a patch reads: patches are for source files, and reading a huge
or endless file would exhaust the server."""


def _open_regular(path: Path) -> int | None:
    """A read-only descriptor of ``path`` when it is a regular file, else ``None`` (absent, a
    folder, a FIFO, a device: see :func:`~codex_lsp.local_files.open_regular`)."""
    try:
        return open_regular(path)
    except (FileNotFoundError, NotADirectoryError, NotRegularFileError):
        return None


def _read_bytes(path: Path, purpose: str, shown: str) -> bytes | None:
    """At most :data:`MAX_FILE_BYTES` of a regular file; ``None`` when it is not one."""
    try:
        fd = _open_regular(path)
        if fd is None:
            return None
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except ValueError as exc:  # a NUL byte in the path
        raise PatchError(f"{purpose} {shown}: the path contains a NUL byte") from exc
    except OSError as exc:
        raise PatchError(f"{purpose} {shown}: {exc.strerror} (os error {exc.errno})") from exc
    if len(data) > MAX_FILE_BYTES:
        raise PatchError(
            f"{purpose} {shown}: it is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, the "
            "most apply_patch reads of one file; change it with a command instead"
        )
    return data


def _not_regular(path: Path) -> str:
    """Why ``path`` could not be read as a regular file: absent, a folder, or a special file."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"{exc.strerror} (os error {exc.errno})"
    if stat.S_ISDIR(mode):
        return f"Is a directory (os error {errno.EISDIR})"
    return f"it is {kind_of(mode)}, not a regular file; apply_patch edits regular files only"


def _decode(data: bytes, purpose: str, shown: str) -> str:
    if b"\0" in data:
        raise PatchError(
            f"{purpose} {shown}: it is a binary file; apply_patch edits text files only"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PatchError(f"{purpose} {shown}: it is not UTF-8 text") from exc


def read_disk(path: Path) -> str | None:
    """The disk's text of ``path``, or ``None`` when it is not a regular file (absent, a folder,
    a FIFO, a device: never opened in a way that could wait). Never blocks for long: at most
    :data:`MAX_FILE_BYTES` are read, and a bigger file raises :class:`PatchError`."""
    data = _read_bytes(path, "Failed to read file", str(path))
    return None if data is None else _decode(data, "Failed to read file", str(path))


def read_text(path: Path, purpose: str, shown: str) -> str:
    """A UTF-8 text file's content; refuses what is not a regular file, binary files, and files
    over :data:`MAX_FILE_BYTES`, saying which."""
    data = _read_bytes(path, purpose, shown)
    if data is None:
        raise PatchError(f"{purpose} {shown}: {_not_regular(path)}")
    return _decode(data, purpose, shown)


def _refuse_special(path: Path, purpose: str) -> None:
    """Raise unless ``path`` is absent or a regular file (a patch writes files, not folders,
    FIFOs or devices)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise PatchError(f"{purpose} {path}: {exc.strerror} (os error {exc.errno})") from exc
    if not stat.S_ISREG(mode):
        raise PatchError(f"{purpose} {path}: {_not_regular(path)}")


def plan_hunk(hunk: Hunk, cwd: Path, read: Reader = read_disk) -> FilePlan:
    """The change ``hunk`` makes, computed against the files as ``read`` sees them (the disk by
    default; the editor front end passes its open buffers)."""
    target = cwd / hunk.path
    if isinstance(hunk, AddFileHunk):
        _refuse_special(target, "Failed to write file")
        try:
            old = read(target)
        except PatchError:
            old = None
        return FilePlan("add", hunk.path, target, old, hunk.contents)
    if isinstance(hunk, DeleteFileHunk):
        existing = read(target)
        if existing is None:
            why = f": {_not_regular(target)}" if os.path.lexists(target) else ""
            raise PatchError(f"Failed to delete file {target}{why}")
        return FilePlan("delete", hunk.path, target, existing, None)
    original = read(target)
    if original is None:
        original = read_text(target, "Failed to read file to update", str(target))
    bom = original.startswith(BOM)
    new, edits = apply_chunks_with_edits(original.removeprefix(BOM), hunk.chunks, str(target))
    move_target = cwd / hunk.move_path if hunk.move_path else None
    if move_target is not None:
        _refuse_special(move_target, "Failed to move file to")
    text = (BOM if bom else "") + new
    return FilePlan(
        "update", hunk.path, target, original, text, hunk.move_path, move_target, tuple(edits)
    )


def write_plan(plan: FilePlan, summary: Summary) -> None:
    """Carry out one planned operation and record it in ``summary``."""
    if plan.kind == "delete":
        try:
            plan.target.unlink()
        except OSError as exc:
            raise PatchError(f"Failed to delete file {plan.target}") from exc
        summary.deleted.append(plan.path)
        return
    assert plan.new is not None
    destination = plan.move_target or plan.target
    write_atomic(destination, plan.new, mode_from=plan.target if plan.kind == "update" else None)
    if plan.move_target is not None and plan.move_target.resolve() != plan.target.resolve():
        try:
            plan.target.unlink()
        except OSError as exc:
            raise PatchError(f"Failed to remove original {plan.target}") from exc
    if plan.kind == "add":
        summary.added.append(plan.path)
    else:
        summary.modified.append(plan.move_path or plan.path)


def summarize(plans: list[FilePlan]) -> Summary:
    """What ``plans`` change, as Codex reports it."""
    summary = Summary([], [], [])
    for plan in plans:
        if plan.kind == "add":
            summary.added.append(plan.path)
        elif plan.kind == "delete":
            summary.deleted.append(plan.path)
        else:
            summary.modified.append(plan.move_path or plan.path)
    return summary


def write_atomic(path: Path, text: str, mode_from: Path | None = None) -> None:
    """Write ``text`` via a temp file in the same folder, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = None
    with contextlib.suppress(OSError):
        mode = (mode_from or path).stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def apply_hunks(hunks: list[Hunk], cwd: Path) -> Summary:
    """Apply hunk by hunk (earlier hunks stay applied when a later one fails)."""
    if not hunks:
        raise PatchError("No files were modified.")
    summary = Summary([], [], [])
    for hunk in hunks:
        write_plan(plan_hunk(hunk, cwd), summary)
    return summary


def plan_hunks(hunks: list[Hunk], cwd: Path, read: Reader = read_disk) -> list[FilePlan]:
    """Compute every change without writing; the first problem raises."""
    if not hunks:
        raise PatchError("No files were modified.")
    return [plan_hunk(h, cwd, read) for h in hunks]
