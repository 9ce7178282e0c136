"""The size limits of what a client sends, in one place.

Each limit is far above anything a person sends and far below what would cost the server real
time, memory or disk; a request over one is refused with InvalidParams naming the field and the
limit. docs/protocol.md ("Limits") lists them, and a test checks that it does.
"""

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field

ID_MAX_CHARS = 256
"""A conversation id, turn id or list cursor (the server's own are under 64)."""
NAME_MAX_CHARS = 256
"""A model or model provider name."""
TITLE_MAX_CHARS = 200
"""A conversation title."""
PATH_MAX_CHARS = 4096
"""A path (``cwd``, ``roots``, ``writableRoots``, a mention): Linux's PATH_MAX."""
QUERY_MAX_CHARS = 1024
"""A fuzzy file search query (a path is rarely 200 characters long)."""
SEARCH_ROOTS_MAX = 64
"""The folders one fuzzy file search looks in."""
INPUT_TEXT_MAX_CHARS = 1 << 20
"""The text of one user message, its ``text`` and ``context`` items together (as Codex)."""
INPUT_ITEMS_MAX = 256
"""The items of one user message."""
IMAGE_URL_MAX_CHARS = 28 * 1024 * 1024
"""An ``image`` item's URL: a ``data:`` URL of a 20 MiB image (the limit of ``localImage``)."""

OUTPUT_SCHEMA_MAX_CHARS = 256 * 1024
"""A turn's ``outputSchema``, as JSON (a stage answer's schema is about 4 KiB)."""

REVIEW_FINDINGS_MAX = 100
"""The findings of one review the server keeps (a model that lists more is cut off)."""
REVIEW_TITLE_MAX_CHARS = 300
"""A review finding's title (one line)."""
REVIEW_BODY_MAX_CHARS = 8000
"""A review finding's explanation, or the review's overall explanation."""

IMAGE_URL_SCHEMES = ("https://", "data:image/")


def _path_text(value: str) -> str:
    if len(value) > PATH_MAX_CHARS:
        raise ValueError(f"a path may have at most {PATH_MAX_CHARS} characters")
    if "\0" in value:
        raise ValueError("a path cannot contain a NUL character")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("a path must be valid Unicode (it has a lone surrogate)") from None
    return value


def _path(value: Path) -> Path:
    _path_text(str(value))
    return value


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


def _output_schema(value: dict[str, Any]) -> dict[str, Any]:
    # imported here: jsonschema costs ~30 ms, and only a turn with an outputSchema checks one
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        size = len(json.dumps(value, ensure_ascii=False))
        Draft202012Validator.check_schema(value)
    except SchemaError as exc:
        raise ValueError(f"not a valid JSON Schema: {exc.message}") from None
    except RecursionError:
        raise ValueError("the schema nests too deeply") from None
    if size > OUTPUT_SCHEMA_MAX_CHARS:
        raise ValueError(
            f"the schema has {size} characters of JSON; at most {OUTPUT_SCHEMA_MAX_CHARS}"
        )
    if value.get("type") != "object":
        raise ValueError('the schema must describe a JSON object ("type": "object")')
    return value


OutputSchema = Annotated[dict[str, Any], AfterValidator(_output_schema)]
"""A JSON Schema (draft 2020-12) of an object, at most ``OUTPUT_SCHEMA_MAX_CHARS``."""
WirePath = Annotated[Path, AfterValidator(_path)]
"""A path a client sends (at most ``PATH_MAX_CHARS``, no NUL)."""
WirePathText = Annotated[str, AfterValidator(_path_text)]
"""The same, kept as the client wrote it (relative to the conversation's cwd)."""
Name = Annotated[str, Field(max_length=NAME_MAX_CHARS)]
"""A model or provider name."""
Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX_CHARS), AfterValidator(_not_blank)]
"""A conversation title: not blank, stored without surrounding white space."""
Identifier = Annotated[str, Field(min_length=1, max_length=ID_MAX_CHARS)]
"""A conversation id, turn id or cursor."""
