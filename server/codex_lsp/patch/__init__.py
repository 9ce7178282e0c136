"""apply_patch: Codex's patch format, parsed and applied exactly as Codex does (pure: no LSP, no
approvals; callers decide where the edits go)."""
