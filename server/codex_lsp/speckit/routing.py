"""The one entry point every front end (LSP, ``exec``, the MCP server, the ``speckit`` CLI)
sends slash-command text through: ``/speckit.plan SPEC-KIT-071 --json`` in, a typed
:class:`Invocation` or a :class:`RouteError` (unknown command, missing SPEC, bad option) out, or
None when the text is no spec-kit command (the host's own ``/commands`` and ordinary prompts)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from codex_lsp.speckit.commands import REGISTRY, VALUE_FLAGS, Command, Registry, SpecArg
from codex_lsp.speckit.stages import PIPELINE

NAMESPACE = "speckit."
_SPEC_REF = re.compile(
    r"^(SPEC-[A-Za-z0-9]+-\d+\S*|\d+(?:-\S+)?|\S*[/\\]\S*|\S+\.md)$", re.IGNORECASE
)
_TASK_ID = re.compile(r"^T\d{3,}$")
_TOKEN = re.compile(r"\S+")
_COMMAND = re.compile(r"^/(\S+)(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Invocation:
    """A parsed command: what was typed, the SPEC reference (None when the command takes none,
    or for the status overview), the free text, and the options."""

    command: Command
    typed: str
    spec: str | None = None
    text: str = ""
    json: bool = False
    stale_hours: float | None = None
    from_stage: str | None = None
    task: str | None = None
    """``/speckit.implement <SPEC> T003``: the one task to implement."""
    all_specs: bool = False
    """``/speckit.status --all``: every SPEC (also where a current feature exists)."""


@dataclass(frozen=True)
class RouteError:
    """Why the text cannot run, for the user (with the usage or the command list)."""

    message: str


def looks_like_spec_ref(token: str) -> bool:
    """A SPEC id, a number, a folder name starting with a number, or a path."""
    return bool(_SPEC_REF.match(token))


def unknown_command(typed: str, registry: Registry = REGISTRY) -> RouteError:
    """The answer to ``/speckit.<something unknown>``: the closest names and the whole list."""
    close = difflib.get_close_matches(typed, registry.names(), n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    listing = "\n".join(f"- `{c.usage}`: {c.summary}" for c in registry.commands)
    return RouteError(f"Unknown spec-kit command {typed}.{hint} The commands are:\n{listing}")


def route(
    text: str, *, registry: Registry = REGISTRY, current: str | None = None
) -> Invocation | RouteError | None:
    """Parse ``text``. ``current`` is the SPEC a command without one works on (GitHub
    spec-kit's current feature), if the layout has one."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    head, rest = match.group(1), match.group(2).strip()
    command = registry.find(head)
    if command is None:
        return unknown_command("/" + head, registry) if head.startswith(NAMESPACE) else None
    return _arguments(command, "/" + head, rest, current)


def _usage(command: Command, problem: str) -> RouteError:
    example = f", e.g. {command.example}" if command.example else ""
    return RouteError(f"{problem}. Usage: {command.usage}{example}")


def _arguments(
    command: Command, typed: str, rest: str, current: str | None
) -> Invocation | RouteError:
    options: dict[str, str | None] = {}
    kept: list[str] = []
    tokens = [m.group(0) for m in _TOKEN.finditer(rest)]
    index = 0
    while index < len(tokens):
        token = tokens[index]
        name, has_value, value = token.partition("=")
        if name in command.flags:
            if name in VALUE_FLAGS and not has_value:
                index += 1
                if index >= len(tokens):
                    return _usage(command, f"{name} needs a value")
                value = tokens[index]
            options[name] = value if name in VALUE_FLAGS else None
        elif token.startswith("--") and not command.takes_text:
            return _usage(command, f"{typed} has no option {name}")
        else:
            kept.append(token)
        index += 1
    spec: str | None = None
    if command.spec is not SpecArg.NONE and kept and looks_like_spec_ref(kept[0].strip("\"'")):
        spec = kept.pop(0).strip("\"'")
    if spec is None and command.spec is not SpecArg.NONE and "--all" not in options:
        spec = current
    if spec is None and command.spec is SpecArg.REQUIRED:
        return _usage(command, f"{typed} needs a SPEC (its id, number, folder or path)")
    if kept and not command.takes_text:
        return _usage(command, f"{typed} does not take {' '.join(kept)!r}")
    task = (
        kept.pop(0) if command.stage == "implement" and kept and _TASK_ID.match(kept[0]) else None
    )
    free = _unquote(" ".join(kept))
    if command.text_required and not free:
        return _usage(command, f"{typed} needs a description")
    return _options(command, typed, spec, free, task, options)


def _options(
    command: Command,
    typed: str,
    spec: str | None,
    free: str,
    task: str | None,
    options: dict[str, str | None],
) -> Invocation | RouteError:
    stale: float | None = None
    if (raw := options.get("--stale-hours")) is not None:
        try:
            stale = float(raw)
        except ValueError:
            stale = -1
        if not stale > 0:
            return _usage(command, f"--stale-hours takes a number of hours above 0, not {raw!r}")
    start = options.get("--from")
    if start is not None:
        start = start.removeprefix("spec-")
        if start not in PIPELINE:
            return _usage(
                command, f"unknown stage {start!r} (the stages are {', '.join(PIPELINE)})"
            )
    return Invocation(
        command=command,
        typed=typed,
        spec=spec,
        text=free,
        json="--json" in options,
        stale_hours=stale,
        from_stage=start,
        task=task,
        all_specs="--all" in options,
    )


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text
