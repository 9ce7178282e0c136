"""The model-visible history of a conversation, in a provider-neutral shape.

It follows the Responses API's items (message, reasoning, function call and output, custom tool
call and output); each provider client translates it into its own wire format. The store persists
these items, so changing them is a protocol change.
"""

from typing import Annotated, Literal

from pydantic import Field

from codex_lsp.protocol.base import WireModel


class InputText(WireModel):
    """A text part of a user message."""

    type: Literal["inputText"] = "inputText"
    text: str


class InputImage(WireModel):
    """An image part of a user message (an https or data URL)."""

    type: Literal["inputImage"] = "inputImage"
    image_url: str


ContentPart = Annotated[InputText | InputImage, Field(discriminator="type")]


class UserMessage(WireModel):
    """A message in the user role: typed input, context blocks, compaction summaries."""

    type: Literal["userMessage"] = "userMessage"
    content: list[ContentPart]

    def text(self) -> str:
        """All text parts joined."""
        return "\n".join(p.text for p in self.content if isinstance(p, InputText))


class AssistantMessage(WireModel):
    """A complete message the model wrote."""

    type: Literal["assistantMessage"] = "assistantMessage"
    text: str


class Reasoning(WireModel):
    """A reasoning block. ``encrypted_content`` holds an opaque token the provider wants back
    (OpenAI's encrypted reasoning, Anthropic's thinking signature)."""

    type: Literal["reasoning"] = "reasoning"
    summary: list[str] = []
    content: list[str] = []
    encrypted_content: str | None = None


class FunctionCall(WireModel):
    """A call of a JSON-argument tool."""

    type: Literal["functionCall"] = "functionCall"
    call_id: str
    name: str
    arguments: str


class FunctionCallOutput(WireModel):
    """What a JSON-argument tool returned."""

    type: Literal["functionCallOutput"] = "functionCallOutput"
    call_id: str
    output: str
    success: bool = True


class CustomToolCall(WireModel):
    """A call of a freeform (grammar) tool such as apply_patch."""

    type: Literal["customToolCall"] = "customToolCall"
    call_id: str
    name: str
    input: str


class CustomToolCallOutput(WireModel):
    """What a freeform tool returned."""

    type: Literal["customToolCallOutput"] = "customToolCallOutput"
    call_id: str
    output: str


HistoryItem = Annotated[
    UserMessage
    | AssistantMessage
    | Reasoning
    | FunctionCall
    | FunctionCallOutput
    | CustomToolCall
    | CustomToolCallOutput,
    Field(discriminator="type"),
]

ToolCall = FunctionCall | CustomToolCall
