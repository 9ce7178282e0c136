"""The typed configuration tree. Keys and meanings follow Codex's ``config.toml``, so an
existing Codex config works unchanged."""

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from codex_lsp.config.speckit import AgentConfig, SpeckitConfig, check_speckit
from codex_lsp.protocol.policies import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxMode,
    Verbosity,
)


class WireApi(StrEnum):
    """Which HTTP API a provider speaks."""

    RESPONSES = "responses"
    CHAT = "chat"
    ANTHROPIC = "anthropic"


class WebSearchMode(StrEnum):
    """The Responses API's hosted ``web_search`` tool: off, on the provider's cached index, or
    live on the web."""

    DISABLED = "disabled"
    CACHED = "cached"
    LIVE = "live"


class _Section(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ModelProviderInfo(_Section):
    """One ``[model_providers.<id>]`` entry: where and how to reach a model API."""

    name: str = Field(default="", description="Display name.")
    base_url: str | None = Field(
        default=None, description="API base URL, e.g. https://api.openai.com/v1."
    )
    env_key: str | None = Field(
        default=None, description="Environment variable holding the API key."
    )
    env_key_instructions: str | None = Field(
        default=None, description="How to get a key (shown in errors)."
    )
    wire_api: WireApi = Field(default=WireApi.CHAT, description="responses, chat or anthropic.")
    query_params: dict[str, str] = Field(
        default_factory=dict, description="Added to every request URL."
    )
    http_headers: dict[str, str] = Field(default_factory=dict, description="Static extra headers.")
    env_http_headers: dict[str, str] = Field(
        default_factory=dict, description="Header name → environment variable holding its value."
    )
    request_max_retries: int = Field(
        default=4, ge=0, le=100, description="Retries of a failed request."
    )
    stream_max_retries: int = Field(
        default=5, ge=0, le=100, description="Reconnects of a dropped stream."
    )
    stream_idle_timeout_ms: int = Field(
        default=300_000, ge=1, description="A stream silent this long is treated as dropped."
    )
    default_model: str | None = Field(default=None, description="Model used when `model` is unset.")


def builtin_providers() -> dict[str, ModelProviderInfo]:
    """The providers every installation knows: openai, ollama and anthropic."""
    return {
        "openai": ModelProviderInfo(
            name="OpenAI",
            base_url="https://api.openai.com/v1",
            env_key="OPENAI_API_KEY",
            env_key_instructions="Create a key at https://platform.openai.com/api-keys",
            wire_api=WireApi.RESPONSES,
            default_model="gpt-5-codex",
        ),
        "ollama": ModelProviderInfo(
            name="Ollama",
            base_url="http://localhost:11434/v1",
            wire_api=WireApi.CHAT,
            default_model="gpt-oss:20b",
        ),
        "anthropic": ModelProviderInfo(
            name="Anthropic",
            base_url="https://api.anthropic.com/v1",
            env_key="ANTHROPIC_API_KEY",
            env_key_instructions="Create a key at https://console.anthropic.com/settings/keys",
            wire_api=WireApi.ANTHROPIC,
            default_model="claude-sonnet-4-5",
        ),
    }


class SandboxWorkspaceWrite(_Section):
    """``[sandbox_workspace_write]``: extra settings of the workspace-write sandbox."""

    writable_roots: list[Path] = Field(default=[], description="More writable folders.")
    network_access: bool = Field(default=False, description="Allow network access.")
    exclude_tmpdir_env_var: bool = Field(default=False, description="Do not make $TMPDIR writable.")
    exclude_slash_tmp: bool = Field(default=False, description="Do not make /tmp writable.")


class EnvironmentInherit(StrEnum):
    """Which of the server's environment variables commands start from."""

    ALL = "all"
    CORE = "core"
    NONE = "none"


class ShellEnvironmentPolicy(_Section):
    """``[shell_environment_policy]``: the environment commands run with (Codex's schema).
    Applied in order: inherit, default excludes, exclude, set, include_only. The variables the
    config names as credentials (``env_key``, the ``env_http_headers`` variables,
    ``bearer_token_env_var``) are always dropped; only ``set`` can give one to commands."""

    inherit: EnvironmentInherit = Field(
        default=EnvironmentInherit.ALL,
        description="all, core (HOME, PATH, SHELL, USER, ...) or none.",
    )
    ignore_default_excludes: bool = Field(
        default=False,
        description="Keep variables matching *KEY*, *SECRET*, *TOKEN* (the variables the config "
        "names as credentials are dropped all the same).",
    )
    exclude: list[str] = Field(default=[], description="Glob patterns to drop (case-insensitive).")
    set: dict[str, str] = Field(
        default_factory=dict,
        description="Variables to set (the one way to give commands a credential variable).",
    )
    include_only: list[str] = Field(
        default=[], description="If not empty, keep only variables matching these globs."
    )


class CommandRulesConfig(_Section):
    """``[command_rules]``: command prefixes (argv lists) that run without asking (``allow``) or
    never run (``deny``). Deny always wins; rules saved from approval prompts live in
    ``$CODEX_LSP_HOME/rules.toml`` and are merged with these."""

    allow: list[list[str]] = Field(default=[], description='e.g. [["npm", "test"]]')
    deny: list[list[str]] = Field(default=[], description='e.g. [["git", "push"]]')


class McpServerConfig(_Section):
    """``[mcp_servers.<name>]`` (Codex's schema): a stdio server (``command``…) or a streamable
    HTTP one (``url``…). Started and managed by the MCP client manager."""

    command: str | None = Field(default=None, description="Program of a stdio server.")
    args: list[str] = Field(default=[], description="Its arguments.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")
    cwd: Path | None = Field(default=None, description="Its working directory.")
    url: str | None = Field(default=None, description="URL of a streamable HTTP server.")
    bearer_token_env_var: str | None = Field(
        default=None, description="Env var holding its bearer token."
    )
    http_headers: dict[str, str] = Field(default_factory=dict, description="Extra HTTP headers.")
    startup_timeout_sec: float = Field(
        default=10.0, gt=0, description="Seconds to wait for it to start."
    )
    tool_timeout_sec: float = Field(default=60.0, gt=0, description="Seconds a tool call may take.")
    enabled: bool = Field(default=True, description="Start it.")
    enabled_tools: list[str] | None = Field(default=None, description="Only these tools.")
    disabled_tools: list[str] = Field(default=[], description="Never these tools.")


class LogLevel(StrEnum):
    """How much the language server writes to the editor's log."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    DEBUG = "debug"


class HistoryPersistence(StrEnum):
    """Whether prompts are written to ``history.jsonl``."""

    SAVE_ALL = "save-all"
    NONE = "none"


class HistoryConfig(_Section):
    """``[history]``: the prompt history file ``$CODEX_LSP_HOME/history.jsonl`` (for recall)."""

    persistence: HistoryPersistence = Field(
        default=HistoryPersistence.SAVE_ALL, description="save-all or none."
    )
    max_bytes: int | None = Field(
        default=None, ge=1, description="Trim the oldest lines past this size."
    )


class ToolsConfig(_Section):
    """``[tools]``: which optional tools the model is offered."""

    view_image: bool = Field(default=True, description="Offer view_image.")
    read_only_helpers: bool | None = Field(
        default=None,
        description="Offer read_file, list_dir and grep_files; by default to every model but the "
        "gpt-5 family on the Responses API (which uses shell).",
    )
    unified_exec: bool | None = Field(
        default=None,
        description="Offer exec_command and write_stdin (terminals that outlive the call, "
        "polled and typed into), besides shell; by default to the gpt-5 family on the "
        "Responses API.",
    )
    fetch_url: bool = Field(
        default=True,
        description="Offer fetch_url (a web page as readable text; needs network access in the "
        "sandbox policy, and asks under untrusted).",
    )
    web_search_url: str | None = Field(
        default=None,
        description="Base URL of a SearXNG instance with its JSON API enabled (e.g. "
        "http://127.0.0.1:8888); when set, the web_search function tool queries its "
        "/search?q=...&format=json (needs network access, asks under untrusted).",
    )


class SkillsConfig(_Section):
    """``[skills]``: the skills (folders with a SKILL.md) the model is told about."""

    disabled: list[str] = Field(
        default=[],
        description="Names of skills left out of the prompt and not invocable with $name.",
    )


class AcpConfig(_Section):
    """``[acp]``: the Agent Client Protocol front end (``codex-lsp acp``)."""

    client_terminals: bool = Field(
        default=False,
        description="Run commands in the client's terminals (terminal/*) when it offers them, "
        "still wrapped in the sandbox; otherwise they run here and their output is streamed.",
    )
    models: list[str] = Field(
        default=[],
        description="Models offered in the client's model picker, besides the current one and "
        "the profiles' models.",
    )


class ModelPrice(_Section):
    """``[model_price]``: what the model costs, in USD per million tokens, for the session cost
    shown to the user (the built-in table knows OpenAI's and Anthropic's published prices)."""

    input: float = Field(ge=0, description="USD per million input tokens.")
    cached_input: float = Field(
        default=0.0, ge=0, description="USD per million cached input tokens."
    )
    output: float = Field(ge=0, description="USD per million output (and reasoning) tokens.")


class Config(_Section):
    """The whole configuration, with Codex's key names and defaults."""

    model: str | None = Field(default=None, description="Model name; provider default when unset.")
    model_provider: str | None = Field(
        default=None, description="Provider id; detected (OpenAI key, local Ollama) when unset."
    )
    model_providers: dict[str, ModelProviderInfo] = Field(
        default_factory=dict, description="User-defined providers, merged over the built-ins."
    )
    model_reasoning_effort: ReasoningEffort | None = Field(
        default=None, description="Reasoning effort."
    )
    model_reasoning_summary: ReasoningSummary = Field(
        default=ReasoningSummary.AUTO, description="Reasoning summary detail."
    )
    model_verbosity: Verbosity | None = Field(
        default=None,
        description="Answer length for GPT-5 models on the Responses API (text.verbosity).",
    )
    model_context_window: int | None = Field(
        default=None, ge=1, description="Context window in tokens."
    )
    model_auto_compact_token_limit: int | None = Field(
        default=None,
        ge=1,
        description="Compact the history automatically before a request once the context holds "
        "this many tokens; 90% of the context window when unset.",
    )
    model_price: ModelPrice | None = Field(
        default=None,
        description="The model's price for the session cost; the built-in table when unset.",
    )
    web_search: WebSearchMode = Field(
        default=WebSearchMode.DISABLED,
        description="The hosted web_search tool on the Responses API: `cached` (the provider's "
        "index, no live access) or `live`; shown as webSearch items. Other wires use "
        "[tools] web_search_url.",
    )
    model_max_output_tokens: int = Field(
        default=32_000, ge=1, description="max_tokens for APIs that require it (Anthropic)."
    )
    approval_policy: AskForApproval = Field(
        default=AskForApproval.ON_REQUEST, description="When to ask before running commands."
    )
    review_patches: bool = Field(
        default=False,
        description="Ask before applying every patch, whatever the approval policy (except "
        "never); editors that can review per file and hunk apply only what was accepted.",
    )
    sandbox_mode: SandboxMode = Field(
        default=SandboxMode.WORKSPACE_WRITE,
        description="read-only, workspace-write, danger-full-access.",
    )
    sandbox_workspace_write: SandboxWorkspaceWrite = Field(default_factory=SandboxWorkspaceWrite)
    shell_environment_policy: ShellEnvironmentPolicy = Field(default_factory=ShellEnvironmentPolicy)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    command_rules: CommandRulesConfig = Field(default_factory=CommandRulesConfig)
    skills: SkillsConfig = Field(default_factory=SkillsConfig)
    history: HistoryConfig = Field(default_factory=HistoryConfig)
    mcp_servers: dict[str, McpServerConfig] = Field(
        default_factory=dict, description="MCP servers whose tools the model gets."
    )
    acp: AcpConfig = Field(default_factory=AcpConfig)
    notify: list[str] | None = Field(
        default=None,
        description="A program run after each finished turn, with a JSON payload as its last "
        'argument, e.g. ["notify-send", "codex-lsp"].',
    )
    project_doc_max_bytes: int = Field(
        default=32 * 1024, ge=0, description="Most bytes of AGENTS.md files put in the prompt."
    )
    project_doc_fallback_filenames: list[str] = Field(
        default=[],
        description="Names looked for in each folder when it has no AGENTS.override.md or "
        'AGENTS.md, in order, e.g. ["CLAUDE.md"].',
    )
    tool_output_max_bytes: int = Field(
        default=10 * 1024, ge=256, description="Most bytes of a command's output the model sees."
    )
    base_instructions: str | None = Field(
        default=None, description="Replace the built-in instructions."
    )
    profile: str | None = Field(default=None, description="The profile to use ([profiles.<name>]).")
    profiles: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Named sets of keys, selected with `profile` or --profile.",
    )
    projects: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='Per-project settings: [projects."/path"] trust_level = "trusted" lets that '
        "project's .codex-lsp/config.toml set any key.",
    )
    cwd: Path | None = Field(default=None, description="Working directory of new conversations.")
    log_level: LogLevel = Field(
        default=LogLevel.WARNING,
        description="What the language server writes to the editor's log (logMessage).",
    )
    state_db: Path | None = Field(
        default=None,
        description="The SQLite file conversations are stored in; $CODEX_LSP_HOME/state.db when "
        "unset. Read once at start-up.",
    )
    agents: list[AgentConfig] = Field(
        default=[],
        description="spec-kit agents ([[agents]]); with none, every stage runs on `model`.",
    )
    speckit: SpeckitConfig = Field(default_factory=SpeckitConfig)

    @field_validator("project_doc_fallback_filenames")
    @classmethod
    def _plain_file_names(cls, names: list[str]) -> list[str]:
        for name in names:
            if not name.strip() or "/" in name or "\\" in name or name.strip() in {".", ".."}:
                raise ValueError(
                    f"{name!r} is not a file name: project_doc_fallback_filenames lists names "
                    'looked for in each folder (e.g. "CLAUDE.md"), without a folder'
                )
        return names

    @model_validator(mode="after")
    def _check_speckit(self) -> "Config":
        check_speckit(self.agents, self.speckit, self.providers())
        return self

    def trusts(self, folder: Path) -> bool:
        """The user trusts the project at ``folder`` (``[projects."<folder>"] trust_level =
        "trusted"``; only the user's own files can set it)."""
        entry = self.projects.get(str(folder.resolve())) or self.projects.get(str(folder)) or {}
        return entry.get("trust_level") == "trusted"

    def providers(self) -> dict[str, ModelProviderInfo]:
        """Built-in providers overlaid with the user's (a user entry replaces a built-in)."""
        merged = builtin_providers()
        merged.update(self.model_providers)
        return merged
