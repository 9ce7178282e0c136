"""The VS Code extension end to end in a real VS Code (code-server, its web build with a real
extension host) driven by Playwright in Debian's headless Chromium, against codex-lsp and the
scripted model server: open the chat, send a prompt, see the streamed answer, approve a command
inline, see the patch as a diff, undo the turn, complete a slash command and an @-mention.
Screenshots go to ``test-artifacts/`` (not committed)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from codex_lsp.testing import FakeModelServer, Reply, Text, ToolCall
from tests.helpers import subprocess_env

ROOT = Path(__file__).parents[2]
VSIX = ROOT / "vscode-extension" / "dist" / "codex-lsp.vsix"
ARTIFACTS = ROOT / "test-artifacts"
CODE_SERVER = os.environ.get("CODE_SERVER_BIN") or shutil.which("code-server")
CHROMIUM = shutil.which("chromium")
PATCH = "*** Begin Patch\n*** Update File: app.py\n@@\n-x = 1\n+x = 2\n*** End Patch\n"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CODE_SERVER is None or CHROMIUM is None or not VSIX.exists(),
        reason="needs code-server (CODE_SERVER_BIN), Debian's chromium and the built .vsix "
        "(make extension); .ci/run installs them",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def code_server(codex_home: Path, workspace: Path, tmp_path: Path) -> Iterator[str]:
    """code-server on 127.0.0.1 with the extension installed; yields the workspace URL."""
    assert CODE_SERVER is not None
    user_data, extensions = tmp_path / "ud", tmp_path / "ext"
    (user_data / "User").mkdir(parents=True)
    settings = {
        "codexLsp.server.command": [sys.executable, "-m", "codex_lsp"],
        "codexLsp.approvalPolicy": "untrusted",
        "codexLsp.sandbox": "danger-full-access",
        "workbench.startupEditor": "none",
        "security.workspace.trust.enabled": False,
    }
    (user_data / "User" / "settings.json").write_text(json.dumps(settings))
    env = {**subprocess_env(codex_home), "HOME": str(codex_home.parent)}
    dirs = ["--user-data-dir", str(user_data), "--extensions-dir", str(extensions)]
    subprocess.run(
        [CODE_SERVER, *dirs, "--install-extension", str(VSIX)],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            CODE_SERVER,
            "--bind-addr",
            f"127.0.0.1:{port}",
            "--auth",
            "none",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            *dirs,
            str(workspace),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/?folder={workspace}"
    finally:
        proc.terminate()
        proc.wait(20)


async def webview_frame(page: Any, selector: str, timeout_s: float = 60) -> Any:
    """The (nested) webview frame that contains ``selector``."""
    async with asyncio.timeout(timeout_s):
        while True:
            for frame in page.frames:
                try:
                    if await frame.query_selector(selector):
                        return frame
                except Exception:  # frames come and go while the workbench loads
                    continue
            await asyncio.sleep(0.25)


@pytest.fixture
async def browser_page() -> AsyncIterator[Any]:
    """A headless Chromium page (Playwright, Debian's browser)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield await browser.new_page(viewport={"width": 1400, "height": 900})
        finally:
            await browser.close()


@pytest.mark.timeout(240)
async def test_chat_panel_prompt_approval_and_patch(
    code_server: str,
    browser_page: Any,
    model_server: FakeModelServer,
    workspace: Path,
) -> None:
    (workspace / "app.py").write_text("x = 1\n")
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "made.txt"]}),)),
        Reply((ToolCall("apply_patch", {"input": PATCH}),)),
        Reply((Text("Set **x** to 2 and made a file."),)),
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser_page
    await page.goto(code_server)
    await page.wait_for_selector(".monaco-workbench", timeout=60_000)
    await page.screenshot(path=str(ARTIFACTS / "vscode-workbench.png"))
    view = page.locator(".activitybar [aria-label*='codex-lsp']").first
    await view.wait_for(timeout=60_000)
    await view.click()
    await asyncio.sleep(1)
    await page.screenshot(path=str(ARTIFACTS / "vscode-chat-opened.png"))
    chat = await webview_frame(page, "#composer")
    await chat.fill("#composer", "make the file and set x to 2")
    await chat.press("#composer", "Enter")

    for _ in range(2):  # the command, then the patch
        button = await chat.wait_for_selector("button[data-decision='approved']", timeout=60_000)
        await page.screenshot(path=str(ARTIFACTS / "vscode-approval.png"))
        call = await button.get_attribute("data-call")
        await button.click()
        await chat.wait_for_selector(f"button[data-call='{call}']", state="detached")
    await chat.wait_for_selector("text=Set x to 2 and made a file.", timeout=60_000)
    await page.screenshot(path=str(ARTIFACTS / "vscode-answer.png"))
    transcript = await chat.inner_text("#transcript")
    assert "make the file and set x to 2" in transcript
    assert "$ touch made.txt" in transcript and "exit 0" in transcript
    assert "+x = 2" in transcript and "patch applied" in transcript
    assert (workspace / "made.txt").exists()
    assert "tokens used" in await chat.inner_text("#meter")

    await chat.click("#undo")
    await chat.wait_for_selector("text=Undo done: restored app.py.", timeout=30_000)
    await page.screenshot(path=str(ARTIFACTS / "vscode-undo.png"))

    await chat.fill("#composer", "/mo")  # fill fires the input event
    await chat.wait_for_selector("#suggestions >> text=/model", timeout=10_000)
    model_server.enqueue(Reply((Text("It sets x."),)))
    await chat.fill("#composer", "what does @ap")
    await chat.locator("#suggestions >> text=app.py").click(timeout=30_000)
    assert await chat.input_value("#composer") == "what does @app.py "
    await chat.press("#composer", "Enter")
    await chat.wait_for_selector("text=It sets x.", timeout=60_000)
    await page.screenshot(path=str(ARTIFACTS / "vscode-mention.png"))
    sent = json.dumps(model_server.requests[-1].body["input"])
    assert "what does @app.py" in sent and "x = 1" in sent  # the mentioned file's content
