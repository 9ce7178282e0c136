"""Tool names the model APIs accept, and schemas they do not reject."""

from __future__ import annotations

from codex_lsp.mcp.naming import MAX_NAME, assign_names, qualified_name
from codex_lsp.mcp.schema import argument_problems, clean_schema


def test_names_are_sanitised_and_short() -> None:
    assert qualified_name("my server", "read.file") == "my_server__read_file"
    long = qualified_name("s" * 40, "t" * 40)
    assert len(long) == MAX_NAME
    assert long != qualified_name("s" * 40, "t" * 39 + "u")


def test_names_that_sanitise_alike_do_not_collide() -> None:
    names = assign_names([("srv", "a.b"), ("srv", "a-b"), ("srv", "a b")])
    assert len(names) == 3 and all(len(n) <= MAX_NAME for n in names)
    assert set(names.values()) == {("srv", "a.b"), ("srv", "a-b"), ("srv", "a b")}


def test_schemas_get_an_object_type_and_nested_types() -> None:
    cleaned = clean_schema(
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "properties": {"path": {"description": "no type"}, "tags": {"items": {}}},
        }
    )
    assert cleaned["type"] == "object" and "$schema" not in cleaned
    assert cleaned["properties"]["path"]["type"] == "string"
    assert cleaned["properties"]["tags"] == {"items": {"type": "string"}, "type": "array"}
    assert clean_schema(None) == {"type": "object", "properties": {}}


def test_arguments_are_checked_against_the_tools_own_schema() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer"}},
        "required": ["a"],
    }
    assert argument_problems(schema, {"a": 1}) is None
    problem = argument_problems(schema, {"a": "one"})
    assert problem is not None and "a: 'one' is not of type 'integer'" in problem
    assert "'a' is a required property" in str(argument_problems(schema, {}))
