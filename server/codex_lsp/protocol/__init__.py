"""The codex-lsp protocol: pydantic models of every Op, Event and LSP method.

This package is the single source of truth for the wire format; it imports nothing else of
codex-lsp. ``docs/protocol.md`` documents it, and the TypeScript declarations of the VS Code
extension are generated from it (``codex-lsp protocol ts``). Import the submodules directly
(``protocol.events``, ``protocol.ops``, ``protocol.methods``...): this file stays empty so that
``protocol.method_names`` can be imported without loading pydantic.
"""
