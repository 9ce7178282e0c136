"""Test support shipped with the package so tests and benchmarks share it: a scriptable model
server that speaks the providers' real wire formats on 127.0.0.1."""

from codex_lsp.testing.fake_model import (
    Answer,
    Drop,
    EchoReply,
    ErrorReply,
    FakeModelServer,
    Raw,
    RawReply,
    Reasoning,
    RecordedRequest,
    Reply,
    Stall,
    Text,
    ToolCall,
)

__all__ = [
    "Answer",
    "Drop",
    "EchoReply",
    "ErrorReply",
    "FakeModelServer",
    "Raw",
    "RawReply",
    "Reasoning",
    "RecordedRequest",
    "Reply",
    "Stall",
    "Text",
    "ToolCall",
]
