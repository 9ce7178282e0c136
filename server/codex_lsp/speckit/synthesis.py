"""A stage's synthesis: the agents' validated answers merged (the arbiter's answer, with what it
left empty filled from the others) and rendered into the stage file along the sections of its
template (the project's own template decides the order; a section the renderer knows is
filled, any other keeps the template's text, and content with no section in the template is
appended, so nothing is lost). Gate stages (clarify, analyze, checklist) give a report."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit import markdown as md
from codex_lsp.speckit.consensus import Outcome
from codex_lsp.speckit.files import read_text
from codex_lsp.speckit.issues import from_answer, render
from codex_lsp.speckit.packet import LayoutKind, SpecPacket
from codex_lsp.speckit.schemas import schema_for
from codex_lsp.speckit.stage_sections import RENDERERS, Answer, Part
from codex_lsp.speckit.stages import STAGES
from codex_lsp.speckit.templates import fill, find_template
from codex_lsp.speckit.workspace import Workspace

_ENVELOPE = frozenset({"stage", "agent", "consensus"})


@dataclass(frozen=True)
class Synthesis:
    """The files to write (absolute path → text), the report for the user, and the JSON that
    is stored (``consensus_runs.synthesis_json``)."""

    files: dict[Path, str]
    report: str
    data: dict[str, Any] = field(default_factory=dict)


def _empty(value: Any) -> bool:
    return value in ("", None, [], {})


def merge_answers(
    stage: str, participants: Sequence[str], answers: Mapping[str, Answer], arbiter: str | None
) -> Answer:
    """The arbiter's answer, each of its empty fields filled from the other agents (lists:
    their items without duplicates, in agent order; text: the first non-empty)."""
    order = [a for a in ([arbiter] if arbiter else []) + list(participants) if a in answers]
    order = list(dict.fromkeys(order))
    if not order:
        return {}
    merged = dict(answers[order[0]])
    for key in schema_for(stage)["properties"]:
        if key in _ENVELOPE or not _empty(merged.get(key)):
            continue
        for other in order[1:]:
            value = answers[other].get(key)
            if _empty(value):
                continue
            if isinstance(value, list):
                seen: dict[str, Any] = {}
                for agent in order[1:]:
                    for item in answers[agent].get(key) or []:
                        seen.setdefault(json.dumps(item, sort_keys=True), item)
                merged[key] = list(seen.values())
            else:
                merged[key] = value
            break
    return merged


# ---------------------------------------------------------------- documents
def feature_name(workspace: Workspace, packet: SpecPacket) -> str:
    """The feature's name from its spec.md (``**Feature**:`` or the title), else the id."""
    try:
        text = read_text(packet.file("spec.md"), workspace.root, 4000) or ""
    except SpeckitError:
        return packet.id
    if match := re.search(r"^\*\*Feature\*\*:\s*(.+)$", text, re.MULTILINE):
        return match.group(1).strip()
    if match := re.search(r"^# +(?:Spec|Feature Specification|PRD):\s*(.+)$", text, re.MULTILINE):
        return match.group(1).strip()
    return packet.id


def _document(
    template: str, values: dict[str, str], intro: str, parts: list[Part], answer: Answer
) -> str:
    """The template's title, ``intro``, then each template section: filled by the part that
    answers to its heading, else the template's own text (or a bookkeeping section from
    ``values``); parts no section took, and whose fields no used part showed, come last."""
    head, template_sections = md.sections(fill(template, values))
    by_key = {md.heading_key(title): part for part in parts for title in part.titles}
    out = [head.rstrip() + "\n\n" + intro]
    shown: set[str] = set()
    for section in template_sections:
        part = by_key.get(section.key)
        if part is None:
            body = values.get(f"SECTION:{section.key}", section.body)
        else:
            shown |= part.fields
            body = part.render(answer) or "_None._"
        out.append(f"## {section.heading}\n\n{body}".rstrip())
    for part in parts:
        if part.fields - shown and (content := part.render(answer)):
            shown |= part.fields
            out.append(f"## {part.titles[0]}\n\n{content}")
    return "\n\n".join(out).rstrip() + "\n"


def _consensus_section(outcome: Outcome) -> str:
    lines = [
        f"- Status: **{outcome.status.value}**",
        f"- Agents: {', '.join(outcome.answered) or 'none'} ({len(outcome.answered)} of "
        f"{len(outcome.participants)}); arbiter: {outcome.arbiter or 'none'}",
    ]
    lines += [f"- Missing: {a} ({why})" for a, why in outcome.missing.items()]
    if outcome.agreements:
        lines.append("\n### Agreements\n\n" + md.bullets(outcome.agreements))
    if outcome.conflicts:
        lines.append("\n### Conflicts\n\n" + md.bullets(outcome.conflicts))
    return "\n".join(lines)


