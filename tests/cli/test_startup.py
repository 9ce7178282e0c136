"""What every ``codex-lsp`` command's start-up does before its front end runs: the objects the
start-up made are frozen out of the garbage collector's scans, which is on again for the run."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

PROBE = """
import gc, sys
import codex_lsp.cli.config_cmd as config_cmd
def probe(args, overrides):
    print(gc.isenabled(), gc.get_freeze_count())
    return 0
config_cmd.run_config = probe
from codex_lsp.cli.main import main
sys.exit(main(["config", "docs"]))
"""


def test_the_front_end_runs_with_the_collector_on_and_start_up_frozen() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    enabled, frozen = result.stdout.split()
    assert enabled == "True"  # a long-lived server must still collect its cycles
    assert int(frozen) > 10_000  # the modules, classes and schemas start-up made


def _models(base: type[BaseModel]) -> list[type[BaseModel]]:
    found = []
    for sub in base.__subclasses__():
        found += [sub, *_models(sub)]
    return found


def test_no_wire_or_config_field_defaults_through_a_builtin_factory() -> None:
    import codex_lsp.cli.exec_cmd  # noqa: F401  (every model a headless turn loads)

    slow = [
        f"{model.__module__}.{model.__name__}.{name}"
        for model in _models(BaseModel)
        if model.__module__.startswith("codex_lsp.")
        for name, info in model.model_fields.items()
        if info.default_factory in (list, set)  # inspect parses their text signature: ~0.25 ms
    ]
    assert slow == []


def test_the_values_a_turn_streams_and_stores_are_cheap_to_define() -> None:
    import dataclasses
    import sys

    import codex_lsp.cli.exec_cmd  # noqa: F401

    modules = [
        "providers.base",
        "store.records",
        "core.journal",
        "core.hooks",
        "protocol.tool_specs",
        "protocol.events",
        "config.folders",
        "core.seams",
        "providers.sse",
        "store.texts",
        "store.snapshots",
        "cli.exec_options",
    ]
    frozen = [
        f"{name}.{value.__name__}"
        for name in modules
        for value in vars(sys.modules[f"codex_lsp.{name}"]).values()
        if isinstance(value, type)
        and value.__module__ == f"codex_lsp.{name}"
        and dataclasses.is_dataclass(value)
        and value.__dataclass_params__.frozen  # type: ignore[attr-defined]
    ]
    assert frozen == []  # each is ~0.3 ms of every start to define; a NamedTuple ~0.05 ms


def test_a_list_default_is_still_a_new_list_for_every_model() -> None:
    from codex_lsp.config.model import Config
    from codex_lsp.protocol.history import Reasoning

    first, second = Config(), Config()
    first.sandbox_workspace_write.writable_roots.append(Path("/srv"))
    assert second.sandbox_workspace_write.writable_roots == []
    one, two = Reasoning.model_validate({}), Reasoning()
    one.summary.append("thinking")
    assert (two.summary, Reasoning().summary) == ([], [])


def test_importing_the_approval_presets_builds_no_validator() -> None:
    code = "import codex_lsp.protocol.modes as m; print(m.Mode.__pydantic_complete__, m.MODES[2])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    built, preset = result.stdout.split(" ", 1)
    assert built == "False"  # a plain turn needs only ModeId: building Mode is ~0.5 ms
    assert "approval_policy=<AskForApproval.NEVER: 'never'>" in preset  # the constants as before


def test_wire_and_config_models_carry_evaluated_annotations() -> None:
    import codex_lsp.cli.exec_cmd  # noqa: F401

    unevaluated = [
        f"{model.__module__}.{model.__name__}"
        for model in _models(BaseModel)
        if model.__module__.startswith(("codex_lsp.protocol.", "codex_lsp.config."))
        and any(isinstance(a, str) for a in vars(model).get("__annotations__", {}).values())
    ]
    assert unevaluated == []  # pydantic would compile and evaluate each string (~20 us)


ENDING = """
import atexit, os, sys, threading, time, types, weakref
from codex_lsp.cli.main import run

watched = []

def at_exit():
    print("atexit ran")  # buffered: a pipe is flushed at the very end
    module = sys.modules["teardown_probe"] = types.ModuleType("teardown_probe")
    said = lambda ref, write=os.write: write(1, b"torn down\\n")  # os may be gone by then
    watched.append(weakref.ref(module, said))  # the teardown's emptying of sys.modules frees it

atexit.register(at_exit)
if sys.argv[1] == "thread":
    threading.Thread(target=lambda: (time.sleep(2), print("thread done"))).start()
sys.argv = ["codex-lsp", "config", "schema"]
run()
"""


def _end(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", ENDING, mode],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_a_command_ends_without_the_interpreter_teardown_but_with_its_exit_work() -> None:
    result = _end("alone")
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("{")  # the whole schema reached the pipe
    assert result.stdout.rstrip().endswith("atexit ran")
    assert "torn down" not in result.stdout  # ~15 ms of freeing objects one by one skipped


def test_a_thread_still_running_is_waited_for() -> None:
    result = _end("thread")
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("thread done\natexit ran\ntorn down")  # as usual


COMMAND_LINES = [
    ["exec", "--skip-git-repo-check", "-m", "gpt-5", "hi"],
    ["exec", "--json", "resume", "--last", "go on"],
    ["exec", "review", "--uncommitted", "--fail-on", "P1"],
    ["rules", "check", "-C", "/srv", "--json", "ls", "-l"],
    ["config", "show", "-C", "/srv", "-c", "model=o3"],
    ["speckit", "status", "--json"],
    ["protocol", "ts", "--out", "x.ts"],
    ["import-codex", "/tmp/rollouts"],
    ["export", "abc", "--out", "x.jsonl"],
    ["doctor", "-C", "/srv"],
    ["mcp-server", "-p", "work"],
    ["acp"],
    ["apply-patch", "p"],
    ["--stdio", "-m", "o3"],
]


@pytest.mark.parametrize("argv", COMMAND_LINES, ids=lambda argv: " ".join(argv[:2]))
def test_a_command_line_reads_the_same_with_only_its_own_subcommand_built(
    argv: list[str],
) -> None:
    """The parser made for one subcommand (what a run builds) reads its command line as the
    whole parser does, and builds no other subcommand's parser."""
    from codex_lsp.cli.main import build_parser

    narrow, whole = build_parser(argv), build_parser()
    assert vars(narrow.parse_args(argv)) == vars(whole.parse_args(argv))
    built = _subcommands(narrow)
    if argv[0] in _subcommands(whole):
        assert argv[0] in built and len(built) <= 2  # mcp-server comes with acp, export with import


BAD_COMMAND_LINES = [
    ["exec", "--nosuch", "hi"],
    ["exec", "-m"],
    ["config", "nosuch"],
    ["rules", "check", "--bad"],
    ["export"],
    ["acp", "--bad"],
]


@pytest.mark.parametrize("argv", BAD_COMMAND_LINES, ids=" ".join)
def test_a_bad_command_line_gets_the_same_error_with_only_its_subcommand_built(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The usage line and message of a bad flag still list every command (argparse reports
    an unknown flag with the top parser's usage)."""
    from codex_lsp.cli.main import build_parser

    errors = []
    for parser in (build_parser(argv), build_parser()):
        with pytest.raises(SystemExit):
            parser.parse_args(argv)
        errors.append(capsys.readouterr().err)
    assert errors[0] == errors[1] and "error:" in errors[0]


def _subcommands(parser: argparse.ArgumentParser) -> list[str]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(actions[0].choices)
