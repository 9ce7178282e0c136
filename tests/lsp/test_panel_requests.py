"""What the chat panel asks a real codex-lsp process for before any conversation: the model
picker's list (``codex/listModels``) and the set-up findings of its empty state
(``codex/doctor``), against the scripted model server."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from codex_lsp.testing import FakeModelServer
from tests.helpers import SECRET_KEY
from tests.lsp.conftest import open_session


async def test_models_and_doctor_findings_over_lsp(
    codex_home: Path, workspace: Path, model_server: FakeModelServer
) -> None:
    model_server.models = ["o3", "fake-model"]
    async with open_session(codex_home, workspace, "visual-studio-code", True) as lsp:
        listed = await lsp.request("codex/listModels", {})
        assert listed["source"] == "provider" and listed["model"] == "fake-model"
        assert listed["models"][0] == {
            "id": "o3",
            "displayName": "O3",
            "contextWindow": 200_000,
            "reasoningEfforts": ["low", "medium", "high"],
        }
        found = await lsp.request("codex/doctor", {"checks": ["provider"]})
        assert found["ok"] is True
        assert [(f["verdict"], f["area"]) for f in found["findings"]] == [
            ("ok", "config"),
            ("ok", "provider"),
            ("ok", "provider"),
        ]
        assert found["findings"][1]["detail"] == "fake, model fake-model"
        assert "2 model(s) listed" in found["findings"][2]["detail"]

        # The provider now rejects the key: doctor says which variable to check, without the
        # key itself; the picker still gets a list, with the reason.
        model_server.models_status = 401
        found = await lsp.request("codex/doctor", {"checks": ["provider"]})
        assert found["ok"] is False
        assert found["findings"][-1] == {
            "verdict": "fail",
            "area": "provider",
            "detail": "the API key was rejected (HTTP 401); check FAKE_MODEL_KEY",
        }
        listed = await lsp.request("codex/listModels", {})
        assert listed["source"] == "builtIn" and "HTTP 401" in listed["note"]
        assert SECRET_KEY not in str(listed) + str(found)


async def test_doctor_without_a_provider_says_how_to_set_one_up(
    clean_env: Path, workspace: Path
) -> None:
    async with open_session(clean_env, workspace, "neovim", True) as lsp:
        found = await lsp.request("codex/doctor", {"checks": ["provider"]})
        assert found["ok"] is False
        failed = [f for f in found["findings"] if f["verdict"] == "fail"]
        assert failed == [
            {
                "verdict": "fail",
                "area": "provider",
                "detail": "no model provider is configured and none was detected.",
            }
        ]
        with pytest.raises(JsonRpcException, match=r"checks\.0: Input should be 'config'"):
            await lsp.request("codex/doctor", {"checks": ["disk"]})
