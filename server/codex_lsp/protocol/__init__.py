"""The codex-lsp protocol: pydantic models of every Op, Event and LSP method.

This package is the single source of truth for the wire format; it imports nothing else of
codex-lsp. ``docs/protocol.md`` documents it, and the TypeScript declarations of the VS Code
extension are generated from it (``codex-lsp protocol ts``).
"""

from codex_lsp.protocol.base import WireModel
from codex_lsp.protocol.events import Event, EventMsg
from codex_lsp.protocol.methods import METHODS, METHODS_BY_NAME, Direction, Method
from codex_lsp.protocol.ops import Op

__all__ = ["METHODS", "METHODS_BY_NAME", "Direction", "Event", "EventMsg", "Method", "Op", "WireModel"]
