"""``request_user_input`` in ``codex-lsp exec``: answered on a real terminal (a pty), and a
clear failure when stdin is not a terminal."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.cli.test_exec import run_exec
from tests.helpers import subprocess_env

pytestmark = pytest.mark.slow

QUESTIONS = [
    {
        "id": "db",
        "header": "Database",
        "question": "Which database?",
        "options": [
            {"label": "SQLite", "description": "one file"},
            {"label": "Postgres", "description": "a server"},
        ],
    },
    {
        "id": "name",
        "header": "Name",
        "question": "What is the table called?",
        "options": [{"label": "items", "description": ""}],
    },
]


def _ask(model_server: FakeModelServer) -> None:
    model_server.enqueue(
        Reply((ToolCall("request_user_input", {"questions": QUESTIONS}, call_id="ask-1"),)),
        Reply((Text("done asking"),)),
    )


def test_without_a_terminal_the_turn_fails_with_a_clear_message(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    _ask(model_server)
    result = run_exec(["set up the db"], codex_home, workspace, stdin="")
    assert result.returncode == 1, result.stderr
    assert "stdin is not a terminal, so nobody can answer it" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert model_server.pending() == 1  # the model was not asked again to guess on


def test_on_a_terminal_the_answers_are_read_and_sent_to_the_model(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    _ask(model_server)
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "codex_lsp", "exec", "--skip-git-repo-check", "set up the db"],
            cwd=workspace,
            env=subprocess_env(codex_home),
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(controller, b"7\n2\nwidgets\n")  # out of range, then Postgres, then own words
        stdout, stderr = process.communicate(timeout=30)
    finally:
        os.close(controller)
        os.close(terminal)
    assert process.returncode == 0, stderr
    assert stdout == "done asking\n"
    assert "Database: Which database?" in stderr and "  2. Postgres — a server" in stderr
    assert "pick 1 to 2" in stderr
    (output,) = [
        i["output"]
        for i in model_server.requests[-1].body["input"]
        if i["type"] == "function_call_output"
    ]
    assert json.loads(output) == {
        "answers": {"db": {"answers": ["Postgres"]}, "name": {"answers": ["widgets"]}}
    }


def test_ctrl_c_while_waiting_for_an_answer_stops_at_once(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    _ask(model_server)
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "codex_lsp", "exec", "--skip-git-repo-check", "set up the db"],
            cwd=workspace,
            env=subprocess_env(codex_home),
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        seen = ""
        while "Which database?" not in seen:  # the question is on screen: the user presses ^C
            line = process.stderr.readline()
            assert line, f"exec ended before asking: {seen}"
            seen += line
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
        assert time.monotonic() - started < 10
    finally:
        os.close(controller)
        os.close(terminal)
    assert process.returncode == 130
