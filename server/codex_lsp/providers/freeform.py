"""Freeform (grammar) tools on APIs that only have JSON function tools: offered as a function
with one ``input`` string, and unwrapped again when the model calls it."""

from __future__ import annotations

import json
from typing import Any

FREEFORM_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"input": {"type": "string", "description": "The whole input text."}},
    "required": ["input"],
    "additionalProperties": False,
}


def freeform_input(arguments: str | dict[str, Any]) -> str:
    """The ``input`` string out of a function call's arguments (raw text if they are not JSON)."""
    parsed: Any = arguments
    if isinstance(arguments, str):
        try:
            parsed = json.loads(arguments)
        except ValueError:
            return arguments
    if isinstance(parsed, dict) and isinstance(parsed.get("input"), str):
        return str(parsed["input"])
    return arguments if isinstance(arguments, str) else json.dumps(arguments)
