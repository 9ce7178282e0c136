"""The spec-kit command registry: every ``/speckit.*`` command with its aliases, its usage and
what it takes. Built once; a duplicate name or alias is refused when the registry is built (the
fork's ``/spec-ops-plan`` silently resolved to whichever command registered last)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from codex_lsp.errors import SpeckitError


class SpecArg(StrEnum):
    """Whether a command names a SPEC."""

    NONE = "none"
    REQUIRED = "required"
    OPTIONAL = "optional"


class Kind(StrEnum):
    """How a command is carried out."""

    NATIVE = "native"
    """Always without a model (new, status)."""
    AGENTS = "agents"
    """By its stage's agents."""
    AGENTS_OR_NATIVE = "agents-or-native"
    """By its stage's agents, natively when the stage has none configured."""
    PIPELINE = "pipeline"
    """/speckit.auto: the stages one after another."""


@dataclass(frozen=True)
class Command:
    """One command: its name (``speckit.plan``), aliases (``spec-plan``), what it does, its
    usage line, what it takes, how it runs, and its stage."""

    name: str
    summary: str
    usage: str
    kind: Kind
    spec: SpecArg = SpecArg.REQUIRED
    takes_text: bool = True
    """It takes free text besides the SPEC (a description, context for the agents, a goal)."""
    text_required: bool = False
    """That text is required (new: the description)."""
    aliases: tuple[str, ...] = ()
    flags: tuple[str, ...] = ("--json",)
    """The ``--flags`` it accepts; those in :data:`VALUE_FLAGS` take a value."""
    stage: str | None = None
    example: str = ""

    @property
    def slash(self) -> str:
        """``/speckit.plan``."""
        return f"/{self.name}"


VALUE_FLAGS = frozenset({"--stale-hours", "--from"})


class Registry:
    """Commands by name and by alias."""

    def __init__(self, commands: Iterable[Command]) -> None:
        self.commands: tuple[Command, ...] = tuple(commands)
        self._by_name: dict[str, Command] = {}
        for command in self.commands:
            for name in (command.name, *command.aliases):
                other = self._by_name.get(name)
                if other is not None:
                    raise SpeckitError(
                        f"spec-kit command registry: /{name} is declared by both "
                        f"{other.slash} and {command.slash}; each name and alias must be unique"
                    )
                self._by_name[name] = command

    def find(self, name: str) -> Command | None:
        """The command called ``name`` or aliased so (without the slash)."""
        return self._by_name.get(name)

    def names(self) -> list[str]:
        """Every primary name, with the slash, in registry order."""
        return [c.slash for c in self.commands]


def _stage_command(stage: str, summary: str, usage_tail: str = " [context]") -> Command:
    """A command that runs one stage by its agents, with the fork's ``spec-`` and
    ``spec-ops-`` aliases."""
    return Command(
        name=f"speckit.{stage}",
        summary=summary,
        usage=f"/speckit.{stage} <SPEC>{usage_tail}",
        kind=Kind.AGENTS,
        aliases=(f"spec-{stage}", f"spec-ops-{stage}"),
        stage=stage,
    )


COMMANDS: tuple[Command, ...] = (
    Command(
        "speckit.new",
        "create a SPEC folder from the templates (no model)",
        "/speckit.new <description>",
        Kind.NATIVE,
        spec=SpecArg.NONE,
        text_required=True,
        aliases=("new-spec",),
        example='/speckit.new "Add user authentication with OAuth2"',
    ),
    Command(
        "speckit.specify",
        "draft or refine the PRD and spec of a SPEC",
        "/speckit.specify <SPEC> [what to change]",
        Kind.AGENTS,
        stage="specify",
    ),
    Command(
        "speckit.clarify",
        "find ambiguities in the SPEC (native when its stage has no agents)",
        "/speckit.clarify <SPEC>",
        Kind.AGENTS_OR_NATIVE,
        stage="clarify",
    ),
    Command(
        "speckit.analyze",
        "cross-check PRD, spec, plan and tasks (native when its stage has no agents)",
        "/speckit.analyze <SPEC>",
        Kind.AGENTS_OR_NATIVE,
        stage="analyze",
    ),
    Command(
        "speckit.checklist",
        "score the requirements' quality (native when its stage has no agents)",
        "/speckit.checklist <SPEC>",
        Kind.AGENTS_OR_NATIVE,
        stage="checklist",
    ),
    _stage_command("plan", "write plan.md with the stage's agents"),
    _stage_command("tasks", "write tasks.md from the plan"),
    _stage_command("implement", "propose and apply the changes of the tasks", " [T001] [context]"),
    _stage_command("validate", "run the SPEC's validation and write validate.md"),
    _stage_command("audit", "review the implementation and write audit.md"),
    _stage_command("unlock", "decide whether the SPEC ships and write unlock.md"),
    Command(
        "speckit.auto",
        "run plan → tasks → implement → validate → audit → unlock",
        "/speckit.auto <SPEC> [--from <stage>] [goal]",
        Kind.PIPELINE,
        flags=("--json", "--from"),
    ),
    Command(
        "speckit.cancel",
        "stop the SPEC's /speckit.auto run, in whichever server drives it (no model)",
        "/speckit.cancel <SPEC>",
        Kind.NATIVE,
        takes_text=False,
    ),
    Command(
        "speckit.status",
        "show a SPEC's files, stages, consensus, cost and evidence (no model)",
        "/speckit.status [<SPEC> | --all] [--stale-hours N] [--json]",
        Kind.NATIVE,
        spec=SpecArg.OPTIONAL,
        takes_text=False,
        aliases=("spec-status",),
        flags=("--json", "--stale-hours", "--all"),
    ),
    Command(
        "speckit.constitution",
        "create or amend the project's constitution",
        "/speckit.constitution [principles or changes]",
        Kind.AGENTS_OR_NATIVE,
        spec=SpecArg.NONE,
        stage="constitution",
    ),
)
"""The thirteen commands, /speckit.cancel and /speckit.constitution."""

REGISTRY = Registry(COMMANDS)
