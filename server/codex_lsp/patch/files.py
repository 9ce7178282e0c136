"""Applies parsed hunks to files relative to a working directory.

Two modes with Codex's semantics: :func:`apply_hunks` writes hunk by hunk (a failure leaves the
earlier files changed, as the ``apply_patch`` CLI does); :func:`plan_hunks` computes every change
first without writing (how the agent verifies a patch before asking for approval), and
:func:`write_plan` then applies it. An existing file is replaced atomically (temp file + rename,
mode kept); a new one is created in place, exclusively (``O_EXCL``: a file or link that appeared
there meanwhile is replaced, never written through). Only ``os``-level calls: the
``apply-patch`` command, whose whole run is start-up, imports neither pathlib nor dataclasses
nor typing (~35 ms, Codex's whole run).
"""

from __future__ import annotations

import errno
import os
import stat

from codex_lsp.local_files import NotRegularFileError, kind_of, open_regular_stat
from codex_lsp.patch.apply import LineEdit, apply_chunks
from codex_lsp.patch.model import (
    AddFileHunk,
    DeleteFileHunk,
    Hunk,
    PatchError,
    Record,
    UpdateFileHunk,
)

TYPE_CHECKING = False  # typing's own would import typing, which apply-patch does not need
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Final, Literal, TypeVar

    AnyPath = str | os.PathLike[str]
    P = TypeVar("P", str, Path)
    Kind = Literal["add", "delete", "update"]
    Reader = Callable[[Path], str | None]
    """Where a patch reads a file's current text: ``None`` when there is no such file. The
    editor front end reads open documents from their buffers (unsaved edits included)."""

BOM = "\ufeff"


class FilePlan(Record):
    """One file operation, computed: ``old`` is the current text (None when added); for updates
    ``edits`` are the minimal line edits from ``old`` to ``new`` (for editors)."""

    __slots__ = ("edits", "kind", "move_path", "move_target", "new", "old", "path", "target")
    kind: Final[Kind]
    path: Final[str]
    target: Final[Path]
    old: Final[str | None]
    new: Final[str | None]
    move_path: Final[str | None]
    move_target: Final[Path | None]
    edits: Final[tuple[LineEdit, ...] | None]

    def __init__(  # noqa: PLR0913 -- a record's constructor takes its fields
        self,
        kind: Kind,
        path: str,
        target: Path,
        old: str | None,
        new: str | None,
        *,
        move_path: str | None = None,
        move_target: Path | None = None,
        edits: tuple[LineEdit, ...] | None = None,
    ) -> None:
        self.kind = kind
        self.path = path
        self.target = target
        self.old = old
        self.new = new
        self.move_path = move_path
        self.move_target = move_target
        self.edits = edits

    def revised(self, new: str, edits: tuple[LineEdit, ...]) -> FilePlan:
        """The same operation writing ``new`` instead (a review kept only part of it)."""
        return FilePlan(
            self.kind,
            self.path,
            self.target,
            self.old,
            new,
            move_path=self.move_path,
            move_target=self.move_target,
            edits=edits,
        )

    def named(self, path: str, move_path: str | None) -> FilePlan:
        """The same operation, its file (and ``Move to``) named as the user is shown them."""
        return FilePlan(
            self.kind,
            path,
            self.target,
            self.old,
            self.new,
            move_path=move_path,
            move_target=self.move_target,
            edits=self.edits,
        )


class Summary(Record):
    """What a patch changed, by the paths spelled in the patch."""

    __slots__ = ("added", "deleted", "modified")

    def __init__(self, added: list[str], modified: list[str], deleted: list[str]) -> None:
        self.added = added
        self.modified = modified
        self.deleted = deleted

    def record(self, kind: Kind, path: str, move_path: str | None) -> None:
        """Count one operation: ``path`` added, deleted or updated (reported by ``move_path``
        when it moved)."""
        if kind == "add":
            self.added.append(path)
        elif kind == "delete":
            self.deleted.append(path)
        else:
            self.modified.append(move_path or path)

    def text(self) -> str:
        """Codex's success message."""
        lines = ["Success. Updated the following files:"]
        lines += [f"A {p}" for p in self.added] + [f"M {p}" for p in self.modified]
        lines += [f"D {p}" for p in self.deleted]
        return "\n".join(lines) + "\n"


