"""The environment a command gets, by ``[shell_environment_policy]``: API keys never reach
commands unless the user says so (the default excludes drop *KEY*, *SECRET*, *TOKEN*), and the
variables the config names as credentials (``env_key``, the ``env_http_headers`` variables,
``bearer_token_env_var``: :func:`codex_lsp.config.secrets.credential_variables`) never do,
whatever their names."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Collection, Mapping

from codex_lsp.config.model import EnvironmentInherit, ShellEnvironmentPolicy

CORE_VARIABLES = (
    "HOME",
    "LOGNAME",
    "PATH",
    "SHELL",
    "USER",
    "USERNAME",
    "TMPDIR",
    "TEMP",
    "TMP",
    "LANG",
    "TERM",
)
DEFAULT_EXCLUDES = ("*KEY*", "*SECRET*", "*TOKEN*")


def _matches(name: str, patterns: tuple[str, ...] | list[str]) -> bool:
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, pattern.upper()) for pattern in patterns)


def command_env(
    policy: ShellEnvironmentPolicy | None = None,
    source: Mapping[str, str] | None = None,
    credentials: Collection[str] = (),
) -> dict[str, str]:
    """``source`` (default: this process's environment) filtered by ``policy``, without the
    ``credentials`` variables unless ``policy.set`` gives one a value explicitly."""
    policy = policy or ShellEnvironmentPolicy()
    env = dict(os.environ if source is None else source)
    if policy.inherit is EnvironmentInherit.CORE:
        env = {k: v for k, v in env.items() if k in CORE_VARIABLES}
    elif policy.inherit is EnvironmentInherit.NONE:
        env = {}
    if not policy.ignore_default_excludes:
        env = {k: v for k, v in env.items() if not _matches(k, DEFAULT_EXCLUDES)}
    env = {k: v for k, v in env.items() if k not in credentials}
    if policy.exclude:
        env = {k: v for k, v in env.items() if not _matches(k, policy.exclude)}
    env.update(policy.set)
    if policy.include_only:
        env = {k: v for k, v in env.items() if _matches(k, policy.include_only)}
    return env
