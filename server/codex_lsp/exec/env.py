"""The environment a command gets: the server's, minus anything that looks like a credential.

API keys must never reach commands the model runs. Until the full ``shell_environment_policy``
exists, variables whose names contain KEY, SECRET or TOKEN (any case) are dropped, as Codex's
default exclude patterns do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

_SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN", re.IGNORECASE)


def command_env(source: Mapping[str, str] | None = None) -> dict[str, str]:
    """``source`` (default: this process's environment) without credential-like variables."""
    env = os.environ if source is None else source
    return {name: value for name, value in env.items() if not _SECRET_NAME.search(name)}
