"""Policies and settings that a turn runs under (Codex's AskForApproval, SandboxPolicy, ...)."""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from codex_lsp.protocol.base import WireModel
from codex_lsp.protocol.limits import WirePath


class AskForApproval(StrEnum):
    """When the agent must ask the user before running a command (Codex semantics)."""

    UNTRUSTED = "untrusted"
    ON_FAILURE = "on-failure"
    ON_REQUEST = "on-request"
    NEVER = "never"


class SandboxMode(StrEnum):
    """The sandbox a user picks by name (``sandbox_mode`` in config.toml)."""

    READ_ONLY = "read-only"
    WORKSPACE_WRITE = "workspace-write"
    DANGER_FULL_ACCESS = "danger-full-access"


class ReasoningEffort(StrEnum):
    """How hard a reasoning model should think."""

    NONE = "none"
    MINIMAL = "minimal"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    XHIGH = "xhigh"


class Verbosity(StrEnum):
    """How long the model's answers should be (GPT-5 family on the Responses API)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ReasoningSummary(StrEnum):
    """How much of its reasoning a model should summarise for the user."""

    AUTO = "auto"
    CONCISE = "concise"
    DETAILED = "detailed"
    NONE = "none"


class DangerFullAccess(WireModel):
    """No sandbox at all."""

    type: Literal["danger-full-access"] = "danger-full-access"


class ReadOnly(WireModel):
    """Commands may read anything and write nothing."""

    type: Literal["read-only"] = "read-only"
    network_access: bool = False


class WorkspaceWrite(WireModel):
    """Commands may write in the workspace (cwd), the extra writable roots, and temp dirs."""

    type: Literal["workspace-write"] = "workspace-write"
    writable_roots: list[WirePath] = []
    network_access: bool = False
    exclude_tmpdir_env_var: bool = False
    exclude_slash_tmp: bool = False


SandboxPolicy = Annotated[DangerFullAccess | ReadOnly | WorkspaceWrite, Field(discriminator="type")]


def sandbox_policy_for_mode(mode: SandboxMode) -> DangerFullAccess | ReadOnly | WorkspaceWrite:
    """The default policy object for a sandbox mode name."""
    if mode is SandboxMode.READ_ONLY:
        return ReadOnly()
    if mode is SandboxMode.WORKSPACE_WRITE:
        return WorkspaceWrite()
    return DangerFullAccess()


class ReviewDecision(StrEnum):
    """A user's answer to an approval request."""

    APPROVED = "approved"
    APPROVED_FOR_SESSION = "approvedForSession"
    APPROVED_ALWAYS = "approvedAlways"
    DENIED = "denied"
    DENIED_ALWAYS = "deniedAlways"
    """Denied, and never again: a command gets a deny rule (``rules.toml``), a patch or an MCP
    tool is refused without asking for the rest of the conversation."""
    ABORT = "abort"
