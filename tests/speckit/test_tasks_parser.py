"""The one task-line parser: the fork's format with sub-lines, GitHub's with stories and paths,
line numbers and the checkbox column for editor edits."""

from __future__ import annotations

from codex_lsp.speckit.tasks_md import TaskDraft, format_task, parse_tasks

FORK = """# Tasks: SPEC-KIT-071

## Phase 1 Setup & Prerequisites

- [ ] T001 [P] Add the OAuth client settings
  - **Validation**: `pytest tests/auth -q`
  - **Artifact**: `config/oauth.toml`
- [x] T002 Wire the callback route
  - **Validation**: `make lint`

## Phase 2 Foundations

* [X] T010 Document it
"""

GITHUB = """## Phase 3: User Story 1 - Sign in (Priority: P1) 🎯 MVP

- [ ] T012 [P] [US1] Create User model in src/models/user.py
- [ ] T013 [US1] Implement UserService in src/services/user_service.py (depends on T012)
- [ ] T014 [Story: P2] Endpoint in `src/api/login.py`, tested by tests/test_login.py.
- [ ] not a task line
- [ ] T15 too short an id
"""


def test_the_forks_format_with_validation_and_artifact_sub_lines() -> None:
    tasks = parse_tasks(FORK)
    assert [t.id for t in tasks] == ["T001", "T002", "T010"]
    first, second, third = tasks
    assert (first.done, first.parallel, first.story) == (False, True, None)
    assert first.description == "Add the OAuth client settings"
    assert first.validation == "pytest tests/auth -q" and first.artifact == "config/oauth.toml"
    assert (first.line, first.end_line, first.sub_lines) == (4, 6, {"Validation": 5, "Artifact": 6})
    assert first.phase == "Phase 1 Setup & Prerequisites"
    assert (second.done, second.validation, second.artifact, second.line) == (
        True,
        "make lint",
        None,
        7,
    )
    assert third.done and third.phase == "Phase 2 Foundations"


def test_githubs_format_with_stories_and_paths() -> None:
    tasks = parse_tasks(GITHUB)
    assert [t.id for t in tasks] == ["T012", "T013", "T014"]
    assert (tasks[0].parallel, tasks[0].story, tasks[0].paths) == (
        True,
        "US1",
        ("src/models/user.py",),
    )
    assert tasks[1].paths == ("src/services/user_service.py",)
    assert tasks[2].story == "Story: P2"
    assert tasks[2].paths == ("src/api/login.py", "tests/test_login.py")
    assert tasks[0].phase == "Phase 3: User Story 1 - Sign in (Priority: P1) 🎯 MVP"


def test_the_checkbox_column_is_where_a_tick_goes() -> None:
    text = "intro\n  - [ ] T001 Indented task\n"
    task = parse_tasks(text)[0]
    lines = text.splitlines()
    line = lines[task.line]
    assert line[task.checkbox_column] == " "
    ticked = line[: task.checkbox_column] + "x" + line[task.checkbox_column + 1 :]
    assert parse_tasks(ticked)[0].done


def test_what_spec_kit_writes_is_what_it_reads() -> None:
    text = "\n".join(
        [
            format_task(
                TaskDraft(
                    "T001",
                    "Add src/a.py",
                    parallel=True,
                    story="US1",
                    validation="pytest -q",
                    artifact="src/a.py",
                )
            ),
            format_task(TaskDraft("T002", "Polish   the\ndocs", done=True)),
        ]
    )
    first, second = parse_tasks(text)
    assert (first.id, first.parallel, first.story, first.description) == (
        "T001",
        True,
        "US1",
        "Add src/a.py",
    )
    assert (first.validation, first.artifact, first.paths) == (
        "pytest -q",
        "src/a.py",
        ("src/a.py",),
    )
    assert (second.done, second.description) == (True, "Polish the docs")
