"""Prompt texts shipped with the package."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def load_prompt(name: str) -> str:
    """The text of ``prompts/<name>.md`` (package data, installed as files: read directly,
    not through ``importlib.resources``' readers, ~2 ms of every turn's start)."""
    return Path(__file__).with_name(f"{name}.md").read_text(encoding="utf-8")