MAX_FILE_BYTES = 10 * 1024 * 1024
"""The most bytes of one file a patch reads: patches are for source files, and reading a huge
or endless file would exhaust the server."""


def _read_bytes(path: AnyPath, purpose: str, shown: str) -> tuple[bytes, int] | None:
    """At most :data:`MAX_FILE_BYTES` of a regular file, and its permission bits; ``None`` when
    it is not one. Read straight from the descriptor, sized by its ``fstat`` (no 10 MiB buffer
    for a small file)."""
    try:
        try:
            fd, status = open_regular_stat(path)
        except (FileNotFoundError, NotADirectoryError, NotRegularFileError):
            return None
        try:
            pieces = [os.read(fd, min(status.st_size, MAX_FILE_BYTES) + 1)]
            total = len(pieces[0])
            while total <= MAX_FILE_BYTES:  # to the end: the file may have grown since
                more = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - total))
                if not more:
                    break
                pieces.append(more)
                total += len(more)
        finally:
            os.close(fd)
        data = b"".join(pieces)
    except ValueError as exc:  # a NUL byte in the path
        raise PatchError(f"{purpose} {shown}: the path contains a NUL byte") from exc
    except OSError as exc:
        raise PatchError(f"{purpose} {shown}: {exc.strerror} (os error {exc.errno})") from exc
    if len(data) > MAX_FILE_BYTES:
        raise PatchError(
            f"{purpose} {shown}: it is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, the "
            "most apply_patch reads of one file; change it with a command instead"
        )
    return data, status.st_mode & 0o7777


def _not_regular(path: AnyPath) -> str:
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


def read_disk(path: AnyPath) -> str | None:
    """The disk's text of ``path``, or ``None`` when it is not a regular file (absent, a folder,
    a FIFO, a device: never opened in a way that could wait). Never blocks for long: at most
    :data:`MAX_FILE_BYTES` are read, and a bigger file raises :class:`PatchError`."""
    return _read_disk(path, None)


def _read_disk(path: AnyPath, modes: dict[str, int] | None) -> str | None:
    """:func:`read_disk`, noting the file's permission bits in ``modes`` (when given)."""
    shown = os.fspath(path)
    read = _read_bytes(path, "Failed to read file", shown)
    if read is None:
        return None
    if modes is not None:
        modes[shown] = read[1]
    return _decode(read[0], "Failed to read file", shown)


def read_text(path: AnyPath, purpose: str, shown: str) -> str:
    """A UTF-8 text file's content; refuses what is not a regular file, binary files, and files
    over :data:`MAX_FILE_BYTES`, saying which."""
    read = _read_bytes(path, purpose, shown)
    if read is None:
        raise PatchError(f"{purpose} {shown}: {_not_regular(path)}")
    return _decode(read[0], purpose, shown)


