"""Input schemas of MCP tools: cleaned up for model APIs (which reject some valid JSON Schema),
and used to check a call's arguments before it is sent."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

_DROPPED_KEYS = ("$schema", "$id", "$comment", "examples", "default")
_TYPES = {"string", "number", "integer", "boolean", "object", "array", "null"}


def clean_schema(schema: Any) -> dict[str, Any]:
    """An object schema model APIs accept: ``type: object`` at the top with ``properties``,
    every nested schema given a ``type`` (guessed from its keys, else ``string``), boolean
    schemas and unknown types replaced, meta keys dropped."""
    cleaned = _clean(schema if isinstance(schema, dict) else {})
    cleaned["type"] = "object"
    cleaned.setdefault("properties", {})
    return cleaned


def _clean(node: Any) -> dict[str, Any]:
    if not isinstance(node, dict):
        return {"type": "string"}
    out = {k: v for k, v in node.items() if k not in _DROPPED_KEYS}
    kind = out.get("type")
    if isinstance(kind, list):
        known = [k for k in kind if k in _TYPES]
        out["type"] = known or "string"
    elif kind not in _TYPES:
        if "properties" in out:
            out["type"] = "object"
        elif "items" in out:
            out["type"] = "array"
        elif "enum" in out or not any(k in out for k in ("anyOf", "oneOf", "allOf")):
            out["type"] = "string"
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _clean(v) for k, v in out["properties"].items()}
    if "items" in out:
        out["items"] = _clean(out["items"])
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(out.get(key), list):
            out[key] = [_clean(v) for v in out[key]]
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = _clean(out["additionalProperties"])
    return out


def argument_problems(schema: dict[str, Any], arguments: Any) -> str | None:
    """What is wrong with ``arguments`` under the tool's own ``schema`` (None when they fit),
    worded for the model to fix its call."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    if validator is None:
        return None  # a server with a broken schema: let the server judge the call
    errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.path))
    if not errors:
        return None
    return "; ".join(
        f"{'/'.join(str(p) for p in e.path) or '(arguments)'}: {e.message}" for e in errors[:5]
    )


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> Any:
    """A checked validator per distinct schema (building one costs more than a call)."""
    import jsonschema

    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError:
        return None
    return cls(schema)
