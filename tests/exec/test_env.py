"""Credentials never reach the commands the model runs; the environment policy is Codex's."""

from __future__ import annotations

from codex_lsp.config.model import ShellEnvironmentPolicy
from codex_lsp.exec.env import command_env

SOURCE = {
    "PATH": "/bin",
    "HOME": "/h",
    "OPENAI_API_KEY": "sk-1",
    "GITHUB_TOKEN": "t",
    "aws_secret_access_key": "s",
    "AWS_REGION": "eu",
    "LANG": "C",
    "EDITOR": "vi",
}


def test_credential_like_variables_are_dropped_by_default() -> None:
    assert command_env(source=SOURCE) == {
        "PATH": "/bin",
        "HOME": "/h",
        "AWS_REGION": "eu",
        "LANG": "C",
        "EDITOR": "vi",
    }


def test_inherit_core_and_none() -> None:
    core = command_env(ShellEnvironmentPolicy(inherit="core"), SOURCE)
    assert core == {"PATH": "/bin", "HOME": "/h", "LANG": "C"}
    assert command_env(ShellEnvironmentPolicy(inherit="none", set={"CI": "1"}), SOURCE) == {
        "CI": "1"
    }


def test_exclude_set_include_only_in_codex_order() -> None:
    policy = ShellEnvironmentPolicy(
        exclude=["aws_*"], set={"CI": "1", "EDITOR": "nano"}, include_only=["PATH", "C*", "ED*"]
    )
    assert command_env(policy, SOURCE) == {"PATH": "/bin", "CI": "1", "EDITOR": "nano"}


def test_default_excludes_can_be_turned_off() -> None:
    env = command_env(ShellEnvironmentPolicy(ignore_default_excludes=True), SOURCE)
    assert env["OPENAI_API_KEY"] == "sk-1"
