"""The spelling rule of docs/protocol.md "Conventions": every name and enumerated value the
protocol defines is camelCase on the wire; only values that are config.toml values keep their
config spelling."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any, get_args

from codex_lsp.protocol.modes import ModeId
from codex_lsp.protocol.policies import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxMode,
    Verbosity,
)
from codex_lsp.protocol.schema import json_schemas

CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
CONFIG_VALUES = {
    v.value
    for e in (AskForApproval, SandboxMode, ReasoningEffort, ReasoningSummary, Verbosity)
    for v in e
} | set(get_args(ModeId))  # the preset ids Codex's IDE extension and ACP adapter use


def _values(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enum":
                found += [v for v in value if isinstance(v, str)]
            elif key == "const" and isinstance(value, str):
                found.append(value)
            elif key == "properties":
                found += [k for k in value]
                found += [v for prop in value.values() for v in _values(prop)]
            else:
                found += _values(value)
    elif isinstance(node, list):
        found += [v for item in node for v in _values(item)]
    return found


def test_every_name_and_value_the_protocol_defines_is_camel_case() -> None:
    values = {v for schema in json_schemas().values() for v in _values(schema)}
    assert "inProgress" in values and "workspace-write" in values
    wrong = sorted(v for v in values - CONFIG_VALUES if not CAMEL.match(v))
    assert not wrong, f"not camelCase on the wire: {wrong}"


def test_every_field_has_the_wire_name_pydantic_would_give_it() -> None:
    from pydantic.alias_generators import to_camel

    from codex_lsp.protocol.base import WireModel, camel
    from codex_lsp.protocol.schema import typescript

    typescript()  # every protocol model is defined (and built) by now

    def models(base: type[WireModel]) -> list[type[WireModel]]:
        return [m for sub in base.__subclasses__() for m in (sub, *models(sub))]

    fields = {name for model in models(WireModel) for name in model.model_fields}
    assert len(fields) > 200  # distinct names
    assert {n: camel(n) for n in fields} == {n: to_camel(n) for n in fields}
    for odd in ("a_1b", "x__y", "_p", "q_", "v2", "abc_defGh", "aB", "é_a"):
        assert camel(odd) == to_camel(odd)


def test_defining_the_protocol_runs_no_regular_expression_per_field() -> None:
    code = (
        "import pydantic.alias_generators as g; calls = []; original = g.to_camel; "
        "g.to_camel = lambda name: (calls.append(name), original(name))[1]; "
        "import codex_lsp.cli.exec_cmd; print(len(calls))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < 10  # its two regular expressions, for ~600 fields: ~2 ms
