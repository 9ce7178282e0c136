"""The JSON-RPC side of the front end's features: handler tables, params validation, the
conversion of results and of typed errors into what a client receives."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcServerError

from codex_lsp.errors import CodexError, ProtocolError, UnknownConversationError
from codex_lsp.protocol.method_names import UNKNOWN_CONVERSATION_CODE

SETUP_ERROR_CODE = -32001

Handler = Callable[[Any], Awaitable[BaseModel]]
"""A ``codex/*`` method's handler: its validated params in, its result model out."""
CommandHandler = Callable[[list[Any]], Awaitable[Any]]
"""A ``workspace/executeCommand`` command's handler: its positional arguments in, its result."""
H = TypeVar("H")


def one_table(*tables: Mapping[str, H]) -> dict[str, H]:
    """The tables merged; a name that two of them handle is a bug, refused at start-up."""
    merged: dict[str, H] = {}
    for table in tables:
        for name, handler in table.items():
            if name in merged:
                raise ValueError(f"{name} has two handlers")
            merged[name] = handler
    return merged


def _problems(exc: ValidationError, wire_names: bool = False) -> str:
    """Each bad field and what is wrong with it; ``wire_names`` turns the top-level field of a
    model built from Python names into its camelCase wire name."""
    found = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        if wire_names and loc:
            loc[0] = to_camel(loc[0])
        found.append(f"{'.'.join(loc) or 'params'}: {error['msg']}")
    return "; ".join(found)


def parse_params(model: type[BaseModel], raw: Any) -> Any:
    """Validate ``raw`` or raise InvalidParams naming each bad field."""
    try:
        if raw is None or raw == []:  # Lua clients encode an empty table as []
            raw = {}
        params = model.model_validate(raw)
    except ValidationError as exc:
        problems = _problems(exc)
        raise JsonRpcInvalidParams(f"invalid params for {model.__name__}: {problems}") from exc
    for field, path in _paths(params):
        if "\x00" in str(path):
            raise JsonRpcInvalidParams(f"invalid params: {field} contains a NUL byte")
    return params


def _paths(model: BaseModel, prefix: str = "") -> list[tuple[str, Path]]:
    """Every path in ``model``, with the wire name of its field (paths go to the OS, which
    refuses NUL bytes with an exception of its own)."""
    found: list[tuple[str, Path]] = []
    for name, spec in type(model).model_fields.items():
        value = getattr(model, name)
        field = prefix + (spec.alias or name)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, Path):
                found.append((field, item))
            elif isinstance(item, BaseModel):
                found.extend(_paths(item, field + "."))
    return found


@contextmanager
def built_from_arguments() -> Iterator[None]:
    """Params a command builds from its arguments: a bad value is InvalidParams naming the
    field, as if the client had sent the request itself."""
    try:
        yield
    except ValidationError as exc:
        problems = _problems(exc, wire_names=True)
        raise JsonRpcInvalidParams(f"invalid params for {exc.title}: {problems}") from exc


def wire(result: BaseModel) -> dict[str, Any]:
    """A result as the client gets it (camelCase, no nulls)."""
    return result.model_dump(by_alias=True, exclude_none=True, mode="json")


def conversation_arg(command: str, args: list[Any], index: int) -> str | None:
    """The optional conversationId argument of a command at ``index``."""
    value = args[index] if len(args) > index else None
    if value is None or isinstance(value, str):
        return value
    raise JsonRpcInvalidParams(
        f"{command}: argument {index + 1} must be a conversationId (a string), "
        f"not {json.dumps(value)[:60]}"
    )


def to_rpc_error(exc: CodexError) -> JsonRpcException:
    """UNKNOWN_CONVERSATION_CODE for a conversation id this server does not have, InvalidParams
    for other client mistakes, -32001 for configuration and provider set-up."""
    if isinstance(exc, UnknownConversationError):
        return JsonRpcServerError(exc.message, UNKNOWN_CONVERSATION_CODE)  # type: ignore[no-untyped-call]
    if isinstance(exc, ProtocolError):
        return JsonRpcInvalidParams(exc.message)
    return JsonRpcServerError(exc.message, SETUP_ERROR_CODE)  # type: ignore[no-untyped-call]
