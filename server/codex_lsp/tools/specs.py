"""The specs of the built-in tools (name, description, JSON schema): what the model is offered
in every request, as static data. Their handlers' modules load at a tool's first call (see
:class:`codex_lsp.tools.registry.LazyHandler`), so a turn that calls no tool never imports them."""

from enum import StrEnum

from codex_lsp.protocol.tool_specs import FreeformToolSpec, FunctionToolSpec

MAX_RESULTS = 10
"""Most results ``web_search`` returns."""

SHELL = FunctionToolSpec(
    name="shell",
    description=(
        "Runs a shell command and returns its output. `command` is an argv list for execvp "
        '(use ["bash", "-lc", "..."] for shell syntax) or a single script string. Always '
        "set `workdir` instead of using cd. Set with_escalated_permissions and a justification "
        "only when the command needs to run outside the sandbox."
    ),
    parameters={
        "type": "object",
        "properties": {
            "command": {
                "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}],
                "description": "The command to execute",
            },
            "workdir": {
                "type": "string",
                "description": "The working directory to execute the command in",
            },
            "timeout_ms": {
                "type": "number",
                "description": "The timeout for the command in milliseconds",
            },
            "with_escalated_permissions": {
                "type": "boolean",
                "description": "Request escalated permissions (run without the sandbox).",
            },
            "justification": {
                "type": "string",
                "description": "With escalation: one sentence asking the user to approve.",
            },
        },
        "required": ["command"],
        "additionalProperties": False,
    },
)


class SandboxPermissions(StrEnum):
    """Whether the command runs in the sandbox (the default) or asks to run outside it."""

    USE_DEFAULT = "use_default"
    REQUIRE_ESCALATED = "require_escalated"


_YIELD = "How long to wait for output before returning, in ms ({default} by default; 250-30000)."
_TOKENS = "Most tokens of output to return (10000 by default; the rest is cut from the middle)."


EXEC_COMMAND = FunctionToolSpec(
    name="exec_command",
    description=(
        "Runs a command, optionally in a PTY, returning its output, or a session ID for "
        "ongoing interaction when it is still running (servers, watchers, REPLs): poll it or "
        "type into it with write_stdin."
    ),
    parameters={
        "type": "object",
        "properties": {
            "cmd": {"type": "string", "description": "Shell command to execute."},
            "workdir": {
                "type": "string",
                "description": "Working directory for the command; defaults to the turn cwd.",
            },
            "shell": {
                "type": "string",
                "description": "Shell binary to launch; defaults to bash.",
            },
            "login": {
                "type": "boolean",
                "description": "Run the shell with -l (login) semantics; defaults to true.",
            },
            "tty": {
                "type": "boolean",
                "description": "Allocate a PTY (needed to write to stdin); defaults to false.",
            },
            "yield_time_ms": {"type": "number", "description": _YIELD.format(default=10000)},
            "max_output_tokens": {"type": "number", "description": _TOKENS},
            "sandbox_permissions": {
                "type": "string",
                "enum": [p.value for p in SandboxPermissions],
                "description": "require_escalated to ask to run outside the sandbox.",
            },
            "justification": {
                "type": "string",
                "description": "With require_escalated: one sentence asking the user to approve.",
            },
        },
        "required": ["cmd"],
        "additionalProperties": False,
    },
)


WRITE_STDIN = FunctionToolSpec(
    name="write_stdin",
    description=(
        "Writes characters to a running exec_command session (started with tty) and returns "
        "its new output; empty chars polls without writing."
    ),
    parameters={
        "type": "object",
        "properties": {
            "session_id": {
                "type": "number",
                "description": "Identifier of the running exec_command session.",
            },
            "chars": {
                "type": "string",
                "description": "Characters to write to stdin; empty (the default) just polls.",
            },
            "yield_time_ms": {"type": "number", "description": _YIELD.format(default=250)},
            "max_output_tokens": {"type": "number", "description": _TOKENS},
        },
        "required": ["session_id"],
        "additionalProperties": False,
    },
)