def _refuse_special(path: AnyPath, purpose: str) -> None:
    """Raise unless ``path`` is absent or a regular file (a patch writes files, not folders,
    FIFOs or devices)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise PatchError(
            f"{purpose} {os.fspath(path)}: {exc.strerror} (os error {exc.errno})"
        ) from exc
    if not stat.S_ISREG(mode):
        raise PatchError(f"{purpose} {os.fspath(path)}: {_not_regular(path)}")


def _planned(
    hunk: Hunk, target: P, move_target: P | None, read: Callable[[P], str | None], edits: bool
) -> tuple[Kind, str | None, str | None, tuple[LineEdit, ...] | None]:
    """What ``hunk`` does to ``target`` (and ``move_target``) as ``read`` sees them: the kind,
    the old and the new text, and (when ``edits``) the line edits from one to the other."""
    if isinstance(hunk, AddFileHunk):
        _refuse_special(target, "Failed to write file")
        try:
            old = read(target)
        except PatchError:
            old = None
        return "add", old, hunk.contents, None
    if isinstance(hunk, DeleteFileHunk):
        existing = read(target)
        if existing is None:
            why = f": {_not_regular(target)}" if os.path.lexists(target) else ""
            raise PatchError(f"Failed to delete file {os.fspath(target)}{why}")
        return "delete", existing, None, None
    original = read(target)
    if original is None:
        original = read_text(target, "Failed to read file to update", os.fspath(target))
    bom = original.startswith(BOM)
    shown = os.fspath(target)
    line_edits: list[LineEdit] | None = [] if edits else None
    new = apply_chunks(original.removeprefix(BOM), hunk.chunks, shown, line_edits)
    if move_target is not None:
        _refuse_special(move_target, "Failed to move file to")
    text = (BOM if bom else "") + new
    return "update", original, text, None if line_edits is None else tuple(line_edits)


def plan_hunk(hunk: Hunk, cwd: Path, read: Reader = read_disk) -> FilePlan:
    """The change ``hunk`` makes, computed against the files as ``read`` sees them (the disk by
    default; the editor front end passes its open buffers)."""
    target = cwd / hunk.path
    move_path = hunk.move_path if isinstance(hunk, UpdateFileHunk) else None
    move_target = cwd / move_path if move_path else None
    kind, old, new, edits = _planned(hunk, target, move_target, read, True)
    return FilePlan(
        kind, hunk.path, target, old, new, move_path=move_path, move_target=move_target, edits=edits
    )


def _write(
    kind: Kind, target: P, new: str | None, move_target: P | None, mode: int | None = None
) -> None:
    """Carry out one computed operation on the disk (``mode``: the target's permission bits,
    when it was just read with them)."""
    if kind == "delete":
        try:
            os.unlink(target)
        except OSError as exc:
            raise PatchError(f"Failed to delete file {os.fspath(target)}") from exc
        return
    text = new or ""
    if kind == "add":
        write_atomic(target, text)
        return
    if move_target is None:
        kept = _mode(target) if mode is None else mode
        _write_or_fail(target, lambda: _replace(target, text.encode("utf-8"), kept))
        return
    write_atomic(move_target, text, mode_from=target)
    if os.path.realpath(move_target) != os.path.realpath(target):
        try:
            os.unlink(target)
        except OSError as exc:
            raise PatchError(f"Failed to remove original {os.fspath(target)}") from exc


def write_plan(plan: FilePlan, summary: Summary) -> None:
    """Carry out one planned operation and record it in ``summary``."""
    _write(plan.kind, plan.target, plan.new, plan.move_target)
    summary.record(plan.kind, plan.path, plan.move_path)


def summarize(plans: list[FilePlan]) -> Summary:
    """What ``plans`` change, as Codex reports it."""
    summary = Summary([], [], [])
    for plan in plans:
        summary.record(plan.kind, plan.path, plan.move_path)
    return summary


_EXCLUSIVE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def _mode(path: AnyPath) -> int | None:
    """``path``'s permission bits (through a link), ``None`` when there is nothing to stat."""
    try:
        return os.stat(path).st_mode & 0o7777
    except (OSError, ValueError):
        return None


def _create(path: AnyPath, mode: int) -> int:
    """A descriptor of a file created at ``path`` (``FileExistsError`` when anything, even a
    dangling link, is there), its missing folders made first."""
    try:
        return os.open(path, _EXCLUSIVE, mode)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return os.open(path, _EXCLUSIVE, mode)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fill(fd: int, data: bytes, mode: int | None) -> None:
    """Write ``data`` to the new file ``fd``, give it ``mode`` (when known) and close it."""
    try:
        _write_all(fd, data)
        if mode is not None:
            os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _discard(path: AnyPath) -> None:
    """Remove what a failed write left at ``path`` (its own error is the one reported)."""
    try:
        os.unlink(path)
    except OSError:
        return


