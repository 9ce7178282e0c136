"""MCP elicitation as questions to the user: each field of the server's requested schema (MCP's
flat object of strings, numbers, booleans and enums) becomes one question of a
``requestUserInput`` (its enum values, or Yes/No, as options; free text otherwise), and the
answers come back as typed values checked against the field (``accept`` with ``content``). A
schema with no fields is a plain confirmation. The server is untrusted: field names, titles and
values are bounded, and a value the field does not allow is never sent back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from codex_lsp.protocol.answers import RequestUserInputResult
from codex_lsp.protocol.events import UserInputOption, UserInputQuestion

MAX_FIELDS = 20
_TEXT_MAX = 200
_YES, _NO = "Yes", "No"
ACCEPT, DECLINE, OPEN = "Accept", "Decline", "Open"


class InvalidAnswer(ValueError):
    """An answer the field does not allow; the message says which field and why."""


@dataclass(frozen=True)
class _Field:
    name: str
    kind: str
    """string, number, integer, boolean or array."""
    spec: dict[str, Any]
    labels: dict[str, Any]
    """Option label → the value it stands for (enums and booleans)."""
    required: bool


def _short(value: Any, limit: int = _TEXT_MAX) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _choices(spec: dict[str, Any]) -> dict[str, Any]:
    """Label → value of an enum field (``enum`` + ``enumNames``, ``oneOf`` of const/title, or
    an array's ``items``)."""
    items = spec.get("items") if spec.get("type") == "array" else None
    source = items if isinstance(items, dict) else spec
    for key in ("oneOf", "anyOf"):
        entries = source.get(key)
        if isinstance(entries, list):
            return {
                _short(e.get("title", e.get("const"))): e.get("const")
                for e in entries
                if isinstance(e, dict) and "const" in e
            }
    values = source.get("enum")
    if not isinstance(values, list):
        return {}
    given = spec.get("enumNames")
    names: list[Any] = given if isinstance(given, list) else []
    return {_short(names[i] if i < len(names) else v): v for i, v in enumerate(values)}


def _fields(schema: dict[str, Any]) -> list[_Field]:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return []
    listed = schema.get("required")
    required: list[Any] = listed if isinstance(listed, list) else []
    fields = []
    for name, spec in list(properties.items())[:MAX_FIELDS]:
        if not isinstance(spec, dict):
            continue
        kind = str(spec.get("type", "string"))
        labels = {_YES: True, _NO: False} if kind == "boolean" else _choices(spec)
        fields.append(_Field(_short(name, 64), kind, spec, labels, name in required))
    return fields


def questions_for(server: str, message: str, schema: dict[str, Any]) -> list[UserInputQuestion]:
    """One question per field (a confirmation when there is none)."""
    fields = _fields(schema)
    if not fields:
        options = [UserInputOption(label=ACCEPT), UserInputOption(label=DECLINE)]
        return [
            UserInputQuestion(
                id="confirm",
                header=_short(f"MCP server {server}", 100),
                question=_short(message, 2000),
                options=options,
                is_other=False,
            )
        ]
    out = []
    for f in fields:
        title = _short(f.spec.get("title") or f.name, 100)
        about = f.spec.get("description")
        question = f"{message}\n{title}" + (f": {about}" if about else "")
        options = [UserInputOption(label=label) for label in f.labels]
        default = f.spec.get("default")
        if not options and default is not None:
            options = [UserInputOption(label=_short(default), description="the default")]
        out.append(
            UserInputQuestion(
                id=f.name,
                header=title,
                question=_short(question, 2000),
                options=options,
                is_other=not f.labels or f.kind == "array",
            )
        )
    return out


def is_web_link(url: str) -> bool:
    """An http(s) link with a host: the only kind an MCP server may have opened (never
    ``file:``, ``command:`` or another scheme an editor would act on)."""
    parsed = urlsplit(url)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and len(url) <= 2000


def url_question(server: str, message: str, url: str) -> list[UserInputQuestion]:
    """A url-mode elicitation: may the editor open ``url`` (shown in full, so the user sees
    where it leads)?"""
    return [
        UserInputQuestion(
            id="open",
            header=_short(f"MCP server {server}", 100),
            question=_short(f"{message}\nOpen {url} ?", 2000),
            options=[
                UserInputOption(label=OPEN, description=_short(url)),
                UserInputOption(label=DECLINE),
            ],
            is_other=False,
        )
    ]


def url_accepted(result: RequestUserInputResult) -> bool:
    """The user chose to open the link."""
    answer = result.answers.get("open")
    return answer is not None and answer.answers[:1] == [OPEN]


def content_from(
    schema: dict[str, Any], result: RequestUserInputResult
) -> tuple[str, dict[str, Any] | None]:
    """The elicitation result for the user's answers: ``accept`` with the typed values,
    ``decline`` for a declined confirmation. Raises :class:`InvalidAnswer`."""
    fields = _fields(schema)
    if not fields:
        answer = result.answers.get("confirm")
        accepted = answer is not None and answer.answers[:1] == [ACCEPT]
        return ("accept", {}) if accepted else ("decline", None)
    content: dict[str, Any] = {}
    for f in fields:
        answer = result.answers.get(f.name)
        texts = [t.strip() for t in (answer.answers if answer else []) if t.strip()]
        if not texts:
            if f.required:
                raise InvalidAnswer(f"{f.name} is required")
            continue
        content[f.name] = _typed(f, texts)
    return "accept", content


def _typed(f: _Field, texts: list[str]) -> Any:
    if f.kind == "array":
        return [_one(f, t) for t in texts]
    return _one(f, texts[0])


def _one(f: _Field, text: str) -> Any:
    if f.labels:
        if text in f.labels:
            return f.labels[text]
        if f.kind == "boolean" and text.lower() in ("yes", "no", "true", "false"):
            return text.lower() in ("yes", "true")
        raise InvalidAnswer(f"{f.name} must be one of {', '.join(f.labels)}")
    if f.kind in ("number", "integer"):
        try:
            value: float | int = int(text) if f.kind == "integer" else float(text)
        except ValueError:
            raise InvalidAnswer(
                f"{f.name} must be {'an integer' if f.kind == 'integer' else 'a number'}"
            ) from None
        low, high = f.spec.get("minimum"), f.spec.get("maximum")
        if (isinstance(low, int | float) and value < low) or (
            isinstance(high, int | float) and value > high
        ):
            raise InvalidAnswer(f"{f.name} must be between {low} and {high}")
        return value
    low, high = f.spec.get("minLength"), f.spec.get("maxLength")
    if (isinstance(low, int) and len(text) < low) or (isinstance(high, int) and len(text) > high):
        raise InvalidAnswer(
            f"{f.name} must have {low or 0} to {high or 'any number of'} characters"
        )
    return text


def form_for(questions: list[UserInputQuestion]) -> dict[str, Any]:
    """The other way round, for ``codex-lsp mcp-server``: the model's questions as an
    elicitation form for the calling client (an enum of the options unless the user may answer
    in their own words)."""
    properties: dict[str, Any] = {}
    for q in questions:
        about = q.question + (
            f" (e.g. {', '.join(o.label for o in q.options)})" if q.is_other and q.options else ""
        )
        field: dict[str, Any] = {"type": "string", "title": q.header or q.id, "description": about}
        if q.options and not q.is_other:
            field["enum"] = [o.label for o in q.options]
        properties[q.id] = field
    return {"type": "object", "properties": properties, "required": list(properties)}


def answers_from(content: dict[str, Any] | None) -> RequestUserInputResult:
    """The client's filled-in form as the answers to the questions."""
    answers = {
        str(k): {"answers": [_short(v, 2000)]}
        for k, v in (content or {}).items()
        if isinstance(v, str | int | float | bool)
    }
    return RequestUserInputResult.model_validate({"answers": answers})
