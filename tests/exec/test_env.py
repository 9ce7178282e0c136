"""Credentials never reach the commands the model runs."""

from __future__ import annotations

from codex_lsp.exec.env import command_env


def test_credential_like_variables_are_dropped() -> None:
    env = command_env(
        {
            "PATH": "/bin",
            "HOME": "/h",
            "OPENAI_API_KEY": "sk-1",
            "GITHUB_TOKEN": "t",
            "aws_secret_access_key": "s",
            "ANTHROPIC_API_KEY": "k",
            "LANG": "C",
        }
    )
    assert env == {"PATH": "/bin", "HOME": "/h", "LANG": "C"}
