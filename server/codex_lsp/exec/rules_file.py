"""Codex's ``.rules`` files (its "execpolicy"), read without running them.

A rules file is Starlark: ``prefix_rule(pattern=[...], decision=..., justification=...,
match=[...], not_match=[...])`` calls, optionally ``host_executable(name=..., paths=[...])`` and
``network_rule(...)``, comments, and assignments of literal values to names. The file comes from
the user's home or from the repository (untrusted), so it is never executed: Python's parser
builds a syntax tree (Starlark's syntax is a subset of Python's) and only literal strings, lists,
tuples, names bound earlier in the file and ``+`` of those are evaluated. Anything else is an
error naming the line, and the caller skips the file with a warning.
"""

from __future__ import annotations

import ast
import shlex
from enum import StrEnum
from pathlib import PurePosixPath
from typing import NamedTuple

from codex_lsp.errors import ConfigError

MAX_FILE_BYTES = 512 * 1024
"""A rules file larger than this is refused (Codex users' files are a few kilobytes)."""
_MAX_VALUE_SIZE = 10_000
"""Most items of a list (or characters of a string) a ``+`` may build: ``x = x + x`` twenty
times must not eat the memory."""

_PREFIX_RULE_PARAMS = ("pattern", "decision", "match", "not_match", "justification")
_HOST_EXECUTABLE_PARAMS = ("name", "paths")
_NETWORK_RULE_PARAMS = ("host", "protocol", "decision", "justification")


class RuleDecision(StrEnum):
    """What a rule says about a matching command, least strict first."""

    ALLOW = "allow"
    PROMPT = "prompt"
    FORBIDDEN = "forbidden"

    @property
    def severity(self) -> int:
        """Order for "the strictest decision wins": allow < prompt < forbidden."""
        return list(RuleDecision).index(self)


class RulesFileError(ConfigError):
    """A rules file that cannot be read as rules; the message names the file and line."""


class PrefixRule(NamedTuple):
    """One command prefix: ``first`` is the program, each of ``rest`` the words one argument
    may be (one word, or alternatives)."""

    first: str
    rest: tuple[tuple[str, ...], ...]
    decision: RuleDecision
    source: str
    """Where the rule was written (``path:line``, or a config key), shown to the user."""
    justification: str | None = None

    def matched_prefix(self, argv: list[str], program: str | None = None) -> list[str] | None:
        """The words of ``argv`` this rule matches (``program``: what stands for argv[0]), or
        ``None``."""
        if len(argv) < len(self.rest) + 1 or (program or argv[0]) != self.first:
            return None
        if any(word not in alts for alts, word in zip(self.rest, argv[1:], strict=False)):
            return None
        return argv[: len(self.rest) + 1]

    def words(self) -> list[tuple[str, ...]]:
        """The pattern, one tuple of alternatives per word."""
        return [(self.first,), *self.rest]


class RulesFile:
    """What one file defines."""

    def __init__(self) -> None:
        self.rules: list[PrefixRule] = []
        self.host_executables: dict[str, tuple[str, ...]] = {}
        """Program name → the absolute paths allowed to stand for it (``host_executable``)."""


Value = str | int | bool | None | list["Value"]


