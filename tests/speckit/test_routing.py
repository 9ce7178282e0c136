"""The command registry and :func:`codex_lsp.speckit.route`: aliases, unknown commands, usage
errors, options, and the current feature as the default SPEC."""

from __future__ import annotations

import pytest

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit import Invocation, RouteError, route
from codex_lsp.speckit.commands import COMMANDS, REGISTRY, Command, Kind, Registry

PRIMARY = [
    "/speckit.new",
    "/speckit.specify",
    "/speckit.clarify",
    "/speckit.analyze",
    "/speckit.checklist",
    "/speckit.plan",
    "/speckit.tasks",
    "/speckit.implement",
    "/speckit.validate",
    "/speckit.audit",
    "/speckit.unlock",
    "/speckit.auto",
    "/speckit.cancel",
    "/speckit.status",
    "/speckit.constitution",
]


def _invocation(text: str, current: str | None = None) -> Invocation:
    routed = route(text, current=current)
    assert isinstance(routed, Invocation), routed
    return routed


def _error(text: str, current: str | None = None) -> str:
    routed = route(text, current=current)
    assert isinstance(routed, RouteError), routed
    return routed.message


def test_the_registry_has_the_thirteen_commands_cancel_and_constitution() -> None:
    assert REGISTRY.names() == PRIMARY


@pytest.mark.parametrize(
    ("alias", "primary"),
    [
        ("/spec-plan", "speckit.plan"),
        ("/spec-ops-plan", "speckit.plan"),
        ("/spec-tasks", "speckit.tasks"),
        ("/spec-ops-implement", "speckit.implement"),
        ("/spec-validate", "speckit.validate"),
        ("/spec-audit", "speckit.audit"),
        ("/spec-unlock", "speckit.unlock"),
        ("/spec-status", "speckit.status"),
    ],
)
def test_an_alias_routes_to_the_same_invocation_as_its_command(alias: str, primary: str) -> None:
    via_alias = _invocation(f"{alias} SPEC-KIT-071 --json")
    direct = _invocation(f"/{primary} SPEC-KIT-071 --json")
    assert via_alias.command is direct.command
    assert via_alias.command.name == primary
    assert (via_alias.spec, via_alias.text, via_alias.json) == (direct.spec, direct.text, True)


def test_new_spec_alias_is_new() -> None:
    assert _invocation("/new-spec Add x") == _invocation("/speckit.new Add x").__class__(
        command=REGISTRY.find("speckit.new"),
        typed="/new-spec",
        text="Add x",  # type: ignore[arg-type]
    )


def test_a_duplicate_alias_is_refused_when_the_registry_is_built() -> None:
    guardrail = Command(
        "guardrail.plan",
        "guardrail",
        "/guardrail.plan <SPEC>",
        Kind.NATIVE,
        aliases=("spec-ops-plan",),
    )
    with pytest.raises(
        SpeckitError, match=r"/spec-ops-plan is declared by both /speckit.plan and /guardrail.plan"
    ):
        Registry([*COMMANDS, guardrail])
    with pytest.raises(SpeckitError, match="declared by both"):
        Registry([*COMMANDS, Command("speckit.new", "again", "/speckit.new", Kind.NATIVE)])


def test_an_unknown_speckit_command_lists_every_command() -> None:
    message = _error("/speckit.nope SPEC-KIT-071")
    assert message.startswith("Unknown spec-kit command /speckit.nope.")
    for name in PRIMARY:
        assert f"`{name}" in message
    assert "Did you mean" in _error("/speckit.plna 71")


def test_text_that_is_no_speckit_command_is_not_routed() -> None:
    assert route("/compact") is None
    assert route("please /speckit.plan it") is None
    assert route("") is None
    assert route("/spec-unknown 71") is None


@pytest.mark.parametrize(
    "text",
    ["/speckit.plan", "/speckit.tasks   ", "/spec-plan --json", "/speckit.auto --from tasks"],
)
def test_a_missing_spec_gets_the_usage(text: str) -> None:
    message = _error(text)
    assert "needs a SPEC" in message and "Usage: /speckit." in message


def test_new_needs_a_description() -> None:
    assert _error("/speckit.new") == (
        "/speckit.new needs a description. Usage: /speckit.new <description>, e.g. "
        '/speckit.new "Add user authentication with OAuth2"'
    )
    assert _invocation('/speckit.new "!!!"').text == "!!!"


def test_the_spec_reference_forms() -> None:
    for ref in (
        "SPEC-KIT-071",
        "spec-kit-071",
        "071",
        "71",
        "001-user-auth",
        "docs/SPEC-KIT-071-x",
        "specs/001-user-auth/plan.md",
        "SPEC-KIT-071-login",
    ):
        assert _invocation(f"/speckit.plan {ref} use postgres").spec == ref
    plan = _invocation("/speckit.plan SPEC-KIT-071 use postgres and redis")
    assert plan.text == "use postgres and redis"


def test_the_current_feature_is_the_default_spec() -> None:
    assert _invocation("/speckit.plan", current="specs/001-user-auth").spec == "specs/001-user-auth"
    plan = _invocation("/speckit.plan use a queue", current="specs/001-user-auth")
    assert (plan.spec, plan.text) == ("specs/001-user-auth", "use a queue")
    assert _invocation("/speckit.plan 002", current="specs/001-user-auth").spec == "002"
    assert _invocation("/speckit.status").spec is None
    assert _invocation("/speckit.status", current="specs/001-x").spec == "specs/001-x"
    overview = _invocation("/speckit.status --all", current="specs/001-x")
    assert (overview.spec, overview.all_specs) == (None, True)


def test_options() -> None:
    status = _invocation("/speckit.status 71 --stale-hours 6 --json")
    assert (status.stale_hours, status.json) == (6.0, True)
    assert _invocation("/speckit.status 71 --stale-hours=0.5").stale_hours == 0.5
    assert "above 0" in _error("/speckit.status 71 --stale-hours -3")
    assert "above 0" in _error("/speckit.status 71 --stale-hours soon")
    assert "--stale-hours needs a value" in _error("/speckit.status 71 --stale-hours")
    assert "has no option --verbose" in _error("/speckit.status 71 --verbose")
    assert "does not take 'extra words'" in _error("/speckit.status 71 extra words")
    auto = _invocation("/speckit.auto 71 --from spec-tasks ship it")
    assert (auto.from_stage, auto.text) == ("tasks", "ship it")
    assert "unknown stage 'review'" in _error("/speckit.auto 71 --from review")
    implement = _invocation("/speckit.implement 71 T003 only the parser")
    assert (implement.task, implement.text) == ("T003", "only the parser")
    assert _invocation("/speckit.plan 71 T003").task is None
