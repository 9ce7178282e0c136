"""spec-kit: SPEC folders in the fork's and GitHub's layouts, the ``/speckit.*`` commands, their
native parts (new, status, the clarify / analyze / checklist heuristics), and the stages run by
agents (prompts, answer schemas, consensus, synthesis, evidence, cost; the agents as core
conversations, :mod:`~codex_lsp.speckit.agent_runner`, driven by
:mod:`~codex_lsp.speckit.orchestrator`). It sits above ``core`` and below the front ends: every
front end builds its conversation manager with :func:`~codex_lsp.speckit.front.speckit_router`,
so a command typed in any conversation is carried out in one place; text is parsed by
:func:`route`."""

from codex_lsp.speckit.routing import Invocation, RouteError, route

__all__ = ["Invocation", "RouteError", "route"]
