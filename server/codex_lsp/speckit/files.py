"""Reading and writing a project's spec-kit files safely: the repository is untrusted, so a file
that is a FIFO or a device, or a symlink out of the project, is never read (its content would
reach a model, or the read would hang), reads are capped, and writes are atomic and stay inside
the folder they are meant for."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from codex_lsp.errors import SpeckitError
from codex_lsp.local_files import NotRegularFileError, read_regular

MAX_FILE_BYTES = 4 * 1024 * 1024
LOCK_TIMEOUT_S = 10.0


def _inside(path: Path, root: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
    except ValueError:
        return False
    return True


def read_text(path: Path, root: Path | None, max_bytes: int = MAX_FILE_BYTES) -> str | None:
    """The text of ``path`` (None when it does not exist), at most ``max_bytes`` of it.
    Raises :class:`SpeckitError` for a file outside ``root`` (through a symlink; None: no such
    check, for git's own files) or one that is not a regular file."""
    if root is not None and not _inside(path, root):
        raise SpeckitError(f"{path} leads outside {root} (a symlink?); spec-kit does not read it")
    try:
        data = read_regular(path, max_bytes)
    except FileNotFoundError:
        return None
    except NotRegularFileError as exc:
        raise SpeckitError(f"{path} is {exc.kind}, not a regular file; it is skipped") from None
    except OSError as exc:
        raise SpeckitError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return data[:max_bytes].decode("utf-8", "replace")


def check_writable(path: Path, root: Path) -> None:
    """Refuse (:class:`SpeckitError`) to write ``path`` unless it is inside ``root`` and no
    existing folder on the way (nor the file) is a symlink out of it."""
    try:
        path.relative_to(root)
    except ValueError:
        raise SpeckitError(f"{path} is outside {root}; spec-kit does not write it") from None
    existing = path.parent
    while not existing.exists() and existing not in (root, existing.parent):
        existing = existing.parent
    inside_root = existing == root or root in existing.parents
    if (inside_root and not _inside(existing, root)) or path.is_symlink():
        raise SpeckitError(f"{path} leads outside {root} (a symlink?); spec-kit does not write it")


def write_text(path: Path, root: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file renamed over it), creating its
    folders, after :func:`check_writable`."""
    check_writable(path, root)
    temp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temp, path)
        temp = None
    except OSError as exc:
        raise SpeckitError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)


@contextlib.contextmanager
def exclusive_lock(path: Path, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if needed) for a read-modify-write that
    another codex-lsp process may attempt at the same time. Raises :class:`SpeckitError` when
    it stays locked for ``timeout_s``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SpeckitError(
                        f"{path} stayed locked for {timeout_s:.0f} s (another codex-lsp at work?); "
                        "try again"
                    ) from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)