class _Reader:
    """Evaluates the literal subset of one file's syntax tree."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.names: dict[str, Value] = {}
        self.out = RulesFile()

    def fail(self, node: ast.AST | None, message: str) -> RulesFileError:
        line = getattr(node, "lineno", None)
        where = f"{self.source}:{line}" if line else self.source
        return RulesFileError(f"{where}: {message}")

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return  # a docstring
        if isinstance(node, ast.Pass):
            return
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self.call(node.value)
            return
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            self.names[node.targets[0].id] = self.value(node.value)
            return
        raise self.fail(
            node,
            f"a {type(node).__name__.lower()} statement is not supported here; a rules file "
            "holds prefix_rule(...) calls and `name = [...]` assignments",
        )

    def value(self, node: ast.expr) -> Value:
        if isinstance(node, ast.Constant) and isinstance(node.value, str | int | bool | None):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(self.f_string_part(part) for part in node.values)
        if isinstance(node, ast.List | ast.Tuple):
            return [self.value(item) for item in node.elts]
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                raise self.fail(node, f"`{node.id}` is not defined (assign it before its use)")
            return self.names[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.value(node.left), self.value(node.right)
            if isinstance(left, str) and isinstance(right, str):
                joined: Value = left + right
            elif isinstance(left, list) and isinstance(right, list):
                joined = left + right
            else:
                raise self.fail(node, "`+` joins two strings or two lists")
            assert isinstance(joined, str | list)
            if len(joined) > _MAX_VALUE_SIZE:
                raise self.fail(node, f"a value longer than {_MAX_VALUE_SIZE} is not supported")
            return joined
        raise self.fail(
            node,
            f"a {type(node).__name__} expression is not supported; use strings, lists and "
            "names assigned earlier",
        )

    def f_string_part(self, node: ast.expr) -> str:
        if isinstance(node, ast.FormattedValue):
            if node.format_spec is not None or node.conversion != -1:
                raise self.fail(node, "f-string conversions and formats are not supported")
            node = node.value
        value = self.value(node)
        if not isinstance(value, str):
            raise self.fail(node, "an f-string may only hold strings")
        return value

    def arguments(self, call: ast.Call, name: str, params: tuple[str, ...]) -> dict[str, Value]:
        if len(call.args) > len(params):
            raise self.fail(call, f"{name}() takes at most {len(params)} positional arguments")
        args: dict[str, Value] = {}
        for param, node in zip(params, call.args, strict=False):
            if isinstance(node, ast.Starred):
                raise self.fail(call, "`*args` is not supported")
            args[param] = self.value(node)
        for keyword in call.keywords:
            if keyword.arg is None:
                raise self.fail(call, "`**kwargs` is not supported")
            if keyword.arg not in params:
                raise self.fail(
                    call,
                    f"{name}() has no parameter `{keyword.arg}` (it takes {', '.join(params)})",
                )
            if keyword.arg in args:
                raise self.fail(call, f"{name}() got `{keyword.arg}` twice")
            args[keyword.arg] = self.value(keyword.value)
        return args

    def call(self, call: ast.Call) -> None:
        func = call.func.id if isinstance(call.func, ast.Name) else None
        if func == "prefix_rule":
            self.prefix_rule(call, self.arguments(call, func, _PREFIX_RULE_PARAMS))
        elif func == "host_executable":
            self.host_executable(call, self.arguments(call, func, _HOST_EXECUTABLE_PARAMS))
        elif func == "network_rule":
            self.arguments(call, func, _NETWORK_RULE_PARAMS)  # checked, not used: no proxy
        else:
            raise self.fail(
                call,
                f"unknown function `{func or ast.unparse(call.func)}`; rules files call "
                "prefix_rule, host_executable and network_rule",
            )

    def prefix_rule(self, call: ast.Call, args: dict[str, Value]) -> None:
        if "pattern" not in args:
            raise self.fail(call, "prefix_rule() needs a `pattern`")
        words = self.pattern(call, args["pattern"])
        decision = self.decision(call, args.get("decision"))
        justification = args.get("justification")
        if justification is not None and (
            not isinstance(justification, str) or not justification.strip()
        ):
            raise self.fail(call, "justification must be a non-empty string")
        rules = [
            PrefixRule(
                head,
                tuple(words[1:]),
                decision,
                f"{self.source}:{call.lineno}",
                justification if isinstance(justification, str) else None,
            )
            for head in words[0]
        ]
        for example in self.examples(call, args.get("match")):
            if not any(rule.matched_prefix(example) for rule in rules):
                raise self.fail(
                    call, f"the match example `{shlex.join(example)}` does not match the pattern"
                )
        for example in self.examples(call, args.get("not_match")):
            if any(rule.matched_prefix(example) for rule in rules):
                raise self.fail(
                    call, f"the not_match example `{shlex.join(example)}` matches the pattern"
                )
        self.out.rules.extend(rules)

    def pattern(self, call: ast.Call, raw: Value) -> list[tuple[str, ...]]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(call, "pattern must be a non-empty list")
        words: list[tuple[str, ...]] = []
        for item in raw:
            if isinstance(item, str):
                words.append((item,))
            elif isinstance(item, list) and item and all(isinstance(a, str) for a in item):
                words.append(tuple(str(a) for a in item))
            else:
                raise self.fail(
                    call,
                    "each pattern element must be a string or a non-empty list of strings",
                )
        return words

    def decision(self, call: ast.Call, raw: Value) -> RuleDecision:
        if raw is None:
            return RuleDecision.ALLOW
        try:
            return RuleDecision(str(raw) if isinstance(raw, str) else "")
        except ValueError:
            raise self.fail(
                call, f"invalid decision {raw!r}: use allow, prompt or forbidden"
            ) from None

    def examples(self, call: ast.Call, raw: Value) -> list[list[str]]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise self.fail(call, "match and not_match are lists of examples")
        examples = []
        for item in raw:
            if isinstance(item, str):
                try:
                    example = shlex.split(item)
                except ValueError:
                    raise self.fail(call, f"the example {item!r} is not valid shell") from None
            elif isinstance(item, list) and all(isinstance(w, str) for w in item):
                example = [str(w) for w in item]
            else:
                raise self.fail(call, "an example is a string or a list of strings")
            if not example:
                raise self.fail(call, "an example cannot be empty")
            examples.append(example)
        return examples

    def host_executable(self, call: ast.Call, args: dict[str, Value]) -> None:
        name, paths = args.get("name"), args.get("paths")
        if not isinstance(name, str) or not name or "/" in name:
            raise self.fail(call, "host_executable name must be a bare program name")
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise self.fail(call, "host_executable paths must be a list of strings")
        checked: list[str] = []
        for path in map(str, paths):
            if not path.startswith(("/", "~/")) or PurePosixPath(path).name != name:
                raise self.fail(
                    call, f"host_executable path `{path}` must be absolute and end in `{name}`"
                )
            checked.append(path)
        self.out.host_executables[name] = tuple(checked)


def parse_rules(text: str, source: str) -> RulesFile:
    """The rules ``text`` defines; ``source`` names it in errors. Raises
    :class:`RulesFileError`; never runs any of the text."""
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise RulesFileError(f"{source}: larger than {MAX_FILE_BYTES // 1024} KiB; not read")
    try:
        tree = ast.parse(text, filename=source, mode="exec")
    except SyntaxError as exc:
        raise RulesFileError(f"{source}:{exc.lineno or 1}: syntax error: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise RulesFileError(f"{source}: cannot be parsed ({exc or 'too deeply nested'})") from None
    reader = _Reader(source)
    try:
        for node in tree.body:
            reader.statement(node)
    except RecursionError:
        raise RulesFileError(f"{source}: too deeply nested") from None
    return reader.out
