"""The client's answers to the server's requests: an approval's decision and the answers to the
model's questions."""

from pydantic import Field

from codex_lsp.protocol.base import WireModel
from codex_lsp.protocol.policies import ReviewDecision


class UserInputAnswer(WireModel):
    """The answers to one question: the chosen option's label, or the user's own words."""

    answers: list[str] = Field(max_length=10)


class RequestUserInputResult(WireModel):
    """The client's answer: by question id. Questions left out are unanswered; an empty map
    (or an error) means the user dismissed the questions."""

    answers: dict[str, UserInputAnswer] = Field(default_factory=dict)


class ApprovalResult(WireModel):
    """The client's answer to an approval request."""

    decision: ReviewDecision
    rejected_hunks: dict[str, list[int]] = Field(
        default_factory=dict,
        description="For an approved patch: per file, the hunks the user rejected (0-based, in "
        "the order of the file's unifiedDiff; 0 stands for a whole added or deleted file). The "
        "rest is applied, and the model is told what was rejected.",
    )