@dataclass(frozen=True)
class Provenance:
    """Where a synthesis comes from, as its document cites it: the files the agents read, the
    run's evidence files, the prompt's version and the moment it was made."""

    inputs: Sequence[str]
    evidence: Sequence[str]
    prompt_version: str
    now: datetime


def synthesise(
    workspace: Workspace,
    packet: SpecPacket,
    outcome: Outcome,
    answers: Mapping[str, Answer],
    provenance: Provenance,
) -> Synthesis:
    """The synthesis of a stage run that stands (ok or degraded)."""
    inputs, evidence = provenance.inputs, provenance.evidence
    prompt_version, now = provenance.prompt_version, provenance.now
    stage = outcome.stage
    merged = merge_answers(stage, outcome.participants, answers, outcome.arbiter)
    data: dict[str, Any] = {
        "spec_id": packet.id,
        "stage": stage,
        "status": outcome.status.value,
        "agents": list(outcome.answered),
        "missing_agents": dict(outcome.missing),
        "arbiter": outcome.arbiter,
        "agreements": list(outcome.agreements),
        "conflicts": list(outcome.conflicts),
        "prompt_version": prompt_version,
        "answer": merged,
    }
    if stage in ("clarify", "analyze", "checklist"):
        issues = [
            from_answer(stage, item, agent)
            for agent, answer in answers.items()
            for item in answer.get("issues", [])
        ]
        data["issues"] = [i.to_json() for i in issues]
        return Synthesis({}, f"{outcome.message}\n\n{render(issues)}", data)
    values = {
        "SPEC_ID": packet.id,
        "FEATURE_NAME": feature_name(workspace, packet),
        "DATE": now.strftime("%Y-%m-%d"),
        "SECTION:inputs": md.bullets(
            [*(f"`{i}`" for i in inputs), f"prompt version {prompt_version}"]
        ),
        "SECTION:multi agent consensus": _consensus_section(outcome),
        "SECTION:evidence references": md.bullets(f"`{e}`" for e in evidence) or "_None._",
    }
    intro = (
        f"**SPEC-ID**: {packet.id} · **Stage**: {stage} · **Consensus**: {outcome.status.value} · "
        f"**Agents**: {', '.join(outcome.answered)} · **Generated**: "
        f"{now.strftime('%Y-%m-%d %H:%M UTC')}"
    )
    if merged.get("summary"):
        intro += f"\n\n{merged['summary']}"
    if stage == "constitution":
        return Synthesis(
            {workspace.layout.constitution: _constitution(merged, now)}, outcome.message, data
        )
    target = _target(packet, stage)
    template = find_template(_template_name(packet, stage), workspace).text
    files = {target: _document(template, values, intro, RENDERERS[stage](), merged)}
    if packet.layout is LayoutKind.GITHUB and stage == "plan":
        files.update(_github_plan_extras(packet, merged))
    return Synthesis(files, outcome.message, data)


def _target(packet: SpecPacket, stage: str) -> Path:
    if stage == "specify":
        return packet.file("PRD.md" if packet.layout is LayoutKind.FORK else "spec.md")
    name = STAGES[stage].file
    assert name is not None
    return packet.file(name)


def _template_name(packet: SpecPacket, stage: str) -> str:
    if stage == "specify":
        return "PRD" if packet.layout is LayoutKind.FORK else "spec"
    return stage


def _github_plan_extras(packet: SpecPacket, answer: Answer) -> dict[Path, str]:
    """GitHub spec-kit's plan also writes research.md and data-model.md."""
    extras: dict[Path, str] = {}
    if answer.get("research"):
        body = "\n\n".join(f"## {r['topic']}\n\n{r.get('details', '')}" for r in answer["research"])
        extras[packet.file("research.md")] = f"# Research: {packet.id}\n\n{body}\n"
    if answer.get("data_model"):
        body = "\n\n".join(
            "\n\n".join(
                p
                for p in (f"## {e['entity']}", md.bullets(e.get("fields", [])), e.get("notes", ""))
                if p
            )
            for e in answer["data_model"]
        )
        extras[packet.file("data-model.md")] = f"# Data Model: {packet.id}\n\n{body}\n"
    return extras


def _constitution(answer: Answer, now: datetime) -> str:
    lines = [
        f"# {answer['project_name']} Constitution",
        "",
        f"**Version**: {answer['version']}",
        f"**Last Amended**: {now.strftime('%Y-%m-%d')}",
        "",
        "## Core Principles",
    ]
    for principle in answer.get("principles", []):
        lines += ["", f"### {principle['name']}", "", principle["description"]]
    for section in answer.get("sections", []):
        lines += ["", f"## {section['title']}", "", section.get("body", "")]
    lines += ["", "## Governance", "", answer.get("governance", "")]
    if answer.get("sync_impact"):
        lines += ["", "<!-- Sync impact:", *(f"- {s}" for s in answer["sync_impact"]), "-->"]
    return "\n".join(lines).rstrip() + "\n"
