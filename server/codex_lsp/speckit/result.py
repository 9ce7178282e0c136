"""What a native spec-kit command gives back to a front end: Markdown for a person, JSON for a
script (``--json``), whether it succeeded, and the files it wrote."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CommandResult:
    """The answer of a command."""

    ok: bool
    markdown: str
    data: dict[str, Any] = field(default_factory=dict)
    files: tuple[Path, ...] = ()

    def render(self, as_json: bool) -> str:
        """The text a front end shows: the JSON (``--json``) or the Markdown."""
        if as_json:
            return json.dumps({"ok": self.ok, **self.data}, indent=2, ensure_ascii=False)
        return self.markdown
