"""Which files a shell command changed in the workspace, and what they held before, without a
full scan per command: inotify watches every folder that is not ignored (git's own rules), and
after the command only the entries it touched are stat'ed and, when they changed, read. What
each file held before comes from what was read of it last (after the previous command, or when
the watch started) or, for a clean tracked file, from git's index. Everything is bounded: file
size, the content kept, the files taken per command; a symlink, FIFO or device is never read.

The baseline (folder watches, the file list and its stat) is built once per workspace in a
worker thread, when its first command starts (not beside a running command: the fork server
that starts commands must not be forked while a worker thread holds a lock); a lost event queue
(overflow) or a machine without inotify watches falls back to a full stat scan for that
command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from codex_lsp.background import create_task
from codex_lsp.core.bounded_read import MAX_FILE_BYTES, UNRECORDED, Content, read_bounded
from codex_lsp.core.git_files import GitView
from codex_lsp.core.inotify import (
    IN_CREATE,
    IN_DELETE,
    IN_DELETE_SELF,
    IN_IGNORED,
    IN_ISDIR,
    IN_MOVE_SELF,
    IN_MOVED_FROM,
    IN_MOVED_TO,
    IN_Q_OVERFLOW,
    Inotify,
    InotifyEvent,
)

log = logging.getLogger(__name__)

CONTENT_BUDGET_BYTES = 64 * 1024 * 1024
"""The most file content one workspace watch keeps in memory."""
MAX_BASELINE_FILES = 500_000
"""A bigger workspace is not watched (commands' changes there are not captured)."""
MAX_FILES_PER_COMMAND = 2_000
"""Files whose content is taken per command; more changed files are named, not recorded."""
_Stat = tuple[int, int, int, int]
_T = TypeVar("_T")


def _stat_of(path: str) -> _Stat | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return (info.st_mode, info.st_size, info.st_mtime_ns, info.st_ino)


@dataclass
class Window:
    """The files touched while one command ran (commands may overlap)."""

    touched: set[str] = field(default_factory=set)
    new_dirs: set[str] = field(default_factory=set)
    overflow: bool = False


class WorkspaceWatch:
    """The change capture of one workspace folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._lock = threading.Lock()
        self._inotify: Inotify | None = None
        self._dirs: dict[int, str] = {}
        self._files: dict[str, _Stat] = {}
        self._content: dict[str, Content] = {}
        self._content_bytes = 0
        self._clean: set[str] = set()
        self._ignored: set[str] = set()
        self._git: GitView | None = None
        self._open: list[Window] = []
        self._outside = Window()
        self._ready: asyncio.Task[None] | None = None
        self._disabled = False

    # ------------------------------------------------------------------ the command window
    async def begin(self) -> Window:
        """Before a command: the baseline is up to date (what changed since the last command,
        by the user or apply_patch, is read now) and a window collects what the command does."""
        await self.prepare()
        return await asyncio.to_thread(self._open_window)

    async def prepare(self) -> None:
        """Build the baseline (once; later calls wait for the first)."""
        if self._ready is None:
            self._ready = create_task(asyncio.to_thread(self._build), name="workspace-baseline")
        await asyncio.shield(self._ready)

    async def end(self, window: Window) -> dict[Path, Content]:
        """After the command: each file it changed and what it held before (``None``: it did
        not exist; :data:`UNRECORDED`: not kept)."""
        return await asyncio.to_thread(self._close_window, window)

    def close(self) -> None:
        """Stop watching, without waiting: a worker thread that holds the watch (building the
        baseline, settling a command) closes it when it is done."""
        self._disabled = True
        if self._lock.acquire(blocking=False):
            try:
                self._close_inotify()
            finally:
                self._lock.release()

    def _close_inotify(self) -> None:
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None

    def _open_window(self) -> Window:
        with self._lock:
            if not self._disabled:
                self._drain()
            if not self._open and not self._disabled:
                outside, self._outside = self._outside, Window()
                self._settle(outside)
            window = Window()
            self._open.append(window)
            return window

    def _close_window(self, window: Window) -> dict[Path, Content]:
        with self._lock:
            if not self._disabled:
                self._drain()
            self._open.remove(window)
            if self._disabled:
                self._close_inotify()
                return {}
            return {self.root / rel: before for rel, before in self._settle(window).items()}

    # ------------------------------------------------------------------ the baseline
    def _build(self) -> None:
        with self._lock:
            if self._disabled:  # closed before the worker thread got here
                return
            self._git = GitView.open(self.root)
            try:
                self._inotify = Inotify()
            except OSError as exc:
                log.warning("no inotify for %s (%s): a full scan per command", self.root, exc)
            ignored = self._git_call(lambda g: g.ignored_dirs(), set[str]())
            for rel in self._walk_dirs("", ignored):
                self._watch(rel)
            tracked = self._git_call(lambda g: g.tracked(), list[str]())
            listed = tracked + self._git_call(lambda g: g.untracked(), list[str]())
            files = listed if self._git is not None else list(self._walk_files("", ignored))
            if len(files) > MAX_BASELINE_FILES:
                log.warning("%s has over %d files: not watched", self.root, MAX_BASELINE_FILES)
                self._close_inotify()
                self._disabled = True
                return
            for rel in files:
                found = _stat_of(os.path.join(self.root, rel))
                if found is not None:
                    self._files[rel] = found
            self._clean = set(tracked) - self._git_call(lambda g: g.dirty(), set[str]())
            for rel in files:
                if rel not in self._clean and self._content_bytes < CONTENT_BUDGET_BYTES:
                    self._keep(rel, read_bounded(self.root / rel))
            if self._disabled:  # closed meanwhile
                self._close_inotify()

    def _git_call(self, call: Callable[[GitView], _T], default: _T) -> _T:
        if self._git is None:
            return default
        try:
            return call(self._git)
        except (OSError, ValueError) as exc:
            log.warning("git in %s: %s", self.root, exc)
            return default

    def _walk_dirs(self, top: str, ignored: set[str]) -> Iterator[str]:
        """``top`` and the folders under it, never through a symlink, never ``.git`` or an
        ignored folder."""
        stack = [top]
        while stack:
            rel = stack.pop()
            yield rel
            try:
                with os.scandir(os.path.join(self.root, rel)) as entries:
                    for entry in entries:
                        child = f"{rel}/{entry.name}" if rel else entry.name
                        if (
                            entry.name != ".git"
                            and child not in ignored
                            and entry.is_dir(follow_symlinks=False)
                        ):
                            stack.append(child)
            except OSError:
                continue

    def _walk_files(self, top: str, ignored: set[str]) -> Iterator[str]:
        for rel in self._walk_dirs(top, ignored):
            with contextlib.suppress(OSError), os.scandir(os.path.join(self.root, rel)) as it:
                for entry in it:
                    if not entry.is_dir(follow_symlinks=False):
                        yield f"{rel}/{entry.name}" if rel else entry.name

    def _watch(self, rel: str) -> None:
        if self._inotify is None:
            return
        try:
            self._dirs[self._inotify.add_watch(os.path.join(self.root, rel))] = rel
        except OSError as exc:
            if exc.errno == 28:  # ENOSPC: out of inotify watches
                log.warning("out of inotify watches in %s: a full scan per command", self.root)
                self._inotify.close()
                self._inotify = None

    def _keep(self, rel: str, content: Content) -> None:
        """Remember ``rel``'s content (within the budget; otherwise forget it)."""
        old = self._content.pop(rel, None)
        if isinstance(old, str):
            self._content_bytes -= len(old)
        if isinstance(content, str) and self._content_bytes + len(content) > CONTENT_BUDGET_BYTES:
            return
        self._content[rel] = content
        if isinstance(content, str):
            self._content_bytes += len(content)

    # ------------------------------------------------------------------ events
    def _drain(self) -> None:
        """Hand the queued events to the open windows (or to the changes made outside any)."""
        targets = self._open or [self._outside]
        if self._inotify is None:
            for window in targets:
                window.overflow = True
            return
        for event in self._inotify.read():
            self._route(event, targets)

    def _route(self, event: InotifyEvent, targets: list[Window]) -> None:
        if event.mask & IN_Q_OVERFLOW:
            for window in targets:
                window.overflow = True
            return
        base = self._dirs.get(event.wd)
        if base is None:
            return
        if event.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) and not event.name:
            self._dirs.pop(event.wd, None)
            return
        if event.name == ".git":
            return
        rel = f"{base}/{event.name}" if base else event.name
        for window in targets:
            if event.mask & IN_ISDIR:
                if event.mask & (IN_CREATE | IN_MOVED_TO):
                    window.new_dirs.add(rel)
                if event.mask & (IN_DELETE | IN_MOVED_FROM):
                    window.touched.update(self._under(rel))
            else:
                window.touched.add(rel)

    def _under(self, folder: str) -> list[str]:
        prefix = folder + "/"
        return [rel for rel in self._files if rel.startswith(prefix)]

    # ------------------------------------------------------------------ settling a window
    def _settle(self, window: Window) -> dict[str, Content]:
        """Bring the baseline up to date with what ``window`` saw; what changed, with what it
        held before."""
        touched = set(window.touched)
        if window.new_dirs:
            asked = [f"{top}/" for top in window.new_dirs]
            said = self._git_call(lambda g: g.ignored(asked), set[str]())
            ignored = {p.rstrip("/") for p in said}
            for top in window.new_dirs - ignored:
                for rel in self._walk_dirs(top, set()):
                    self._watch(rel)
                touched.update(self._walk_files(top, set()))
        if window.overflow:
            touched |= self._full_scan()
        changed: dict[str, _Stat | None] = {}
        for rel in touched:
            now = _stat_of(os.path.join(self.root, rel))
            if now != self._files.get(rel):
                changed[rel] = now
        new = [rel for rel, now in changed.items() if rel not in self._files and now is not None]
        for rel in self._ignored_new(new) if new else set[str]():
            del changed[rel]
        befores = self._befores(sorted(changed))
        for rel, now in changed.items():
            if now is None:
                self._files.pop(rel, None)
                self._keep(rel, None)
            else:
                self._files[rel] = now
                self._keep(rel, read_bounded(self.root / rel))
            self._clean.discard(rel)
        return befores

    def _ignored_new(self, new: list[str]) -> set[str]:
        unknown = [rel for rel in new if rel not in self._ignored]
        if unknown:
            self._ignored |= self._git_call(lambda g: g.ignored(unknown), set[str]())
        return {rel for rel in new if rel in self._ignored}

    def _befores(self, changed: list[str]) -> dict[str, Content]:
        befores: dict[str, Content] = {}
        from_index: list[str] = []
        for index, rel in enumerate(changed):
            if rel not in self._files:
                befores[rel] = None
            elif index >= MAX_FILES_PER_COMMAND:
                befores[rel] = UNRECORDED
            elif rel in self._content:
                befores[rel] = self._content[rel]
            elif rel in self._clean:
                from_index.append(rel)
            else:
                befores[rel] = UNRECORDED
        if from_index:
            budget = CONTENT_BUDGET_BYTES - self._content_bytes
            unknown: dict[str, Content] = dict.fromkeys(from_index, UNRECORDED)
            texts = self._git_call(
                lambda g: g.index_texts(from_index, MAX_FILE_BYTES, budget), unknown
            )
            befores.update(texts)
        return befores

    def _full_scan(self) -> set[str]:
        """Every file that may have changed, by a full listing and stat (the events were lost)."""
        tracked = self._git_call(lambda g: g.tracked(), list[str]())
        listed = set(tracked + self._git_call(lambda g: g.untracked(), list[str]()))
        if self._git is None:
            listed = set(self._walk_files("", set()))
        return {
            rel
            for rel in listed | set(self._files)
            if _stat_of(os.path.join(self.root, rel)) != self._files.get(rel)
        }


_SHARED: dict[Path, tuple[WorkspaceWatch, int]] = {}


def acquire(root: Path) -> WorkspaceWatch:
    """The watch of ``root``, shared by every conversation of this process working there."""
    key = root.resolve()
    watch, users = _SHARED.get(key, (None, 0))
    if watch is None:
        watch = WorkspaceWatch(key)
    _SHARED[key] = (watch, users + 1)
    return watch


def release(watch: WorkspaceWatch) -> None:
    """One user less; the last one stops the watch."""
    shared, users = _SHARED.get(watch.root, (None, 0))
    if shared is not watch:
        return
    if users <= 1:
        del _SHARED[watch.root]
        watch.close()
    else:
        _SHARED[watch.root] = (watch, users - 1)
