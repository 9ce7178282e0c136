"""Skills as Codex, Cline and Continue share them: a folder with a ``SKILL.md`` whose front
matter gives a ``name`` and a ``description``.

They are looked for in the project (``.agents/skills/`` and ``.codex/skills/`` of each folder from
the cwd up to the repository root) and then the user's (``$CODEX_LSP_HOME/skills/``, Codex's
``~/.codex/skills/``, ``~/.agents/skills/``, as Codex 0.169 reads them); a name found twice is the
first one's. Only the names, descriptions and
paths go in the prompt: the model reads a body when it decides to use the skill. A skill the
user invokes (``$name`` in the text, a ``skill`` input item) has its SKILL.md sent with the
message, in the block Codex sends.

A project's skills are repository content: only regular files are read, each bounded; folders
are walked to a fixed depth and count without following links, and a SKILL.md that links out of
the repository is not read; a broken SKILL.md is reported and passed over, never fatal.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from codex_lsp.config.model import Config
from codex_lsp.core.instructions import codex_home, inside, project_root
from codex_lsp.local_files import read_regular
from codex_lsp.protocol.history import InputText, UserMessage
from codex_lsp.protocol.items import SkillInput, TextInput, UserInputItem
from codex_lsp.protocol.skills import ListSkillsResult, SkillEntry

SKILL_FILE = "SKILL.md"
SKILL_MAX_BYTES = 256 * 1024
NAME_MAX_CHARS = 64
DESCRIPTION_MAX_CHARS = 1024
MAX_DEPTH = 3
MAX_SKILLS = 200
MAX_FOLDERS = 2000
NAME = re.compile(r"^[A-Za-z0-9][\w.:-]*$")
MENTION = re.compile(r"(?<![\w$])\$([A-Za-z0-9][\w.:-]*)")

Scope = Literal["project", "user"]


@dataclass(frozen=True)
class Skill:
    """One skill found: its front matter, its SKILL.md, whose it is, and whether it is on."""

    name: str
    description: str
    path: Path
    scope: Scope
    enabled: bool = True


@dataclass
class Found:
    """The skills found (first of each name) and what was passed over, with why."""

    skills: list[Skill] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def enabled(self) -> list[Skill]:
        """The skills the model is told about."""
        return [s for s in self.skills if s.enabled]

    def named(self, name: str) -> Skill | None:
        """The skill called ``name``, enabled or not."""
        return next((s for s in self.skills if s.name == name), None)


def skill_roots(cwd: Path, home: Path | None) -> list[tuple[Path, Scope]]:
    """Where skills are looked for, in precedence order."""
    root = project_root(cwd)
    folders = [cwd, *(p for p in cwd.parents if p.is_relative_to(root))]
    roots: list[tuple[Path, Scope]] = [
        (folder / sub / "skills", "project") for folder in folders for sub in (".agents", ".codex")
    ]
    users = [h / "skills" for h in (home, codex_home()) if h is not None]
    users.append(Path.home() / ".agents" / "skills")
    roots += [(user, "user") for user in dict.fromkeys(users)]
    return roots


def _skill_files(root: Path) -> Iterator[Path]:
    """``SKILL.md`` files under ``root`` (``root/<name>/SKILL.md``, down to ``MAX_DEPTH``
    folders, ``MAX_FOLDERS`` in all), sorted, without following links or entering hidden
    folders."""
    queue = [(root, 0)]
    visited = 0
    while queue and visited < MAX_FOLDERS:
        folder, depth = queue.pop(0)
        visited += 1
        try:
            children = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for child in children:
            if child.name.startswith(".") or not child.is_dir(follow_symlinks=False):
                continue
            path = Path(child.path)
            if (path / SKILL_FILE).exists():
                yield path / SKILL_FILE
            elif depth + 1 < MAX_DEPTH:
                queue.append((path, depth + 1))


def front_matter(text: str) -> dict[str, str]:
    """The ``key: value`` lines between the opening and closing ``---`` lines (quotes taken
    off); empty when the text does not open with front matter."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    values: dict[str, str] = {}
    for line in lines[1:]:
        if line.strip() == "---":
            return values
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t")):
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[key.strip()] = value
    return {}


def read_skill(path: Path, scope: Scope, disabled: Sequence[str]) -> Skill:
    """The skill whose SKILL.md is ``path``; :class:`ValueError` saying what is wrong."""
    try:
        data = read_regular(path, SKILL_MAX_BYTES)
    except OSError as exc:
        raise ValueError(f"cannot be read: {exc.strerror or exc}") from exc
    meta = front_matter(data[:SKILL_MAX_BYTES].decode("utf-8", "replace"))
    name, description = meta.get("name", ""), " ".join(meta.get("description", "").split())
    if not name or not description:
        raise ValueError("its front matter (between --- lines) needs a name and a description")
    if len(name) > NAME_MAX_CHARS or not NAME.match(name):
        raise ValueError(
            f"the name {name[:NAME_MAX_CHARS]!r} is not a skill name (letters, digits, '_', "
            f"'-', '.', ':', at most {NAME_MAX_CHARS} characters)"
        )
    if len(description) > DESCRIPTION_MAX_CHARS:
        raise ValueError(f"the description is longer than {DESCRIPTION_MAX_CHARS} characters")
    return Skill(name, description, path, scope, name not in disabled)