UPDATE_PLAN = FunctionToolSpec(
    name="update_plan",
    description=(
        "Updates the task plan. Provide an optional explanation and a list of plan items, each "
        "with a step and status. At most one step can be in_progress at a time."
    ),
    parameters={
        "type": "object",
        "properties": {
            "explanation": {"type": "string"},
            "plan": {
                "type": "array",
                "description": "The list of steps",
                "items": {
                    "type": "object",
                    "properties": {
                        "step": {"type": "string"},
                        "status": {
                            "type": "string",
                            "enum": ["pending", "in_progress", "completed"],
                        },
                    },
                    "required": ["step", "status"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["plan"],
        "additionalProperties": False,
    },
)


_OPTION = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "description": "A short answer (1-5 words)."},
        "description": {"type": "string", "description": "What choosing it means."},
    },
    "required": ["label", "description"],
    "additionalProperties": False,
}


REQUEST_USER_INPUT = FunctionToolSpec(
    name="request_user_input",
    description=(
        "Request user input for one to three short questions and wait for the response. Before "
        "calling this tool, send a user-facing update that summarizes the available choices and "
        "why you need them."
    ),
    parameters={
        "type": "object",
        "properties": {
            "questions": {
                "type": "array",
                "description": "One to three questions.",
                "minItems": 1,
                "maxItems": 3,
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "description": "A stable id (snake_case)."},
                        "header": {"type": "string", "description": "A short title."},
                        "question": {"type": "string", "description": "One sentence."},
                        "options": {"type": "array", "items": _OPTION, "minItems": 1},
                    },
                    "required": ["id", "header", "question", "options"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["questions"],
        "additionalProperties": False,
    },
)


LARK_GRAMMAR = r"""start: begin_patch hunk+ end_patch
begin_patch: "*** Begin Patch" LF
end_patch: "*** End Patch" LF?

hunk: add_hunk | delete_hunk | update_hunk
add_hunk: "*** Add File: " filename LF add_line+
delete_hunk: "*** Delete File: " filename LF
update_hunk: "*** Update File: " filename LF change_move? change?

filename: /(.+)/
add_line: "+" /(.*)/ LF -> line

change_move: "*** Move to: " filename LF
change: (change_context | change_line)+ eof_line?
change_context: ("@@" | "@@ " /(.+)/) LF
change_line: ("+" | "-" | " ") /(.*)/ LF
eof_line: "*** End of File" LF

%import common.LF
"""


_APPLY_PATCH_DESCRIPTION = (
    "Use the `apply_patch` tool to edit files. The patch language is a stripped-down, "
    "file-oriented diff format:\n*** Begin Patch\n[ one or more file sections ]\n*** End Patch\n"
    "Each file section starts with '*** Add File: <path>' (every following line starts with +), "
    "'*** Delete File: <path>', or '*** Update File: <path>' (optionally followed by "
    "'*** Move to: <new path>'), then hunks introduced by '@@' (optionally '@@ <class or function "
    "line>' to locate the change). In hunks, ' ' lines are context, '-' removed, '+' added. Show "
    "3 lines of context above and below each change. Paths are relative to the working directory."
)


APPLY_PATCH_FREEFORM = FreeformToolSpec(
    name="apply_patch", description=_APPLY_PATCH_DESCRIPTION, grammar=LARK_GRAMMAR
)


APPLY_PATCH_FUNCTION = FunctionToolSpec(
    name="apply_patch",
    description=_APPLY_PATCH_DESCRIPTION,
    parameters={
        "type": "object",
        "properties": {
            "input": {
                "type": "string",
                "description": "The entire contents of the apply_patch command",
            }
        },
        "required": ["input"],
        "additionalProperties": False,
    },
)


VIEW_IMAGE = FunctionToolSpec(
    name="view_image",
    description="Attach a local image (screenshot, diagram, ...) so you can see it.",
    parameters={
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "Image file (absolute or relative to cwd)"}
        },
        "required": ["path"],
        "additionalProperties": False,
    },
)


READ_FILE = FunctionToolSpec(
    name="read_file",
    description=(
        "Reads a text file with 1-based line numbers (`L12: text`). "
        "Use offset and limit for long files."
    ),
    parameters={
        "type": "object",
        "properties": {
            "file_path": {
                "type": "string",
                "description": "Path to the file (absolute or relative to cwd)",
            },
            "offset": {
                "type": "number",
                "description": "First line to return, 1-based (default 1)",
            },
            "limit": {"type": "number", "description": "Most lines to return (default 2000)"},
        },
        "required": ["file_path"],
        "additionalProperties": False,
    },
)


LIST_DIR = FunctionToolSpec(
    name="list_dir",
    description=(
        "Lists a directory's entries up to `depth` levels (folders end with `/`), "
        "paged by offset and limit."
    ),
    parameters={
        "type": "object",
        "properties": {
            "dir_path": {
                "type": "string",
                "description": "Directory (absolute or relative to cwd)",
            },
            "offset": {"type": "number", "description": "First entry to return, 1-based"},
            "limit": {"type": "number", "description": "Most entries to return (default 25)"},
            "depth": {"type": "number", "description": "How deep to descend (default 2)"},
        },
        "required": ["dir_path"],
        "additionalProperties": False,
    },
)


GREP_FILES = FunctionToolSpec(
    name="grep_files",
    description="Finds files whose contents match a regex; newest first. Honours .gitignore.",
    parameters={
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "description": "Regular expression"},
            "include": {
                "type": "string",
                "description": "Glob the file names must match, e.g. *.py",
            },
            "path": {"type": "string", "description": "Folder to search (default cwd)"},
            "limit": {"type": "number", "description": "Most files to return (default 100)"},
        },
        "required": ["pattern"],
        "additionalProperties": False,
    },
)


FETCH_URL = FunctionToolSpec(
    name="fetch_url",
    description=(
        "Fetch a web page (http or https) and return it as readable text (HTML converted to "
        "Markdown). Text pages only, up to 2 MiB."
    ),
    parameters={
        "type": "object",
        "properties": {"url": {"type": "string", "description": "The http(s) URL to fetch"}},
        "required": ["url"],
        "additionalProperties": False,
    },
)


WEB_SEARCH = FunctionToolSpec(
    name="web_search",
    description=(
        "Search the web. Returns titles, URLs and snippets; read a result with fetch_url."
    ),
    parameters={
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "What to search for"},
            "max_results": {
                "type": "number",
                "description": f"Most results to return (default 5, at most {MAX_RESULTS})",
            },
        },
        "required": ["query"],
        "additionalProperties": False,
    },
)
