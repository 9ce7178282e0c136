"""What git knows of a workspace, asked with git's own rules: the tracked and the untracked,
not ignored files, the ignored folders, whether new paths are ignored, and the index's content
of clean files. The repository is untrusted: git runs with :mod:`codex_lsp.untrusted_git`'s
options (nothing of the repository's choosing runs, no lock is taken), every call has a
timeout. These block: callers run them in a worker thread."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from codex_lsp.core.bounded_read import UNRECORDED, Content
from codex_lsp.untrusted_git import no_filters, run_git


@dataclass(frozen=True)
class GitView:
    """A workspace inside a git work tree; ``prefix`` is the workspace's path in it."""

    root: Path
    prefix: str

    def _run(self, *args: str, stdin: bytes = b"", ok: tuple[int, ...] = (0,)) -> bytes:
        done = run_git(self.root, *args, stdin=stdin)
        if done.returncode not in ok:
            raise OSError(f"git {args[0]} failed: {done.stderr.decode(errors='replace')[:200]}")
        return done.stdout

    @classmethod
    def open(cls, root: Path) -> GitView | None:
        """The view of ``root``, or None when it is not in a git work tree (or git is absent)."""
        if shutil.which("git") is None:
            return None
        view = cls(root, "")
        try:
            out = view._run("rev-parse", "--is-inside-work-tree", "--show-prefix")
        except (OSError, subprocess.SubprocessError):
            return None
        lines = out.decode(errors="replace").splitlines()
        if not lines or lines[0] != "true":
            return None
        return cls(root, lines[1] if len(lines) > 1 else "")

    def _paths(self, *args: str) -> list[str]:
        return [p for p in os.fsdecode(self._run(*args)).split("\0") if p]

    def tracked(self) -> list[str]:
        """Tracked files, relative to the workspace."""
        return self._paths("ls-files", "-z", "-c")

    def untracked(self) -> list[str]:
        """Untracked files git does not ignore."""
        return self._paths("ls-files", "-z", "-o", "--exclude-standard")

    def ignored_dirs(self) -> set[str]:
        """Ignored folders (without their trailing slash): never watched nor walked."""
        found = self._paths("ls-files", "-z", "-o", "-i", "--exclude-standard", "--directory")
        return {p.rstrip("/") for p in found if p.endswith("/")}

    def dirty(self) -> set[str]:
        """Tracked files whose content differs from the index (or may: stat says so)."""
        filters = no_filters(self.root)  # diff-files runs them on files whose stat changed
        return set(
            self._paths(*filters, "diff-files", "-z", "--name-only", "--relative", "--", ".")
        )

    def ignored(self, paths: Iterable[str]) -> set[str]:
        """Those of ``paths`` git ignores."""
        wanted = [p for p in paths if "\0" not in p]
        if not wanted:
            return set()
        out = self._run(
            "check-ignore", "-z", "--stdin", stdin=os.fsencode("\0".join(wanted)) + b"\0", ok=(0, 1)
        )
        return {p for p in os.fsdecode(out).split("\0") if p}

    def index_texts(self, paths: list[str], limit: int, budget: int) -> dict[str, Content]:
        """The index's content of ``paths`` (clean tracked files: what they held): text up to
        ``limit`` bytes each and ``budget`` in all, :data:`UNRECORDED` beyond."""
        result: dict[str, Content] = dict.fromkeys(paths, UNRECORDED)
        asked = [p for p in paths if "\n" not in p]
        sizes = self._batch("--batch-check", asked)
        chosen: list[str] = []
        for path, (_, size) in zip(asked, sizes, strict=True):
            if 0 <= size <= limit and size <= budget:
                chosen.append(path)
                budget -= size
        for path, (body, _) in zip(chosen, self._batch("--batch", chosen), strict=True):
            with contextlib.suppress(UnicodeDecodeError):
                result[path] = body.decode("utf-8")
        return result

    def _batch(self, mode: str, paths: list[str]) -> list[tuple[bytes, int]]:
        """``git cat-file --batch[-check]`` of the index entries of ``paths``: (content, size)
        each, size -1 when the index has no blob there."""
        if not paths:
            return []
        specs = "".join(f":{self.prefix}{p}\n" for p in paths).encode()
        out = self._run("cat-file", mode, stdin=specs)
        found: list[tuple[bytes, int]] = []
        offset = 0
        for _ in paths:
            end = out.index(b"\n", offset)
            header = out[offset:end].split()
            offset = end + 1
            if len(header) < 3 or header[1] != b"blob":
                found.append((b"", -1))  # "missing": not in the index
                continue
            size = int(header[2])
            if mode == "--batch":
                found.append((out[offset : offset + size], size))
                offset += size + 1
            else:
                found.append((b"", size))
        return found
