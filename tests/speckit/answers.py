"""Valid stage answers for the tests, built from the stage schemas' shapes."""

from __future__ import annotations

import json
from typing import Any


def plan_answer(
    agent: str,
    *,
    steps: tuple[str, ...] = ("Add the OAuth client",),
    agreements: tuple[str, ...] = (),
    conflicts: tuple[str, ...] = (),
    summary: str = "Sign-in through OAuth2.",
) -> dict[str, Any]:
    """A plan answer that matches the plan schema."""
    return {
        "stage": "plan",
        "agent": agent,
        "summary": summary,
        "research": [{"topic": "auth code", "details": f"{agent} read src/auth.py"}],
        "work_breakdown": [
            {"step": s, "rationale": f"because {agent}", "success_signal": "tests pass"}
            for s in steps
        ],
        "technical_design": "A callback route and a token store.",
        "data_model": [{"entity": "Session", "fields": ["id", "user_id"], "notes": ""}],
        "acceptance_mapping": [
            {"requirement": "FR-001", "validation_step": "pytest tests/auth", "artifact": "report"}
        ],
        "risks": [{"risk": "token leak", "owner": "sec", "mitigation": "encrypt at rest"}],
        "exit_criteria": ["FR-001 and FR-002 pass"],
        "open_questions": [],
        "consensus": {"agreements": list(agreements), "conflicts": list(conflicts)},
    }


def tasks_answer(agent: str) -> dict[str, Any]:
    """A tasks answer."""
    return {
        "stage": "tasks",
        "agent": agent,
        "tasks": [
            {
                "task_id": "T001",
                "title": "Add the OAuth settings",
                "phase": "setup",
                "story": "",
                "parallel": True,
                "paths": ["config/oauth.toml"],
                "validation": "pytest -q",
                "artifact": "config/oauth.toml",
                "depends_on": [],
            },
            {
                "task_id": "T002",
                "title": "Implement the callback for FR-001",
                "phase": "story",
                "story": "US1",
                "parallel": False,
                "paths": ["src/auth/callback.py"],
                "validation": "",
                "artifact": "",
                "depends_on": ["T001"],
            },
        ],
        "acceptance_coverage": [{"requirement": "FR-001", "tasks": ["T002"]}],
        "dependencies": [],
        "followups": ["include lint"],
        "consensus": {"agreements": ["two tasks"], "conflicts": []},
    }


def fenced(answer: dict[str, Any], prose: str = "Here is my answer.") -> str:
    """``answer`` as an agent would write it: prose, then a fenced JSON block."""
    return f"{prose}\n\n```json\n{json.dumps(answer, indent=2)}\n```\n"


def implement_answer(agent: str, patch: str, rationale: str = "") -> dict[str, Any]:
    """An implement answer proposing ``patch``."""
    return {
        "stage": "implement",
        "agent": agent,
        "approach": [{"task_id": "T001", "summary": f"{agent}'s approach"}],
        "operations": [{"file": "src/auth.py", "change_type": "add", "description": "the client"}],
        "patch": patch,
        "test_commands": ["pytest -q"],
        "risks": [],
        "rationale": rationale or f"{agent} proposes it",
        "consensus": {"agreements": ["one file"] if agent == "gpt_pro" else [], "conflicts": []},
    }


def validate_answer(agent: str, decision: str = "pass") -> dict[str, Any]:
    """A validate answer."""
    return {
        "stage": "validate",
        "agent": agent,
        "test_strategy": ["run the tasks' validation commands"],
        "commands": [{"command": "echo validated-ok", "purpose": "smoke"}],
        "scenarios": [
            {"name": "sign in", "requirement": "FR-001", "expected": "redirect", "status": "pass"}
        ],
        "acceptance_mapping": [
            {"requirement": "FR-001", "validation_step": "echo validated-ok", "artifact": "log"}
        ],
        "gaps": [],
        "rollback_plan": "revert the commit",
        "decision": decision,
        "consensus": {"agreements": ["passes"] if agent == "gpt_pro" else [], "conflicts": []},
    }


def audit_answer(agent: str) -> dict[str, Any]:
    """An audit answer recommending go."""
    return {
        "stage": "audit",
        "agent": agent,
        "implementation_review": f"{agent} reviewed it",
        "security_concerns": [],
        "quality_checks": [{"item": "tests", "status": "pass"}],
        "risks": [],
        "recommendation": "go",
        "conditions_for_approval": [],
        "consensus": {"agreements": ["ships"] if agent == "gpt_pro" else [], "conflicts": []},
    }


def unlock_answer(agent: str) -> dict[str, Any]:
    """An unlock answer deciding UNLOCK."""
    return {
        "stage": "unlock",
        "agent": agent,
        "unlock_decision": "UNLOCK",
        "decision_rationale": "every check passed",
        "completion_summary": "done",
        "remaining_work": [],
        "unlock_blockers": [],
        "risks_accepted": [],
        "next_steps": ["release"],
        "consensus": {"agreements": ["unlock"] if agent == "gpt_pro" else [], "conflicts": []},
    }
