"""The stages of spec-kit: what each one is called, which file it writes, whether its agents run
one after another or side by side, and what earlier work its agents are shown."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Mode(StrEnum):
    """How a stage's agents run: each sees the previous answers, or all answer independently."""

    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"


@dataclass(frozen=True)
class StageSpec:
    """One stage: its name (``plan``), title (``Plan``), stage file, agent mode, and the earlier
    stage files its agents get as summaries."""

    name: str
    title: str
    file: str | None
    mode: Mode
    prior: tuple[str, ...] = ()

    @property
    def prompt_key(self) -> str:
        """The key of this stage in prompts.json and in evidence names (``spec-plan``)."""
        return f"spec-{self.name}"


_P, _S = Mode.PARALLEL, Mode.SEQUENTIAL
STAGES: dict[str, StageSpec] = {
    s.name: s
    for s in (
        StageSpec("specify", "Specify", "spec.md", _S),
        StageSpec("clarify", "Clarify", None, _P, ("plan",)),
        StageSpec("analyze", "Analyze", None, _P, ("plan", "tasks")),
        StageSpec("checklist", "Checklist", None, _P, ("plan", "tasks")),
        StageSpec("plan", "Plan", "plan.md", _S),
        StageSpec("tasks", "Tasks", "tasks.md", _S, ("plan",)),
        StageSpec("implement", "Implement", "implement.md", _S, ("plan", "tasks")),
        StageSpec("validate", "Validate", "validate.md", _P, ("plan", "tasks", "implement")),
        StageSpec("audit", "Audit", "audit.md", _P, ("plan", "tasks", "implement", "validate")),
        StageSpec(
            "unlock", "Unlock", "unlock.md", _P, ("plan", "tasks", "implement", "validate", "audit")
        ),
        StageSpec("constitution", "Constitution", None, _S),
    )
}
"""Every stage with agents, by name."""

PIPELINE: tuple[str, ...] = ("plan", "tasks", "implement", "validate", "audit", "unlock")
"""The stages /speckit.auto runs, in order; each writes ``<stage>.md`` in the SPEC folder."""


def stage(name: str) -> StageSpec:
    """The stage called ``name`` (also accepts the ``spec-<name>`` form)."""
    return STAGES[name.removeprefix("spec-")]
