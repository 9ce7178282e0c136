"""Where a patch really writes, judged against the sandbox's writable roots.

The patch's paths are resolved against a base folder (the conversation's cwd, or the folder a
``shell`` call names), symlinks followed, and each destination is classified: outside every
writable root, inside the workspace while the sandbox is read-only, or in one of the folders
that hold a repository's or the agent's own configuration (``.git``, ``.codex``, ``.codex-lsp``,
at any depth and in any spelling the filesystem may treat as the same name). The base only
places relative paths: it is never a writable root. Pure apart from resolving paths: the caller
decides what needs the user.
"""

from __future__ import annotations

import errno
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from codex_lsp.patch.model import AddFileHunk, DeleteFileHunk, Hunk, PatchError, UpdateFileHunk
from codex_lsp.protocol.protected import PROTECTED_FOLDERS

_PROTECTED = frozenset(PROTECTED_FOLDERS)
_SHORT_NAME = re.compile(r"(?:git|codex-?)~[0-9]+")
"""8.3 short names of the protected folders (``GIT~1``), on filesystems that make them."""


def protected_name(name: str) -> bool:
    """``name`` is, or may be taken by the filesystem for, one of :data:`PROTECTED_FOLDERS`: case
    folded (case-insensitive filesystems), Unicode normalised with format characters dropped
    (HFS+ ignores some), trailing dots and spaces stripped (Windows does)."""
    visible = "".join(c for c in name if unicodedata.category(c) != "Cf")
    folded = unicodedata.normalize("NFC", visible).rstrip(". ").casefold()
    return folded in _PROTECTED or _SHORT_NAME.fullmatch(folded) is not None


def _protected_part(path: Path, holders: list[Path]) -> bool:
    """A component of ``path`` below the outermost of ``holders`` that contains it (every
    component when none does) is a protected name: a writable root named ``.git`` does not
    make ``.git`` writable without asking."""
    containing = [h for h in holders if path.is_relative_to(h)]
    start = min(containing, key=lambda h: len(h.parts)) if containing else Path(path.anchor)
    return any(protected_name(part) for part in path.relative_to(start).parts)


@dataclass(frozen=True)
class Destination:
    """One file a patch writes (a target or a ``Move to``)."""

    path: Path
    """Absolute, symlinks resolved: where the write lands."""
    shown: str
    """Relative to the workspace when inside it, else absolute: what the user is shown."""
    outside: bool
    """Outside the workspace and every writable root."""
    read_only: bool
    """Inside the workspace, but the sandbox lets nothing be written there."""
    protected: bool
    """In (or is) ``.git``, ``.codex`` or ``.codex-lsp``, as spelled or once resolved."""


@dataclass(frozen=True)
class Survey:
    """A patch's hunks with their paths made absolute and resolved, and where they write."""

    hunks: list[Hunk]
    destinations: list[Destination]

    def shown(self, path: Path) -> str:
        """The name the user is shown for the resolved destination ``path``."""
        return next(d.shown for d in self.destinations if d.path == path)


def _resolve(base: Path, spelled: str, follow: bool) -> tuple[Path, Path]:
    """``spelled`` against ``base``: lexically normalised, and with symlinks resolved (all of
    them when the write goes through the file, ``follow``; else the folders only, as a delete
    or the source of a move removes a symlink itself)."""
    joined = base / spelled
    if follow:
        resolved = Path(os.path.realpath(joined))
    else:
        resolved = Path(os.path.realpath(joined.parent)) / joined.name
    try:
        os.stat(resolved)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENAMETOOLONG):
            raise PatchError(f"{spelled}: {exc.strerror} (os error {exc.errno})") from exc
    return Path(os.path.normpath(joined)), resolved


def _spelled(hunk: Hunk) -> list[tuple[str, bool]]:
    """The paths ``hunk`` names, each with whether its write follows a symlink there."""
    if isinstance(hunk, AddFileHunk):
        return [(hunk.path, True)]
    if isinstance(hunk, DeleteFileHunk):
        return [(hunk.path, False)]
    if hunk.move_path:
        return [(hunk.path, False), (hunk.move_path, True)]
    return [(hunk.path, True)]


def _judged(
    resolved: Path, lexical: Path, workspace: Path, writable: list[Path] | None, holders: list[Path]
) -> Destination:
    """Where ``resolved`` lies against the workspace and the writable roots."""
    inside_workspace = resolved.is_relative_to(workspace)
    writable_here = writable is None or any(resolved.is_relative_to(r) for r in writable)
    return Destination(
        path=resolved,
        shown=str(resolved.relative_to(workspace)) if inside_workspace else str(resolved),
        outside=not writable_here and not inside_workspace,
        read_only=not writable_here and inside_workspace,
        protected=_protected_part(lexical, holders) or _protected_part(resolved, holders),
    )


def _located(hunk: Hunk, paths: list[str]) -> Hunk:
    """``hunk`` naming ``paths`` (its file, then its ``Move to``) instead of its own."""
    if isinstance(hunk, AddFileHunk):
        return AddFileHunk(paths[0], hunk.contents)
    if isinstance(hunk, DeleteFileHunk):
        return DeleteFileHunk(paths[0])
    return UpdateFileHunk(paths[0], paths[1] if hunk.move_path else None, hunk.chunks)


def survey(hunks: list[Hunk], base: Path, workspace: Path, roots: list[Path] | None) -> Survey:
    """Resolve every path of ``hunks`` against ``base`` and judge it against ``roots`` (the
    writable roots; ``None``: everything is writable). A file named twice is refused: the
    user would be shown one change and two would be written."""
    base = Path(os.path.realpath(base))
    workspace = Path(os.path.realpath(workspace))
    writable = None if roots is None else [Path(os.path.realpath(r)) for r in roots]
    holders = [workspace, *(writable or [])]
    located: list[Hunk] = []
    destinations: list[Destination] = []
    for hunk in hunks:
        paths: list[Path] = []
        for name, follow in _spelled(hunk):
            lexical, resolved = _resolve(base, name, follow)
            paths.append(resolved)
            if paths.index(resolved) < len(paths) - 1:  # a move onto itself
                continue
            if any(d.path == resolved for d in destinations):
                raise PatchError(
                    f"{name} is changed by two sections of the patch; put all the changes to "
                    "one file in one section"
                )
            destinations.append(_judged(resolved, lexical, workspace, writable, holders))
        located.append(_located(hunk, [str(p) for p in paths]))
    return Survey(located, destinations)
