"""What the model is told about a tool: its name, its description and the shape of its input.

The tools define these (``tools/``) and the providers turn them into each wire's tool format
(``providers/``). They live here, in the lowest layer, because both import them and neither may
import the other: providers sit below tools, and a model client must not depend on how a tool
runs. Plain data, with nothing of any wire format (NamedTuples: cheaper to define than frozen
dataclasses, on every start).
"""

from typing import Any, NamedTuple


class FunctionToolSpec(NamedTuple):
    """A tool whose arguments are a JSON object described by a JSON Schema."""

    name: str
    description: str
    parameters: dict[str, Any]


class FreeformToolSpec(NamedTuple):
    """A tool whose input is free text in a grammar (Responses API ``custom`` tools). Providers
    without freeform tools offer it as a function taking one ``input`` string."""

    name: str
    description: str
    grammar: str
    syntax: str = "lark"


ToolSpec = FunctionToolSpec | FreeformToolSpec
