"""The instruction files put in the prompt, found and joined as Codex 0.169 does.

The user's global file is the first non-empty ``AGENTS.override.md`` or ``AGENTS.md`` of
``$CODEX_LSP_HOME``, else of Codex's home (``$CODEX_HOME``, else ``~/.codex``). The project's are
one file per folder from the repository root (the nearest ``.git``) down to the cwd: the first
of ``AGENTS.override.md``, ``AGENTS.md`` and ``project_doc_fallback_filenames`` that is there.
``project_doc_max_bytes`` caps the project files together (the last one read is cut there);
empty files are skipped. The global text comes first, then ``--- project-doc ---``, then the
project files joined by blank lines.

These files are repository content: only regular files within the repository are read (a FIFO,
a device or a link out of the repository named ``AGENTS.md`` is passed over, never opened), each
a bounded number of bytes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from codex_lsp.local_files import read_regular

AGENTS_FILE = "AGENTS.md"
OVERRIDE_FILE = "AGENTS.override.md"
PROJECT_DOC_SEPARATOR = "\n\n--- project-doc ---\n\n"
GLOBAL_MAX_BYTES = 256 * 1024
"""The user's own file is not under ``project_doc_max_bytes`` (as in Codex), but still bounded."""

Scope = Literal["global", "project"]


@dataclass(frozen=True)
class InstructionFile:
    """One file in effect: where it is, whose it is, the text used, and whether it was cut."""

    path: Path
    scope: Scope
    text: str
    truncated: bool = False


def codex_home() -> Path:
    """Codex's own home: ``$CODEX_HOME``, else ``~/.codex``."""
    env = os.environ.get("CODEX_HOME")
    return Path(env).expanduser() if env else Path.home() / ".codex"


def project_root(cwd: Path) -> Path:
    """The nearest folder at or above ``cwd`` holding ``.git``, else ``cwd``."""
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists():
            return folder
    return cwd


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def inside(path: Path, root: Path) -> bool:
    """True when ``path``, links resolved, is within ``root``: a repository's link to
    ``~/.aws/credentials`` named AGENTS.md must not send that file to the model."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def candidate_names(fallbacks: Sequence[str]) -> list[str]:
    """The names looked for in each folder, in order: the override, AGENTS.md, the fallbacks."""
    names = [OVERRIDE_FILE, AGENTS_FILE]
    names += [n for n in dict.fromkeys(f.strip() for f in fallbacks) if n and n not in names]
    return names


def project_doc_paths(cwd: Path, fallbacks: Sequence[str] = ()) -> list[Path]:
    """The project's instruction file of each folder from the repository root down to ``cwd``
    (at most one per folder), outermost first. A link leading out of the repository is
    passed over (Codex follows it)."""
    root = project_root(cwd)
    parts = cwd.relative_to(root).parts
    names = candidate_names(fallbacks)
    found: list[Path] = []
    for depth in range(len(parts) + 1):
        folder = root.joinpath(*parts[:depth])
        path = next(
            (folder / n for n in names if _is_regular(folder / n) and inside(folder / n, root)),
            None,
        )
        if path is not None:
            found.append(path)
    return found


def _read(path: Path, limit: int) -> tuple[bytes, bool] | None:
    """The bytes of ``path`` cut at ``limit``, and whether it was cut; None if unreadable."""
    try:
        data = read_regular(path, limit)
    except (OSError, ValueError):
        return None
    return data[:limit], len(data) > limit


def global_doc(home: Path | None) -> InstructionFile | None:
    """The user's global instructions: the first non-empty file of the candidates."""
    homes = [h for h in (home, codex_home()) if h is not None]
    for path in (h / name for h in dict.fromkeys(homes) for name in (OVERRIDE_FILE, AGENTS_FILE)):
        read = _read(path, GLOBAL_MAX_BYTES)
        text = read[0].decode("utf-8", "replace").strip() if read is not None else ""
        if read is not None and text:
            return InstructionFile(path, "global", text, read[1])
    return None


def instruction_files(
    cwd: Path, max_bytes: int, home: Path | None, fallbacks: Sequence[str] = ()
) -> list[InstructionFile]:
    """Every instruction file in effect for ``cwd``, in prompt order: the global one, then the
    project's within the ``max_bytes`` budget."""
    files = [doc] if (doc := global_doc(home)) is not None else []
    budget = max_bytes
    for path in project_doc_paths(cwd, fallbacks) if max_bytes > 0 else []:
        if budget <= 0:
            break
        read = _read(path, budget)
        if read is None or not read[0].strip():
            continue
        data, truncated = read
        budget -= len(data)
        files.append(InstructionFile(path, "project", data.decode("utf-8", "replace"), truncated))
    return files


def instructions_text(files: Sequence[InstructionFile]) -> str | None:
    """The files joined as Codex joins them; None when there is nothing."""
    user = "".join(f.text for f in files if f.scope == "global")
    project = "\n\n".join(f.text for f in files if f.scope == "project")
    if user and project:
        return f"{user}{PROJECT_DOC_SEPARATOR}{project}"
    return user or project or None
