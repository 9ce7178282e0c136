"""The one exception hierarchy of codex-lsp.

Every error raised on purpose inside the package derives from :class:`CodexError`. Each class says
whether retrying the same operation can help (``retryable``) and carries context for the message a
user sees. Lower-layer errors (httpx, OS errors) are mapped at the boundary that meets them.

::

    CodexError
    ├── ConfigError                 bad config.toml / -c override / settings   (permanent)
    ├── ProtocolError               bad params from a client                   (permanent)
    │   └── UnknownConversationError
    ├── ProviderError               the model provider failed
    │   ├── ProviderConnectionError connection refused/reset, DNS              (retryable)
    │   ├── ProviderHTTPError       non-2xx answer; retryable for 408/409/429/5xx
    │   ├── StreamDroppedError      the SSE stream ended before completion     (retryable)
    │   ├── StreamIdleTimeoutError  no bytes for stream_idle_timeout_ms        (retryable)
    │   ├── InvalidResponseError    an answer outside the API's format: HTML or JSON instead of
    │   │                           events, a missing field (permanent); a line that is not
    │   │                           JSON (retryable)
    │   ├── ContextWindowExceededError                                         (permanent)
    │   └── NoProviderError         nothing configured or detected             (permanent)
    ├── ToolError                   a tool call could not be carried out       (permanent)
    ├── StoreError                  the conversation store failed; retryable when busy
    ├── McpError                    an MCP server failed, hung or refused      (permanent)
    ├── ReviewAnswerError           a reviewer's answer is not the findings    (permanent)
    ├── SpeckitError                a spec-kit command cannot go on            (permanent)
    │   └── BudgetExceededError     the SPEC's budget is spent (hard_stop)     (permanent)
    └── SandboxError                the sandbox could not be set up            (permanent)
"""

from __future__ import annotations


class CodexError(Exception):
    """Base class: a message meant for the user, plus whether a retry may succeed."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if retryable is not None:
            self.retryable = retryable


class ConfigError(CodexError):
    """The configuration is invalid; the message names the key and the source."""


class ProtocolError(CodexError):
    """A client sent a request the server cannot accept."""


class UnknownTerminalError(ProtocolError):
    """A terminal id (``write_stdin``'s ``session_id``, ``codex/killTerminal``'s ``terminalId``)
    names no running terminal of the conversation."""


class UnknownConversationError(ProtocolError):
    """A request named a conversation id this server does not know."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__(
            f"unknown conversation id {conversation_id!r}: start one with codex/newConversation "
            "or list the open ones with codex/listConversations"
        )
        self.conversation_id = conversation_id


class ProviderError(CodexError):
    """The model provider failed. ``error_info`` is the machine-readable kind sent to clients."""

    error_info: str = "other"


class ProviderConnectionError(ProviderError):
    """The provider could not be reached."""

    retryable = True
    error_info = "httpConnectionFailed"


class ProviderHTTPError(ProviderError):
    """The provider answered with a non-success HTTP status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        retry_after: float | None = None,
        error_info: str | None = None,
    ) -> None:
        super().__init__(message, retryable=status in (408, 409, 429) or status >= 500)
        self.status = status
        self.retry_after = retry_after
        self.error_info = error_info or _error_info_for_status(status)


class StreamDroppedError(ProviderError):
    """The response stream closed before the provider said it was complete."""

    retryable = True
    error_info = "responseStreamDisconnected"


class StreamIdleTimeoutError(StreamDroppedError):
    """No data arrived on the stream within the idle timeout."""


class InvalidResponseError(ProviderError):
    """The provider answered, but not in its API's format (a captive portal's page, a wrong
    base_url, an event without a field it must have). The message quotes what was sent."""

    error_info = "invalidResponse"


class ContextWindowExceededError(ProviderError):
    """The prompt is larger than the model's context window."""

    error_info = "contextWindowExceeded"


class NoProviderError(ProviderError):
    """No model provider is configured and none could be detected."""


class ToolError(CodexError):
    """A tool call was malformed or failed before it could run; the text goes to the model."""


class StoreError(CodexError):
    """The conversation store (SQLite) could not be opened, read or written."""


class McpError(CodexError):
    """An MCP server could not be started or used; the message names it and says why."""


class ReviewAnswerError(CodexError):
    """A reviewer's answer is not the findings' JSON; the message says what was wrong."""


class SpeckitError(CodexError):
    """A spec-kit command cannot run or go on: an unknown SPEC, a folder that cannot be
    created, an evidence limit; the message says what to do."""


class BudgetExceededError(SpeckitError):
    """The SPEC's spec-kit budget is spent and ``speckit.hard_stop`` is on: no agent is asked."""


class SandboxError(CodexError):
    """The configured sandbox could not be applied, so the command was not run."""


def _error_info_for_status(status: int) -> str:
    if status in {401, 403}:
        return "unauthorized"
    if status in {400, 404, 422}:
        return "badRequest"
    if status == 429:
        return "usageLimitExceeded"
    if status in {503, 529}:
        return "serverOverloaded"
    if status >= 500:
        return "internalServerError"
    return "other"


def bug_message(what: str, exc: BaseException) -> str:
    """What a user is told when codex-lsp itself fails (an exception outside
    :class:`CodexError`, i.e. a bug, not the outside world): that it is a bug, what it broke, and
    where the details are — the traceback goes to the log, not to the user."""
    detail = str(exc).strip() or "no detail"
    return (
        f"codex-lsp failed while handling {what} ({detail}); this is a bug in codex-lsp, not "
        "something you did. The server keeps running; its log has the details — please report it."
    )
