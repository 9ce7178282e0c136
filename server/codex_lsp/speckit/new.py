"""``/speckit.new <description>``: a new SPEC without any model call. The next free number (only
folders count), the slug, the packet's files from the templates with their placeholders filled,
the ``SPEC.md`` tracker row (fork layout) or ``.specify/feature.json`` (GitHub's). A description
without letters or digits is refused before anything is created; two servers creating at once
do not end up with one number twice (the project's lock)."""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit import tracker
from codex_lsp.speckit.files import exclusive_lock, read_text, write_text
from codex_lsp.speckit.ids import feature_title
from codex_lsp.speckit.layout import NewFolder
from codex_lsp.speckit.layout_github import GithubLayout
from codex_lsp.speckit.packet import LayoutKind, SpecPacket
from codex_lsp.speckit.result import CommandResult
from codex_lsp.speckit.templates import fill, find_template
from codex_lsp.speckit.workspace import Workspace
from codex_lsp.untrusted_git import run_git

CREATE_ATTEMPTS = 8
GIT_TIMEOUT_S = 15.0


def _owner() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _project_lock(workspace: Workspace) -> Path:
    """The lock serialising SPEC numbering and tracker updates of one project (kept in the
    home, so the repository gets no lock files)."""
    digest = hashlib.sha1(str(workspace.root).encode(), usedforsecurity=False).hexdigest()[:16]
    return workspace.home / "locks" / f"speckit-{digest}.lock"


def _claim_folder(workspace: Workspace, description: str) -> NewFolder:
    """Create the next SPEC folder. Numbering and creation happen under the project's lock, so
    two codex-lsp processes creating at once take two numbers; a folder made meanwhile by
    anything else only moves the number on."""
    layout = workspace.layout
    with exclusive_lock(_project_lock(workspace)):
        for _ in range(CREATE_ATTEMPTS):
            planned = layout.next_folder(description)
            try:
                planned.folder.parent.mkdir(parents=True, exist_ok=True)
                planned.folder.mkdir()
            except FileExistsError:
                continue
            except OSError as exc:
                raise SpeckitError(
                    f"cannot create {planned.folder}: {exc.strerror or exc}"
                ) from exc
            return planned
    raise SpeckitError(
        f"could not claim a free SPEC number in {workspace.relative(layout.specs_dir)} after "
        f"{CREATE_ATTEMPTS} tries; try again"
    )


def _branch(workspace: Workspace, name: str) -> tuple[str | None, str | None]:
    """``git checkout -b name``: the branch, or the reason it was not created."""
    try:
        done = run_git(workspace.root, "checkout", "-b", name, timeout_s=GIT_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"git could not run: {exc}"
    if done.returncode != 0:
        said = (
            done.stderr.decode(errors="replace").strip()
            or done.stdout.decode(errors="replace").strip()
        )
        return None, said or f"exit {done.returncode}"
    return name, None


def create_spec(
    workspace: Workspace, description: str, now: datetime | None = None
) -> CommandResult:
    """Create the SPEC (blocking: run it in a thread)."""
    now = now or datetime.now(UTC)
    layout = workspace.layout
    title = feature_title(description)
    layout.next_folder(description)  # the description's checks, before anything is created
    if layout.tracker is not None:
        read_text(layout.tracker, workspace.root)  # an unreadable tracker fails before creating
    planned = _claim_folder(workspace, description)
    warnings: list[str] = []
    branch: str | None = None
    if workspace.config.speckit.create_branch:
        branch, problem = _branch(workspace, planned.folder.name)
        if problem:
            warnings.append(f"no git branch was created: {problem}")
    values = {
        "SPEC_ID": planned.id,
        "FEATURE_NAME": title,
        "DESCRIPTION": " ".join(description.split()),
        "DATE": now.strftime("%Y-%m-%d"),
        "NUMBER": f"{planned.number:03d}",
        "BRANCH": branch or (planned.folder.name if layout.kind is LayoutKind.GITHUB else "(none)"),
        "OWNER": _owner(),
        "PROJECT_NAME": workspace.root.name,
        "SPEC_DIR": workspace.relative(planned.folder),
    }
    packet = SpecPacket(planned.id, planned.number, planned.folder, layout.kind)
    try:
        written = _write_files(workspace, packet, values)
    except SpeckitError:
        shutil.rmtree(planned.folder, ignore_errors=True)
        raise
    return _result(workspace, packet, title, written, branch, warnings)


def _write_files(workspace: Workspace, packet: SpecPacket, values: dict[str, str]) -> list[Path]:
    """The packet's files, then the tracker row or the current-feature file."""
    layout = workspace.layout
    names = ("PRD", "spec") if layout.kind is LayoutKind.FORK else ("spec",)
    written: list[Path] = []
    for name in names:
        path = packet.folder / f"{name}.md"
        write_text(path, workspace.root, fill(find_template(name, workspace).text, values))
        written.append(path)
    if layout.tracker is not None:
        with exclusive_lock(_project_lock(workspace)):
            current = read_text(layout.tracker, workspace.root)
            row = {
                "Task ID": packet.id,
                "Title": values["FEATURE_NAME"],
                "Status": "Backlog",
                "PRD": workspace.relative(packet.folder / "PRD.md"),
                "Branch": values["BRANCH"] if values["BRANCH"] != "(none)" else "",
                "Notes": f"Created {values['DATE']} via /speckit.new (native, $0)",
            }
            text = tracker.insert_row(current or tracker.NEW_FILE, row)
            write_text(layout.tracker, workspace.root, text)
            written.append(layout.tracker)
    if isinstance(layout, GithubLayout):
        written.append(layout.write_current(packet))
    return written


def _result(
    workspace: Workspace,
    packet: SpecPacket,
    title: str,
    written: list[Path],
    branch: str | None,
    warnings: list[str],
) -> CommandResult:
    folder = workspace.relative(packet.folder) + "/"
    in_folder = [p.name for p in written if p.parent == packet.folder]
    others = [workspace.relative(p) for p in written if p.parent != packet.folder]
    steps = " · ".join(f"/speckit.{c} {packet.id}" for c in ("clarify", "analyze", "plan", "auto"))
    lines = [
        f"✅ Created {packet.id}: {title}",
        "",
        f"- Directory: {folder}",
        f"- Files created: {', '.join(in_folder)}",
    ]
    if others:
        lines.append(f"- Updated: {', '.join(others)}")
    if branch:
        lines.append(f"- Branch: {branch}")
    lines += [f"- ⚠ {w}" for w in warnings]
    lines += ["", f"Next: {steps}"]
    data = {
        "command": "speckit.new",
        "specId": packet.id,
        "number": packet.number,
        "title": title,
        "layout": packet.layout.value,
        "folder": folder,
        "files": [workspace.relative(p) for p in written],
        "branch": branch,
        "warnings": warnings,
    }
    return CommandResult(True, "\n".join(lines), data, tuple(written))


async def speckit_new(
    workspace: Workspace, description: str, now: datetime | None = None
) -> CommandResult:
    """``/speckit.new``, off the event loop."""
    return await asyncio.to_thread(create_spec, workspace, description, now)
