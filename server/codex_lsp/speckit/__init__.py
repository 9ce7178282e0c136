"""spec-kit: SPEC folders in the fork's and GitHub's layouts, the ``/speckit.*`` commands, their
native parts (new, status, the clarify / analyze / checklist heuristics), and the engine of the
stages run by agents (prompts, answer schemas, consensus, synthesis, evidence, cost). It sits
above ``core`` and below the front ends, which all route slash commands through :func:`route`."""

from codex_lsp.speckit.routing import Invocation, RouteError, route

__all__ = ["Invocation", "RouteError", "route"]
