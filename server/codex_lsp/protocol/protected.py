"""The folders the agent never writes without an approval that names them. Imports nothing, so
the sandbox launcher (which starts before every command) can read it without loading pydantic."""

PROTECTED_FOLDERS = (".git", ".codex", ".codex-lsp")
"""git's hooks and config, and the configuration of Codex and of codex-lsp (a planted config
could lift the sandbox). Patches protect them at any depth; commands at the top of every writable
root."""
