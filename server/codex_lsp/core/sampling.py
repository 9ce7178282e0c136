"""One model request: streams the response, turns it into client events, and returns the items
it produced. Items enter the history only when the response completes, so a dropped or retried
stream never leaves a partial message behind."""

from __future__ import annotations

from typing import Protocol

from codex_lsp.config.model import ModelProviderInfo
from codex_lsp.protocol.events import (
    AgentMessageDeltaEvent,
    AgentMessageEvent,
    AgentReasoningDeltaEvent,
    AgentReasoningEvent,
    AgentReasoningRawContentDeltaEvent,
    AgentReasoningRawContentEvent,
    AgentReasoningSectionBreakEvent,
    EventMsg,
    ItemCompletedEvent,
    ItemStartedEvent,
    StreamErrorEvent,
    WebSearchEndEvent,
)
from codex_lsp.protocol.history import (
    AssistantMessage,
    CustomToolCall,
    FunctionCall,
    HistoryItem,
    Reasoning,
)
from codex_lsp.protocol.items import (
    AgentMessageItem,
    ReasoningItem,
    StopReason,
    TokenUsage,
    WebSearchItem,
)
from codex_lsp.providers.base import (
    Completed,
    HostedSearchDone,
    ModelClient,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    Prompt,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    ReasoningSummaryPartAdded,
    Retrying,
)
from codex_lsp.providers.retry import stream_with_retries


class EventEmitter(Protocol):
    """Where sampling sends client events."""

    @property
    def turn_id(self) -> str:
        """The running turn."""
        ...

    def emit(self, msg: EventMsg) -> None:
        """Send one event."""
        ...

    def new_item_id(self) -> str:
        """A fresh item id."""
        ...


class SampleResult:
    """What one response produced."""

    __slots__ = ("items", "stop_reason", "usage")

    def __init__(self) -> None:
        self.items: list[HistoryItem] = []
        self.usage: TokenUsage | None = None
        self.stop_reason: StopReason | None = None

    @property
    def tool_calls(self) -> list[FunctionCall | CustomToolCall]:
        """Calls the model made, in order."""
        return [i for i in self.items if isinstance(i, FunctionCall | CustomToolCall)]

    @property
    def last_message(self) -> str | None:
        """The text of the last assistant message, if any."""
        texts = [i.text for i in self.items if isinstance(i, AssistantMessage)]
        return texts[-1] if texts else None


class _Attempt:
    """Bookkeeping of one streaming attempt: provider keys → client item ids."""

    def __init__(self, out: EventEmitter, visible: bool) -> None:
        self.out = out
        self.visible = visible
        self.ids: dict[str, str] = {}
        self.result = SampleResult()
        self.held: list[EventMsg] = []

    def item_id(self, key: str, kind: str) -> str:
        known = self.ids.get(key)
        if known is not None:
            return known
        item_id = self.out.new_item_id()
        self.ids[key] = item_id
        if self.visible and kind == "message":
            self.out.emit(
                ItemStartedEvent(
                    turn_id=self.out.turn_id, item=AgentMessageItem(id=item_id, text="")
                )
            )
        elif self.visible and kind == "reasoning":
            self.out.emit(
                ItemStartedEvent(turn_id=self.out.turn_id, item=ReasoningItem(id=item_id))
            )
        return item_id

    def emit(self, msg: EventMsg) -> None:
        if self.visible:
            self.out.emit(msg)

    def hold(self, msg: EventMsg) -> None:
        """Completion events wait for the response to complete: a retried attempt's items
        must never be shown as completed."""
        if self.visible:
            self.held.append(msg)

    def release(self) -> None:
        for msg in self.held:
            self.out.emit(msg)
        self.held.clear()

    def searched(self, key: str, query: str) -> None:
        """A hosted web search: its item, shown once the response completes."""
        turn_id = self.out.turn_id
        item = WebSearchItem(id=self.item_id(key, "webSearch"), query=query)
        self.hold(ItemStartedEvent(turn_id=turn_id, item=item))
        self.hold(WebSearchEndEvent(turn_id=turn_id, item_id=item.id, call_id=key, query=query))
        self.hold(ItemCompletedEvent(turn_id=turn_id, item=item))

    def done(self, key: str, item: HistoryItem) -> None:
        self.result.items.append(item)
        turn_id = self.out.turn_id
        if isinstance(item, AssistantMessage):
            item_id = self.item_id(key, "message")
            self.hold(AgentMessageEvent(turn_id=turn_id, item_id=item_id, message=item.text))
            self.hold(
                ItemCompletedEvent(
                    turn_id=turn_id, item=AgentMessageItem(id=item_id, text=item.text)
                )
            )
        elif isinstance(item, Reasoning):
            item_id = self.item_id(key, "reasoning")
            for text in item.summary:
                self.hold(AgentReasoningEvent(turn_id=turn_id, item_id=item_id, text=text))
            for text in item.content:
                self.hold(
                    AgentReasoningRawContentEvent(turn_id=turn_id, item_id=item_id, text=text)
                )
            final = ReasoningItem(id=item_id, summary_text=item.summary, raw_content=item.content)
            self.hold(ItemCompletedEvent(turn_id=turn_id, item=final))


async def sample(
    client: ModelClient,
    prompt: Prompt,
    info: ModelProviderInfo,
    out: EventEmitter,
    *,
    visible: bool = True,
) -> SampleResult:
    """Stream one response (with retries). ``visible=False`` streams without client events."""
    attempt = _Attempt(out, visible)
    turn_id = out.turn_id
    async for event in stream_with_retries(client, prompt, info):
        if isinstance(event, OutputTextDelta):
            item_id = attempt.item_id(event.key, "message")
            attempt.emit(
                AgentMessageDeltaEvent(turn_id=turn_id, item_id=item_id, delta=event.delta)
            )
        elif isinstance(event, ReasoningSummaryDelta):
            item_id = attempt.item_id(event.key, "reasoning")
            attempt.emit(
                AgentReasoningDeltaEvent(
                    turn_id=turn_id,
                    item_id=item_id,
                    delta=event.delta,
                    summary_index=event.summary_index,
                )
            )
        elif isinstance(event, ReasoningContentDelta):
            item_id = attempt.item_id(event.key, "reasoning")
            attempt.emit(
                AgentReasoningRawContentDeltaEvent(
                    turn_id=turn_id, item_id=item_id, delta=event.delta
                )
            )
        elif isinstance(event, ReasoningSummaryPartAdded):
            item_id = attempt.item_id(event.key, "reasoning")
            if event.summary_index > 0:
                attempt.emit(
                    AgentReasoningSectionBreakEvent(
                        turn_id=turn_id, item_id=item_id, summary_index=event.summary_index
                    )
                )
        elif isinstance(event, OutputItemAdded):
            if event.kind != "tool_call":
                attempt.item_id(event.key, event.kind)
        elif isinstance(event, OutputItemDone):
            attempt.done(event.key, event.item)
        elif isinstance(event, HostedSearchDone):
            attempt.searched(event.key, event.query)
        elif isinstance(event, Completed):
            attempt.result.usage = event.usage
            attempt.result.stop_reason = event.stop_reason
            attempt.release()
        elif isinstance(event, Retrying):
            out.emit(
                StreamErrorEvent(
                    message=event.message,
                    codex_error_info=event.error_info,
                    attempt=event.attempt,
                    max_attempts=event.max_attempts,
                    retry_in_ms=int(event.delay_s * 1000),
                )
            )
            attempt = _Attempt(out, visible)
    return attempt.result
