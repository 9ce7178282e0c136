"""The built-in tools' handlers load at their first call (``LazyHandler``): every one a
conversation can be offered must name a real handler, or the model's first call of it fails."""

from typing import cast

import pytest

from codex_lsp.config.model import ToolsConfig
from codex_lsp.core.assembly import default_tools
from codex_lsp.protocol.history import FunctionCall, FunctionCallOutput
from codex_lsp.tools.registry import LazyHandler, ToolRegistry, ToolSession

EVERY_TOOL = ToolsConfig(
    view_image=True,
    read_only_helpers=True,
    unified_exec=True,
    fetch_url=True,
    web_search_url="http://127.0.0.1:9/",
)


def _handlers(registry: ToolRegistry) -> dict[str, LazyHandler]:
    handlers = {}
    for spec in registry.specs():
        handler = registry._handler(spec.name)
        assert isinstance(handler, LazyHandler), spec.name
        handlers[spec.name] = handler
    return handlers


@pytest.mark.parametrize("codex_model", [True, False])
def test_every_offered_tool_names_a_handler_that_loads(codex_model: bool) -> None:
    handlers = _handlers(default_tools(codex_model, EVERY_TOOL))
    assert len(handlers) == 12
    for name, handler in handlers.items():
        assert callable(handler.resolve()), name
        assert handler.resolve() is handler.resolve()  # imported once


async def test_a_lazy_handler_runs_the_call_it_loads_for() -> None:
    registry = default_tools(False, EVERY_TOOL)
    for name in ("web_search", "request_user_input", "shell"):
        call = FunctionCall(call_id="c1", name=name, arguments="{bad json")
        session = cast(ToolSession, None)  # the arguments are refused before any use of it
        output = await registry.dispatch(session, call)
        assert isinstance(output, FunctionCallOutput)
        assert output.output.startswith(f"arguments of {name} are not valid JSON"), output
        assert output.success is False
