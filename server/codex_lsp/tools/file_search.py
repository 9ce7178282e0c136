"""Fuzzy file search for @-mentions: ranked paths with the indices of the matched characters.

Listing honours .gitignore (``rg --files``, else ``git ls-files``, else a walk that skips hidden
and dependency folders) and is cached per root for a few seconds. The subsequence test is one
compiled regex with possessive quantifiers (leftmost-greedy, never backtracks) applied in C over
the cached lowercase paths, shortest first, stopping at ``MAX_SCORED`` hits (which are scored in
Python); a query that extends the previous one (typing) filters only the previous hits when that
list was complete. Runs on a worker
thread; ``cancelled`` is checked between phases.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from codex_lsp.untrusted_git import run_git

LIST_TIMEOUT_S = 30.0
CACHE_TTL_S = 5.0
SKIP_DIRS = {".git", "node_modules", "__pycache__", ".venv", "target", "dist", "build"}
"""Folders a listing skips when no ignore file says otherwise (dependencies, build output)."""


@dataclass(frozen=True)
class Match:
    """One ranked path."""

    path: str
    root: str
    score: float
    indices: list[int]


MAX_SCORED = 1000


@dataclass
class _Listing:
    created: float
    paths: list[str]
    lower: list[str]
    by_length: list[int]
    last_query: str = ""
    last_hits: list[int] | None = None


class FileIndex:
    """File listings per root, cached for ``CACHE_TTL_S``, with the last query's hits."""

    def __init__(self) -> None:
        self._cache: dict[Path, _Listing] = {}
        self._lock = threading.Lock()

    def listing(self, root: Path) -> _Listing:
        """The cached listing of ``root`` (relative paths, sorted), refreshed when stale."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(root)
            if cached and now - cached.created < CACHE_TTL_S:
                return cached
        paths = sorted(list_files(root))
        by_length = sorted(range(len(paths)), key=lambda i: len(paths[i]))
        listing = _Listing(now, paths, [p.lower() for p in paths], by_length)
        with self._lock:
            self._cache[root] = listing
        return listing


def list_files(root: Path) -> list[str]:
    """Files below ``root`` (relative paths), honouring .gitignore where a tool can."""
    rg = shutil.which("rg")
    if rg:
        done = subprocess.run(
            [rg, "--files", "--hidden", "--glob", "!.git"],
            cwd=root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=LIST_TIMEOUT_S,
        )
        if done.returncode in (0, 1):
            return done.stdout.decode("utf-8", "replace").splitlines()
    git = shutil.which("git")
    if git:
        listing = ("ls-files", "--cached", "--others", "--exclude-standard", "-z")
        done = run_git(root, *listing, git=git, timeout_s=LIST_TIMEOUT_S)
        if done.returncode == 0:
            return [p for p in done.stdout.decode("utf-8", "replace").split("\0") if p]
    files: list[str] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        rel = os.path.relpath(folder, root)
        files.extend(name if rel == "." else f"{rel}/{name}" for name in names)
    return files


def _matcher(query: str) -> re.Pattern[str]:
    """Matches a path containing ``query`` as a subsequence (leftmost-greedy, no backtracking)."""
    return re.compile("".join(f"[^{re.escape(c)}]*+{re.escape(c)}" for c in query.lower()))


def _positions(text: str, query: str, start: int) -> list[int] | None:
    """Leftmost subsequence positions of ``query`` in ``text[start:]`` (case-insensitive)."""
    out, index = [], start
    lower = text.lower()
    for char in query.lower():
        index = lower.find(char, index)
        if index < 0:
            return None
        out.append(index)
        index += 1
    return out


def _score(path: str, query: str) -> tuple[float, list[int]] | None:
    base = path.rfind("/") + 1
    in_name = _positions(path, query, base)
    indices = in_name if in_name is not None else _positions(path, query, 0)
    if indices is None:
        return None
    score = 100.0 - 0.5 * len(path)
    if in_name is not None:
        score += 30
    for previous, current in pairwise(indices):
        score += 8 if current == previous + 1 else -min(current - previous, 10) * 0.5
    for i in indices:
        if i == 0 or path[i - 1] in "/_-. ":
            score += 5
    if path[base:].lower().startswith(query.lower()):
        score += 20
    return score, indices


def search(
    query: str,
    roots: list[Path],
    limit: int,
    index: FileIndex,
    cancelled: threading.Event | None = None,
) -> list[Match]:
    """The best ``limit`` matches of ``query`` below ``roots``."""
    query = query.strip()
    if not query:
        return []
    match = _matcher(query).match
    found: list[Match] = []
    for root in roots:
        listing = index.listing(root)
        narrowing = listing.last_hits is not None and query.lower().startswith(listing.last_query)
        candidates = (
            listing.last_hits if narrowing and listing.last_hits is not None else listing.by_length
        )
        lower = listing.lower
        hits: list[int] = []
        for i in candidates:  # shortest paths first: stop once there are enough to rank
            if match(lower[i]):
                hits.append(i)
                if len(hits) >= MAX_SCORED:
                    break
        complete = len(hits) < MAX_SCORED
        listing.last_query, listing.last_hits = query.lower(), hits if complete else None
        if cancelled is not None and cancelled.is_set():
            return []
        for i in hits:
            scored = _score(listing.paths[i], query)
            if scored is not None:
                found.append(Match(listing.paths[i], str(root), scored[0], scored[1]))
    found.sort(key=lambda m: (-m.score, m.path))
    return found[:limit]
