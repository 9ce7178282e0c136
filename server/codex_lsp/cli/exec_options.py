"""What ``codex-lsp exec``'s flags ask for, checked before any conversation starts: a bad value
(a schema file that is not JSON, an image that is not one, a folder that does not exist, a
folder outside a Git repository) is a usage error that says which flag and what to do."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ConfigDict, TypeAdapter, ValidationError

from codex_lsp.config.overrides import ConfigOverrides
from codex_lsp.errors import ConfigError
from codex_lsp.images import image_data_url
from codex_lsp.local_files import read_regular
from codex_lsp.protocol.items import LocalImageInput, TextInput, UserInputItem
from codex_lsp.protocol.limits import (
    INPUT_ITEMS_MAX,
    INPUT_TEXT_MAX_CHARS,
    OUTPUT_SCHEMA_MAX_CHARS,
    OutputSchema,
)
from codex_lsp.protocol.ops import UserTurnOp

_SCHEMA = TypeAdapter(OutputSchema, config=ConfigDict(defer_build=True))
"""Built at the first ``--output-schema``, not when exec starts."""
NOT_IN_REPO = (
    "not inside a Git repository ({cwd}) and --skip-git-repo-check was not given: run it in a "
    "repository (git init), or pass --skip-git-repo-check to run here anyway"
)


class ExecOptions(NamedTuple):
    """The checked flags: what the turn gets besides its prompt."""

    cwd: Path
    images: list[Path]
    output_schema: dict[str, Any] | None


def read_output_schema(path: str) -> dict[str, Any]:
    """The JSON Schema in the file ``--output-schema`` names (an object schema)."""
    try:
        text = read_regular(Path(path), OUTPUT_SCHEMA_MAX_CHARS).decode("utf-8")
    except (OSError, ValueError) as exc:  # a FIFO or a folder is refused, never waited on
        raise ConfigError(f"--output-schema {path}: cannot read it: {_reason(exc)}") from None
    if len(text) > OUTPUT_SCHEMA_MAX_CHARS:
        raise ConfigError(
            f"--output-schema {path}: larger than {OUTPUT_SCHEMA_MAX_CHARS} bytes; a schema "
            "that size is no answer's shape"
        )
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"--output-schema {path}: not valid JSON ({exc.msg} at line {exc.lineno} column "
            f"{exc.colno})"
        ) from None
    if not isinstance(value, dict):
        raise ConfigError(
            f'--output-schema {path}: a JSON Schema of an object is needed ({{"type": "object", '
            f'"properties": …}}), not a JSON {type(value).__name__}'
        )
    try:
        return dict(_SCHEMA.validate_python(value))
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ConfigError(f"--output-schema {path}: {problem}") from None


def answer_problem(answer: str, schema: dict[str, Any]) -> str | None:
    """Why ``answer`` does not match ``schema`` (None when it does)."""
    try:
        value = json.loads(answer)
    except json.JSONDecodeError as exc:
        return f"it is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    from jsonschema import Draft202012Validator  # only a run given --output-schema pays for it

    errors = sorted(Draft202012Validator(schema).iter_errors(value), key=lambda e: e.path)
    if not errors:
        return None
    first = errors[0]
    where = "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in first.path)
    return f"at ${where}: {first.message}"


def check_images(images: list[str], base: Path) -> list[Path]:
    """The ``-i`` files as absolute paths; each must be an image file this process can read."""
    out: list[Path] = []
    for name in images:
        path = (base / name).expanduser().resolve()
        try:
            image_data_url(path)
        except (OSError, ValueError) as exc:
            hint = " (a prompt after -i needs -- before it)" if not path.suffix else ""
            raise ConfigError(f"-i {name}: {_reason(exc)}{hint}") from None
        out.append(path)
    return out


def writable_roots(add_dirs: list[str], base: Path, existing: list[Path]) -> list[str]:
    """``[sandbox_workspace_write] writable_roots`` with the ``--add-dir`` folders added; each
    must be an existing folder."""
    roots = [str(p) for p in existing]
    for name in add_dirs:
        path = (base / name).expanduser().resolve()
        if not path.is_dir():
            raise ConfigError(f"--add-dir {name}: no such folder ({path})")
        if str(path) not in roots:
            roots.append(str(path))
    return roots


def in_git_repository(cwd: Path) -> bool:
    """Whether ``cwd`` or a folder above it holds ``.git`` (a folder, or the file of a
    worktree or submodule), as Codex's check finds a repository root."""
    return any((folder / ".git").exists() for folder in (cwd, *cwd.parents))


def agent_cwd(cwd: str | None) -> Path:
    """The folder ``-C`` names (or this one), which must exist."""
    path = Path(cwd or ".").expanduser().resolve()
    if not path.is_dir():
        raise ConfigError(f"-C {cwd}: no such folder ({path})")
    return path


def check_options(args: argparse.Namespace) -> ExecOptions:
    """Check every flag that names a file or folder, before the prompt is read (a prompt that
    ``-i`` took for an image is reported as such)."""
    cwd = agent_cwd(args.cwd)
    schema = read_output_schema(args.output_schema) if args.output_schema else None
    images = check_images(args.images or [], Path.cwd())
    return ExecOptions(cwd=cwd, images=images, output_schema=schema)


def turn_op(prompt: str, opts: ExecOptions) -> UserTurnOp:
    """The turn ``prompt`` and the ``-i`` images make; a prompt the protocol refuses (over
    its size limit, not text, too many images) is a :class:`ConfigError` saying which."""
    try:
        items: list[UserInputItem] = [TextInput(text=prompt)]
        items += [LocalImageInput(path=str(path)) for path in opts.images]
        return UserTurnOp(items=items, output_schema=opts.output_schema)
    except ValidationError as exc:
        kind = exc.errors()[0]["type"]
        if kind == "string_too_long":
            problem = f"the prompt is longer than {INPUT_TEXT_MAX_CHARS} characters: shorten it"
        elif kind == "string_unicode":
            problem = "the prompt is not UTF-8 text"
        elif kind == "too_long":
            problem = f"more than {INPUT_ITEMS_MAX} inputs: pass fewer -i images"
        else:
            problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ConfigError(problem) from None


def check_git_repository(args: argparse.Namespace, cwd: Path) -> None:
    """Codex's check: a turn runs inside a Git repository unless ``--skip-git-repo-check`` (or
    the sandbox bypass) says otherwise."""
    if not (args.skip_git_repo_check or args.yolo or in_git_repository(cwd)):
        raise ConfigError(NOT_IN_REPO.format(cwd=cwd))


def sandbox_overrides(
    args: argparse.Namespace, overrides: ConfigOverrides, existing_roots: list[Path]
) -> ConfigOverrides:
    """``overrides`` with what exec forces: never ask (nobody is there to answer), and the
    sandbox flags (``--full-auto``, the bypass, ``-s``, ``--add-dir``) over the config."""
    out: ConfigOverrides = {"approval_policy": "never", **overrides}
    if args.full_auto:
        out["sandbox_mode"] = "workspace-write"
    if args.yolo:
        out["sandbox_mode"] = "danger-full-access"
    if args.sandbox:
        out["sandbox_mode"] = args.sandbox
    if args.add_dirs:
        out["sandbox_workspace_write.writable_roots"] = writable_roots(
            args.add_dirs, Path.cwd(), existing_roots
        )
    return out


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    return str(exc)
