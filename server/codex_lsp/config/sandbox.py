"""The sandbox policy a sandbox mode gives under a configuration (its ``[sandbox_workspace_write]``
table), for the mode switches of every front end."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from codex_lsp.config.model import Config
from codex_lsp.protocol.policies import (
    DangerFullAccess,
    ReadOnly,
    SandboxMode,
    WorkspaceWrite,
    sandbox_policy_for_mode,
)

Policy = DangerFullAccess | ReadOnly | WorkspaceWrite


def sandbox_policy(mode: SandboxMode, config: Config, extra_roots: Sequence[Path] = ()) -> Policy:
    """The sandbox of ``mode`` under ``config``, ``extra_roots`` writable too (workspace-write
    only)."""
    policy = sandbox_policy_for_mode(mode)
    if isinstance(policy, WorkspaceWrite):
        ws = config.sandbox_workspace_write
        policy = WorkspaceWrite(
            writable_roots=list(dict.fromkeys([*ws.writable_roots, *extra_roots])),
            network_access=ws.network_access,
            exclude_tmpdir_env_var=ws.exclude_tmpdir_env_var,
            exclude_slash_tmp=ws.exclude_slash_tmp,
        )
    return policy