def find_skills(cwd: Path, home: Path | None, config: Config) -> Found:
    """Every skill for a conversation in ``cwd``. It reads files: run it on a worker thread."""
    found = Found()
    repository = project_root(cwd)
    for root, scope in skill_roots(cwd, home):
        if not _is_dir(root):
            continue
        for path in _skill_files(root):
            if len(found.skills) + len(found.errors) >= MAX_SKILLS:
                found.errors.append(f"more than {MAX_SKILLS} skills: the rest are passed over")
                return found
            if scope == "project" and not inside(path, repository):
                found.errors.append(f"{path}: it links out of the repository")
                continue
            try:
                skill = read_skill(path, scope, config.skills.disabled)
            except ValueError as exc:
                found.errors.append(f"{path}: {exc}")
                continue
            if found.named(skill.name) is None:
                found.skills.append(skill)
    return found


def list_skills(cwd: Path, home: Path | None, config: Config) -> ListSkillsResult:
    """``codex/listSkills``: what :func:`find_skills` finds, on the wire. It reads files."""
    found = find_skills(cwd, home, config)
    entries = [
        SkillEntry(
            name=s.name,
            description=s.description,
            path=str(s.path),
            scope=s.scope,
            enabled=s.enabled,
        )
        for s in found.skills
    ]
    return ListSkillsResult(skills=entries, errors=found.errors)


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def skills_prompt(skills: Sequence[Skill]) -> str | None:
    """The block that tells the model which skills there are; None when there are none."""
    if not skills:
        return None
    listed = "\n".join(f"- {s.name}: {s.description} (file: {s.path})" for s in skills)
    return (
        "<skills_instructions>\n## Skills\n"
        "A skill is a set of local instructions kept in a `SKILL.md` file. These skills can be "
        "used; each entry gives a skill's name, its description and the path of its SKILL.md.\n"
        f"### Available skills\n{listed}\n"
        "### How to use skills\n"
        "- Use a skill when the user names it (`$name` or in plain words) or when the task "
        "clearly matches its description: read its SKILL.md first (with your file-reading "
        "tools) and follow it, opening the other files it points to only as you need them.\n"
        "- Do not read skills the task does not need; a skill named with its SKILL.md already "
        "in the conversation need not be read again.\n"
        "</skills_instructions>"
    )


def invoked_names(texts: Sequence[str]) -> list[str]:
    """The ``$name`` mentions in ``texts``, first occurrence order, without repeats."""
    names = (m.group(1).rstrip(".:") for t in texts for m in MENTION.finditer(t))
    return list(dict.fromkeys(names))


def skill_block(skill: Skill) -> str:
    """What the model gets for an invoked skill: its SKILL.md whole, as Codex sends it."""
    data = read_regular(skill.path, SKILL_MAX_BYTES)
    body = data[:SKILL_MAX_BYTES].decode("utf-8", "replace")
    return f"<skill>\n<name>{skill.name}</name>\n<path>{skill.path}</path>\n{body}\n</skill>"


@dataclass
class Invoked:
    """The messages carrying the skills a message invokes, and what the user should be told."""

    messages: list[UserMessage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def invoked_skills(
    items: Sequence[UserInputItem], cwd: Path, home: Path | None, config: Config
) -> Invoked:
    """The SKILL.md of each skill ``items`` invoke (a ``skill`` item, or ``$name`` in the
    text). A ``$word`` that names no skill is plain text; a ``skill`` item that names none, or
    a disabled one, is a warning. It reads files: run it on a worker thread."""
    asked = [i.name for i in items if isinstance(i, SkillInput)]
    mentioned = invoked_names([i.text for i in items if isinstance(i, TextInput)])
    invoked = Invoked()
    if not asked and not mentioned:
        return invoked
    found = find_skills(cwd, home, config)
    for name in dict.fromkeys([*asked, *mentioned]):
        skill = found.named(name)
        if skill is None or not skill.enabled:
            if name in asked:
                why = "is disabled ([skills] disabled)" if skill else "is not found"
                invoked.warnings.append(
                    f"skill {name} {why}: it was not used (codex/listSkills lists the skills)"
                )
            continue
        try:
            block = skill_block(skill)
        except (OSError, ValueError) as exc:
            invoked.warnings.append(f"skill {name} was not used: {skill.path}: {exc}")
            continue
        invoked.messages.append(UserMessage(content=[InputText(text=block)]))
    return invoked