def _replace(path: AnyPath, data: bytes, mode: int | None) -> None:
    """Write ``data`` to a temp file beside ``path`` (private until renamed) and rename it over
    ``path``: a crash leaves the old text or the new one, never half of either."""
    folder, name = os.path.split(os.fspath(path))
    # 40 characters are at most 160 bytes: the temp name fits even beside a 255-byte name
    temp = os.path.join(folder, f".{name[:40]}.{os.urandom(6).hex()}.tmp")
    fd = _create(temp, 0o600)
    try:
        _fill(fd, data, mode)
        os.replace(temp, path)
    except BaseException:
        _discard(temp)
        raise


def _write_or_fail(path: AnyPath, write: Callable[[], None]) -> None:
    """Run ``write``; an OS error is Codex's "Failed to write file" for ``path``."""
    try:
        write()
    except (OSError, ValueError) as exc:
        raise PatchError(f"Failed to write file {os.fspath(path)}") from exc


def write_atomic(path: AnyPath, text: str, mode_from: AnyPath | None = None) -> None:
    """Write ``text`` to ``path``, keeping ``mode_from``'s permission bits (by default those of
    the file already there). A new file is created in place, exclusively, with the usual mode
    (or ``mode_from``'s); an existing one is replaced through a renamed temp file. Raises
    :class:`PatchError` ("Failed to write file ...") when the system refuses."""
    data = text.encode("utf-8")

    def write() -> None:
        mode = None if mode_from is None else _mode(mode_from)
        try:
            fd = _create(path, 0o666 if mode is None else 0o600)
        except FileExistsError:
            _replace(path, data, _mode(path) if mode is None else mode)
            return
        try:
            _fill(fd, data, mode)
        except BaseException:
            _discard(path)
            raise

    _write_or_fail(path, write)


def _joined(base: str, spelled: str) -> str:
    """``spelled`` against ``base`` as pathlib joins them (``Path(base) / spelled``): an
    absolute path replaces the base, empty and ``.`` components go (``..`` stays: the kernel
    resolves it, links and all), so the command names files exactly as the agent does."""
    whole = spelled if spelled.startswith("/") else f"{base}/{spelled}"
    head = spelled if spelled.startswith("/") else base  # where the root comes from
    slashes = len(head) - len(head.lstrip("/"))
    root = "//" if slashes == 2 else "/" * min(slashes, 1)  # POSIX keeps exactly two
    return root + "/".join(part for part in whole.split("/") if part not in ("", "."))


def apply_hunks(hunks: list[Hunk], cwd: AnyPath) -> Summary:
    """Apply hunk by hunk (earlier hunks stay applied when a later one fails)."""
    if not hunks:
        raise PatchError("No files were modified.")
    base = os.fspath(cwd)
    summary = Summary([], [], [])
    modes: dict[str, int] = {}  # what the read of a file found: its replacement keeps it

    def read(path: str) -> str | None:
        return _read_disk(path, modes)

    for hunk in hunks:
        target = _joined(base, hunk.path)
        move_path = hunk.move_path if isinstance(hunk, UpdateFileHunk) else None
        move_target = _joined(base, move_path) if move_path else None
        kind, _, new, _ = _planned(hunk, target, move_target, read, False)
        _write(kind, target, new, move_target, modes.pop(target, None))
        summary.record(kind, hunk.path, move_path)
    return summary


def plan_hunks(hunks: list[Hunk], cwd: Path, read: Reader = read_disk) -> list[FilePlan]:
    """Compute every change without writing; the first problem raises."""
    if not hunks:
        raise PatchError("No files were modified.")
    return [plan_hunk(h, cwd, read) for h in hunks]
