"""Params and result of ``codex/listSkills``: the skills (folders with a SKILL.md) found."""

from typing import Literal

from pydantic import Field

from codex_lsp.protocol.base import WireModel
from codex_lsp.protocol.limits import WirePath


class ListSkillsParams(WireModel):
    """``codex/listSkills``: the skills a conversation in ``cwd`` would be told about."""

    cwd: WirePath | None = None


class SkillEntry(WireModel):
    """One skill: a folder with a SKILL.md whose front matter names and describes it."""

    name: str
    description: str
    path: str = Field(description="Its SKILL.md.")
    scope: Literal["project", "user"]
    enabled: bool = Field(description="False when [skills] disabled lists it.")


class ListSkillsResult(WireModel):
    """The skills found, in precedence order (a name found twice is listed once, the first);
    ``errors`` names each SKILL.md that was passed over and why."""

    skills: list[SkillEntry]
    errors: list[str] = []
