"""Read-only helpers for models trained to use them: ``read_file``, ``list_dir``, ``grep_files``.
They never write and need no approval. ``grep_files`` uses ripgrep when it is installed (fast,
honours .gitignore), else ``git ls-files`` (also honours .gitignore) or a walk, with Python's
regex engine."""

from __future__ import annotations

import asyncio
import re
import shutil
from fnmatch import fnmatch
from pathlib import Path

from pydantic import Field

from codex_lsp.exec.runner import run_command
from codex_lsp.tools.file_search import list_files
from codex_lsp.tools.registry import (
    ToolArgs,
    ToolInvocation,
    ToolInvocationError,
    ToolOutput,
    ToolSession,
    parse_arguments,
)

MAX_LINE_CHARS = 500
SEARCH_TIMEOUT_S = 30.0
_SKIP_DIRS = {".git", "node_modules", "__pycache__", ".venv"}


def _resolve(session: ToolSession, raw: str) -> Path:
    path = Path(raw).expanduser()
    return (path if path.is_absolute() else session.cwd / path).resolve()


class ReadFileArgs(ToolArgs):
    """Arguments of ``read_file``."""

    file_path: str
    offset: int = Field(default=1, ge=1)
    limit: int = Field(default=2000, ge=1, le=10_000)


async def handle_read_file(session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
    """Numbered lines of a slice of a file."""
    args = parse_arguments(ReadFileArgs, invocation)
    path = _resolve(session, args.file_path)
    text = session.files.read(path) if path.is_file() else None
    if text is None:
        raise ToolInvocationError(f"read_file: {path} does not exist or is not a file")
    lines = text.splitlines()
    if args.offset > max(len(lines), 1):
        raise ToolInvocationError(
            f"read_file: offset {args.offset} exceeds the file's {len(lines)} lines"
        )
    chosen = lines[args.offset - 1 : args.offset - 1 + args.limit]
    body = "\n".join(
        f"L{args.offset + i}: {line[:MAX_LINE_CHARS]}" for i, line in enumerate(chosen)
    )
    more = len(lines) - (args.offset - 1 + len(chosen))
    return ToolOutput(
        body
        + (
            f"\n[... {more} more lines; read on with offset {args.offset + len(chosen)}]"
            if more > 0
            else ""
        )
    )


class ListDirArgs(ToolArgs):
    """Arguments of ``list_dir``."""

    dir_path: str
    offset: int = Field(default=1, ge=1)
    limit: int = Field(default=25, ge=1, le=1000)
    depth: int = Field(default=2, ge=1, le=10)


def _walk(root: Path, depth: int) -> list[str]:
    entries: list[str] = []

    def visit(folder: Path, level: int) -> None:
        try:
            children = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError:
            return
        for child in children:
            if child.name in _SKIP_DIRS:
                continue
            is_dir = child.is_dir() and not child.is_symlink()
            entries.append("  " * level + child.name + ("/" if is_dir else ""))
            if is_dir and level + 1 < depth:
                visit(child, level + 1)

    visit(root, 0)
    return entries


async def handle_list_dir(session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
    """A page of the directory tree."""
    args = parse_arguments(ListDirArgs, invocation)
    root = _resolve(session, args.dir_path)
    if not root.is_dir():
        raise ToolInvocationError(f"list_dir: {root} is not a directory")
    entries = await asyncio.to_thread(_walk, root, args.depth)
    page = entries[args.offset - 1 : args.offset - 1 + args.limit]
    text = f"Absolute path: {root}\n" + "\n".join(page)
    if args.offset - 1 + len(page) < len(entries):
        following = args.offset + len(page)
        text += f"\nMore than {args.limit} entries found; continue with offset {following}"
    return ToolOutput(text)


class GrepArgs(ToolArgs):
    """Arguments of ``grep_files``."""

    pattern: str = Field(min_length=1)
    include: str | None = None
    path: str | None = None
    limit: int = Field(default=100, ge=1, le=2000)


def ripgrep_binary() -> str | None:
    """ripgrep, if installed."""
    return shutil.which("rg")


async def _ripgrep(rg: str, args: GrepArgs, root: Path) -> list[str] | None:
    argv = [
        rg,
        "--files-with-matches",
        "--sortr=modified",
        "--regexp",
        args.pattern,
        "--no-messages",
    ]
    if args.include:
        argv += ["--glob", args.include]
    result = await run_command([*argv, "--", str(root)], root, timeout_s=SEARCH_TIMEOUT_S)
    if result.timed_out:
        raise ToolInvocationError(
            f"grep_files: the search took longer than {SEARCH_TIMEOUT_S:.0f}s; narrow it"
        )
    if result.exit_code not in (0, 1):
        return None
    return result.stdout.splitlines()


def _python_grep(args: GrepArgs, root: Path) -> list[str]:
    try:
        regex = re.compile(args.pattern)
    except re.error as exc:
        raise ToolInvocationError(f"grep_files: invalid regex {args.pattern!r}: {exc}") from exc
    matches = []
    for path in (root / name for name in list_files(root)):
        if args.include and not fnmatch(path.name, args.include):
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        if regex.search(data.decode("utf-8", "replace")):
            matches.append(path)
    matches.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [str(p) for p in matches]


async def handle_grep_files(session: ToolSession, invocation: ToolInvocation) -> ToolOutput:
    """Paths of matching files, newest first."""
    args = parse_arguments(GrepArgs, invocation)
    root = _resolve(session, args.path or ".")
    if not root.is_dir():
        raise ToolInvocationError(f"grep_files: {root} is not a directory")
    rg = ripgrep_binary()
    found = await _ripgrep(rg, args, root) if rg else None
    if found is None:
        found = await asyncio.to_thread(_python_grep, args, root)
    if not found:
        return ToolOutput("No matches found.", success=False)
    return ToolOutput("\n".join(found[: args.limit]))
