"""Stage prompts: the packaged ``prompts.json``, overridden entry by entry by
``$CODEX_LSP_HOME/spec-kit/prompts.json`` and then the project's ``docs/spec-kit/prompts.json``
(the fork's file and format: ``prompts["spec-plan"]["gemini"]["prompt"]``). An agent gets the
entry under its own name, else the one for its role (``agent`` or ``arbiter``). Every rendered
prompt ends with the answer contract: the stage's JSON Schema and the demand for JSON only."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.files import read_text
from codex_lsp.speckit.schemas import schema_for
from codex_lsp.speckit.stages import stage as stage_spec
from codex_lsp.speckit.workspace import Workspace

PROJECT_PROMPTS = Path("docs/spec-kit/prompts.json")
HOME_PROMPTS = Path("spec-kit/prompts.json")
MAX_PROMPTS_BYTES = 1024 * 1024
_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+(?:\.[A-Za-z0-9_.-]+)?)\}")
ANSWER_CONTRACT = """## Answer format

Answer with ONE JSON object that matches this JSON Schema, with "stage": "{stage}" and "agent": \
"{agent}". Fill every field with actual content from the SPEC and the repository; an empty list \
is fine where there is nothing to say. CRITICAL: return real data, not the schema template: do \
NOT answer with "string", "number" or "boolean" placeholders. {consensus}

```json
{schema}
```

Return the JSON as your final response. The system will handle storage."""
_CONSENSUS = {
    "agent": "Leave consensus.agreements and consensus.conflicts empty: the arbiter fills them.",
    "arbiter": "consensus.agreements: what the proposals agree on; consensus.conflicts: what you "
    "could not settle (empty when you settled everything).",
}


@dataclass(frozen=True)
class PromptEntry:
    """One prompt: its text, the role it gives, its version and where it came from."""

    prompt: str
    role: str
    version: str
    source: str


class Prompts:
    """The prompts that apply in one workspace."""

    def __init__(self, tables: list[tuple[str, dict[str, Any]]]) -> None:
        self._tables = tables

    @classmethod
    def load(cls, workspace: Workspace) -> Prompts:
        """Packaged prompts, then the home's, then the project's (highest precedence last)."""
        packaged = resources.files("codex_lsp.speckit").joinpath("data", "prompts.json")
        tables = [("package", json.loads(packaged.read_text(encoding="utf-8")))]
        for path, root in (
            (workspace.home / HOME_PROMPTS, workspace.home),
            (workspace.root / PROJECT_PROMPTS, workspace.root),
        ):
            text = read_text(path, root, MAX_PROMPTS_BYTES)
            if text is not None:
                tables.append((str(path), _parse(path, text)))
        return cls(tables)

    def entry(self, stage: str, agent: str, role: str) -> PromptEntry:
        """The prompt of ``agent`` (whose role is ``agent`` or ``arbiter``) in ``stage``."""
        key = stage_spec(stage).prompt_key
        for source, table in reversed(self._tables):
            section = table.get(key)
            if not isinstance(section, dict):
                continue
            for name in (agent, role):
                found = section.get(name)
                if isinstance(found, dict):
                    return _entry(found, section, role, source, f"{key}.{name}")
        raise SpeckitError(f"prompts.json has no prompt for {key} (agent {agent}, role {role})")

    def escalation(self) -> PromptEntry:
        """The addendum the arbiter gets when it is asked again after a conflict."""
        for source, table in reversed(self._tables):
            found = table.get("escalation")
            if isinstance(found, dict):
                return _entry(found, found, "arbiter", source, "escalation")
        raise SpeckitError("prompts.json has no escalation prompt")


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpeckitError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); fix "
            "it or remove it to use the built-in prompts"
        ) from exc
    if not isinstance(data, dict):
        raise SpeckitError(f"{path} must hold a JSON object of stages (spec-plan, …)")
    return data


def _entry(
    found: dict[str, Any], section: dict[str, Any], role: str, source: str, where: str
) -> PromptEntry:
    prompt = found.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise SpeckitError(f"{source}: {where}.prompt must be a non-empty string")
    version = found.get("version") or section.get("version") or "unversioned"
    return PromptEntry(prompt, str(found.get("role") or role), str(version), source)


def render(template: str, values: dict[str, str]) -> str:
    """``template`` with its ``${NAME}`` placeholders replaced in one pass (a value is never
    expanded again, so text from the SPEC cannot inject placeholders); unknown ones stay."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def answer_contract(stage: str, agent: str, role: str) -> str:
    """The closing part of every prompt: the schema and the demand for JSON."""
    return ANSWER_CONTRACT.format(
        stage=stage,
        agent=agent,
        consensus=_CONSENSUS["arbiter" if role == "arbiter" else "agent"],
        schema=json.dumps(schema_for(stage), separators=(",", ":")),
    )
