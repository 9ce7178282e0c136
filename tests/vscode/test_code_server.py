"""The VS Code extension end to end in a real VS Code (code-server, its web build with a real
extension host) driven by Playwright in Debian's headless Chromium, against codex-lsp and the
scripted model server: open the chat, send a prompt, see the streamed answer, approve a command
inline, review a patch per hunk (one rejected) with its diff in VS Code's diff editor, see the
cost, undo the turn from its button, pick the effort, mention a file and the current file, fork
and switch tabs, complete a slash command; in the MCP Servers view, see a real MCP server fail,
restart it and see it ready with its tools; a ``/speckit.auto`` run with scripted agents whose
quality gate waits on two questions, one answered in the panel's run card in the user's words,
the other from the Problems view's quick fix, and the run completing.
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
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from codex_lsp.testing import FakeModelServer, Reply, Stall, Text, ToolCall
from tests.helpers import subprocess_env
from tests.mcp.conftest import FAULT_SERVER
from tests.speckit.agents import agents_toml, answering
from tests.speckit.conftest import make_fork_repo, make_fork_spec
from tests.speckit.pipeline import AGENTS, STAGES, THREE, asked, enqueue
from tests.speckit.test_gates import GATES, clarify_answer, issue

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


def standin_wheel(folder: Path) -> Path:
    """A wheel whose ``codex-lsp`` command runs this interpreter's codex-lsp: what the Install
    button pip-installs in the test (a real venv and pip, no network)."""
    name = "codex_lsp_standin"
    info = f"{name}-1.0.dist-info"
    files = {
        f"{name}.py": f"import os, sys\n\ndef main():\n    os.execv({sys.executable!r}, "
        f"[{sys.executable!r}, '-m', 'codex_lsp', *sys.argv[1:]])\n",
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: codex-lsp-standin\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
        f"{info}/entry_points.txt": f"[console_scripts]\ncodex-lsp = {name}:main\n",
    }
    files[f"{info}/RECORD"] = "".join(f"{n},,\n" for n in [*files, f"{info}/RECORD"])
    wheel = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


@pytest.fixture
def code_server(
    request: pytest.FixtureRequest, codex_home: Path, workspace: Path, tmp_path: Path
) -> Iterator[str]:
    """code-server on 127.0.0.1 with the extension installed; yields the workspace URL. With
    the parameter ``"no server"`` nothing tells the extension where codex-lsp is (the PATH has
    none) and its Install button pip-installs :func:`standin_wheel`; a dict parameter holds
    settings that replace the defaults."""
    assert CODE_SERVER is not None
    user_data, extensions = tmp_path / "ud", tmp_path / "ext"
    (user_data / "User").mkdir(parents=True)
    settings: dict[str, Any] = {
        "codexLsp.server.command": [sys.executable, "-m", "codex_lsp"],
        "codexLsp.approvalPolicy": "untrusted",
        "codexLsp.sandbox": "danger-full-access",
        "workbench.startupEditor": "none",
        "security.workspace.trust.enabled": False,
    }
    env = {**subprocess_env(codex_home), "HOME": str(codex_home.parent)}
    param = getattr(request, "param", None)
    if isinstance(param, dict):
        settings.update(param)
    if param == "no server":
        del settings["codexLsp.server.command"]
        settings["codexLsp.server.installSource"] = str(standin_wheel(tmp_path))
        env["PATH"] = os.pathsep.join(
            d for d in env["PATH"].split(os.pathsep) if not (Path(d) / "codex-lsp").exists()
        )
    (user_data / "User" / "settings.json").write_text(json.dumps(settings))
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
    """The (nested) webview frame that contains ``selector``, once its script has drawn the
    panel (the HTML is there before the script listens to the composer's keys)."""
    async with asyncio.timeout(timeout_s):
        while True:
            for frame in page.frames:
                try:
                    if await frame.query_selector(selector):
                        await frame.wait_for_selector("#tabs button[data-action=history]")
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


APP = "x = 1\n" + "".join(f"line{n} = {n}\n" for n in range(2, 20)) + "y = 1\n"
TWO_HUNKS = (
    "*** Begin Patch\n*** Update File: app.py\n"
    "@@\n-x = 1\n+x = 2\n@@\n-y = 1\n+y = 2\n*** End Patch\n"
)


PASTE_IMAGE = """() => {
  const png = Uint8Array.from(atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
  ), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([png], "pixel.png", { type: "image/png" }));
  document.getElementById("composer").dispatchEvent(
    new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true })
  );
}"""


def fails_once(marker: Path) -> str:
    """An ``[mcp_servers.faults]`` table whose server fails at its first start (as one missing
    its set-up would) and is the real test MCP server once restarted."""
    script = (
        f"test -e {marker} && exec {sys.executable} {FAULT_SERVER}; "
        f"touch {marker}; echo not set up yet >&2; exit 3"
    )
    return f'\n[mcp_servers.faults]\ncommand = "/bin/sh"\nargs = ["-c", {json.dumps(script)}]\n'


async def restart_mcp_server(page: Any) -> None:
    """The MCP Servers view shows the server failed; its Restart action brings it up with its
    tools."""
    pane = page.locator(".pane", has=page.locator(".pane-header", has_text="MCP Servers"))
    server = pane.locator(".monaco-list-row", has_text="faults")
    await server.filter(has_text="failed").wait_for(timeout=60_000)
    await page.screenshot(path=str(ARTIFACTS / "vscode-mcp-failed.png"))
    await server.hover()
    await server.locator(".action-label[aria-label*='Restart MCP Server']").click()
    await server.filter(has_text="ready").wait_for(timeout=60_000)
    assert "tools" in await server.inner_text()
    await server.click()  # expand: the tools by their own names
    await pane.locator(".monaco-list-row", has_text="write_note").wait_for(timeout=10_000)
    await page.screenshot(path=str(ARTIFACTS / "vscode-mcp-ready.png"))


async def send(chat: Any, text: str) -> None:
    await chat.fill("#composer", text)  # fill fires the input event
    await chat.press("#composer", "Enter")


@pytest.mark.timeout(300)
async def test_chat_panel_end_to_end(
    code_server: str,
    browser_page: Any,
    model_server: FakeModelServer,
    codex_home: Path,
    workspace: Path,
) -> None:
    (workspace / "app.py").write_text(APP)
    config = codex_home / "config.toml"
    mcp = fails_once(codex_home / "mcp-started-once")
    config.write_text(config.read_text() + mcp + "\n[model_price]\ninput = 2.0\noutput = 8.0\n")
    model_server.enqueue(
        Reply((ToolCall("shell", {"command": ["touch", "made.txt"]}),)),
        Reply((ToolCall("apply_patch", {"input": TWO_HUNKS}),)),
        Reply((Text("Set **y** to 2 and made a file."),)),
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser_page
    await page.goto(code_server)
    await page.wait_for_selector(".monaco-workbench", timeout=60_000)
    view = page.locator(".activitybar [aria-label*='codex-lsp']").first
    await view.wait_for(timeout=60_000)
    await view.click()
    await restart_mcp_server(page)
    chat = await webview_frame(page, "#composer")
    await send(chat, "make the file and set x and y to 2")

    # The command: approved inline.
    button = await chat.wait_for_selector("button[data-decision='approved']", timeout=60_000)
    await page.screenshot(path=str(ARTIFACTS / "vscode-approval.png"))
    call = await button.get_attribute("data-call")
    await button.click()
    await chat.wait_for_selector(f"button[data-call='{call}']", state="detached")

    # The patch: reviewed per hunk (the x hunk rejected), its diff opened in the diff editor.
    await chat.wait_for_selector("text=@@ -1,4 +1,4 @@", timeout=60_000)
    await chat.locator(".hunk input[type=checkbox]").first.uncheck()
    await chat.locator(".approval button[data-action=openDiff]").click()
    await page.wait_for_selector(".monaco-diff-editor", timeout=30_000)
    assert await page.locator(".tab", has_text="proposed by codex-lsp").count() >= 1
    proposed = page.locator(".monaco-diff-editor .modified .view-lines")
    await proposed.filter(has_text="y = 2").wait_for(timeout=30_000)
    assert await proposed.filter(has_text="x = 2").count() == 0  # the unchecked hunk is left out
    await page.screenshot(path=str(ARTIFACTS / "vscode-review.png"))
    await chat.locator(".approval button[data-decision='approved']").click()
    await chat.wait_for_selector("text=Set y to 2 and made a file.", timeout=60_000)
    await page.screenshot(path=str(ARTIFACTS / "vscode-answer.png"))
    transcript = await chat.inner_text("#transcript")
    assert "make the file and set x and y to 2" in transcript
    assert "Ran touch made.txt" in transcript and "exit 0" in transcript  # cards, collapsed
    assert "Edited app.py" in transcript and "patch applied" in transcript
    await chat.locator(".card-patch .card-head").click()  # the diff on expand
    assert "+y = 2" in await chat.inner_text(".card-patch .card-body")
    assert (workspace / "app.py").read_text() == APP.replace("y = 1", "y = 2")
    sent = json.dumps(model_server.requests[-1].body["input"])
    assert "NOT applied" in sent and "+x = 2" in sent  # the model knows what was rejected
    meter = await chat.inner_text("#meter")
    assert "tokens used" in meter and "$" in meter  # the session cost (model_price)

    # Undo from the turn's own button: the patch and what the command made are taken back.
    await chat.locator("#transcript button[data-action=undo]").click()
    await chat.wait_for_selector("text=Undo done: restored app.py, made.txt.", timeout=30_000)
    assert (workspace / "app.py").read_text() == APP
    assert not (workspace / "made.txt").exists()

    # The effort picker applies to the next turn; @current-file sends the open editor's text.
    await chat.select_option("#effort", "high")
    await page.locator(".activitybar [aria-label*='Explorer']").first.click()
    explorer = page.locator(".explorer-folders-view")
    await explorer.get_by_text("app.py", exact=True).dblclick()
    await page.locator(".tab", has_text="app.py").filter(has_not_text="codex-lsp").wait_for()
    await page.locator(".activitybar [aria-label*='codex-lsp']").first.click()
    chat = await webview_frame(page, "#composer")
    model_server.enqueue(Reply((Text("It sets x."),)))
    await chat.fill("#composer", "what does @ap")
    await chat.locator("#suggestions >> text=app.py").click(timeout=30_000)
    assert await chat.input_value("#composer") == "what does @app.py "
    await send(chat, "what does @app.py do? and @current-file")
    await chat.wait_for_selector("text=It sets x.", timeout=60_000)
    body = model_server.requests[-1].body
    sent = json.dumps(body["input"])
    assert "line19 = 19" in sent and 'context name=\\"current-file\\"' in sent
    assert body.get("reasoning", {}).get("effort") == "high"
    assert "@current-file" in await chat.text_content("#transcript")  # shown by name only
    await page.screenshot(path=str(ARTIFACTS / "vscode-mention.png"))

    # A pasted image: a thumbnail in the composer, attached to the message for the model.
    await chat.evaluate(PASTE_IMAGE)
    await chat.wait_for_selector("#attachments img", timeout=30_000)
    model_server.enqueue(Reply((Text("A red pixel."),)))
    await send(chat, "what is in this image?")
    await chat.wait_for_selector("text=A red pixel.", timeout=60_000)
    sent = json.dumps(model_server.requests[-1].body["input"])
    assert "data:image/png;base64," in sent

    # Fork from the first turn: a new tab; a new conversation: another; tabs switch.
    await chat.locator("#transcript button[data-action=fork]").first.click()
    await chat.wait_for_selector("#tabs .tab:nth-child(2).active", timeout=30_000)
    assert "(fork)" in await chat.inner_text("#tabs")
    await chat.click("#tabs button[data-action=newConversation]")
    model_server.enqueue(Reply((Text("A fresh start."),)))
    await send(chat, "hello again")
    await chat.wait_for_selector("text=A fresh start.", timeout=60_000)
    assert await chat.locator("#tabs .tab-button").count() == 3
    await chat.locator("#tabs .tab-button").first.click()
    await chat.wait_for_selector("text=Set y to 2 and made a file.", timeout=10_000)
    await page.screenshot(path=str(ARTIFACTS / "vscode-tabs.png"))
    await chat.fill("#composer", "/mo")
    await chat.wait_for_selector("#suggestions >> text=/model", timeout=10_000)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("code_server", ["no server"], indirect=True)
async def test_install_button_sets_up_a_private_server(
    code_server: str, browser_page: Any, model_server: FakeModelServer, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser_page
    await page.goto(code_server)
    await page.wait_for_selector(".monaco-workbench", timeout=60_000)
    toast = page.locator(".notification-toast", has_text="server was not found on PATH")
    await toast.wait_for(timeout=60_000)
    await page.screenshot(path=str(ARTIFACTS / "vscode-install-offer.png"))
    await toast.locator(".monaco-button", has_text="Install").click()
    venv_server = tmp_path / "ud" / "User" / "globalStorage" / "codex-lsp.codex-lsp" / "venv"
    async with asyncio.timeout(120):
        while not (venv_server / "bin" / "codex-lsp").exists():
            await asyncio.sleep(0.5)
    model_server.enqueue(Reply((Text("Installed and answering."),)))
    await page.locator(".activitybar [aria-label*='codex-lsp']").first.click()
    chat = await webview_frame(page, "#composer")
    await send(chat, "are you there?")
    await chat.wait_for_selector("text=Installed and answering.", timeout=60_000)
    await page.screenshot(path=str(ARTIFACTS / "vscode-installed.png"))


THEMES = {
    "light": ("Light Modern", "vscode-light"),
    "dark": ("Dark Modern", "vscode-dark"),
    "high-contrast": ("Dark High Contrast", "vscode-high-contrast"),
}
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""
PLAN = {
    "explanation": "Small change",
    "plan": [
        {"step": "Look at app.py", "status": "completed"},
        {"step": "Set x to 2", "status": "in_progress"},
    ],
}
COLOURED = ["bash", "-lc", "printf '\\033[32mall good\\033[0m\\n'; seq 1 3"]
ANSWER = "Done. **app.py** now reads:\n\n```python app.py\nx = 2\ny = 3\n```\n"


async def set_theme(page: Any, chat: Any, theme: str) -> None:
    """Switch VS Code's colour theme as a user does (Preferences: Color Theme); the webview
    follows through VS Code's CSS variables."""
    name, body_class = THEMES[theme]
    if body_class not in (await chat.evaluate("document.body.className")).split():
        await page.locator(".statusbar").click(position={"x": 600, "y": 5})  # focus the workbench
        await page.keyboard.press("Control+K")
        await page.keyboard.press("Control+T")  # Preferences: Color Theme
        box = page.locator(".quick-input-widget input")
        await box.fill(name)
        rows = page.locator(".quick-input-list .monaco-list-row")
        await rows.filter(has_text=name).first.wait_for()
        await page.keyboard.press("Enter")
    async with asyncio.timeout(30):
        while body_class not in (await chat.evaluate("document.body.className")).split():
            await asyncio.sleep(0.2)
    await asyncio.sleep(0.4)  # the new colours painted


async def serious_violations(chat: Any) -> list[dict[str, Any]]:
    """axe-core run against the webview's DOM: the violations of impact serious or critical."""
    if not await chat.evaluate("typeof axe !== 'undefined'"):
        await chat.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = await chat.evaluate(AXE_RUN)
    return [v for v in found if v["impact"] in ("serious", "critical")]


async def in_every_theme(
    page: Any, chat: Any, name: str, shot: Any = None, axe: bool = True
) -> None:
    """A screenshot of ``name`` in the light, dark and high-contrast themes (``shot``: an element
    of the webview instead of the whole window), and axe-core's verdict in each."""
    problems = {}
    for theme in THEMES:
        await set_theme(page, chat, theme)
        path = str(ARTIFACTS / f"vscode-{theme}-{name}.png")
        await (shot.screenshot(path=path) if shot is not None else page.screenshot(path=path))
        if axe:
            problems[theme] = await serious_violations(chat)
    assert not any(problems.values()), json.dumps(problems, indent=1)


async def focused_id(chat: Any) -> str:
    return str(await chat.evaluate("document.hasFocus() ? document.activeElement.id : ''"))


@pytest.mark.timeout(420)
async def test_panel_cards_themes_keyboard_and_accessibility(
    code_server: str,
    browser_page: Any,
    model_server: FakeModelServer,
    codex_home: Path,
    workspace: Path,
) -> None:
    assert AXE.exists(), "axe-core is a devDependency of the extension: npm ci"
    (workspace / "app.py").write_text("x = 1\ny = 3\n")
    model_server.models = ["fake-model", "gpt-5-codex"]
    model_server.models_status = 401  # no provider works yet: the empty state says why
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser_page
    await page.goto(code_server)
    await page.wait_for_selector(".monaco-workbench", timeout=60_000)
    await page.locator(".activitybar [aria-label*='codex-lsp']").first.click()
    mcp = page.locator(".pane-header", has_text="MCP Servers")
    await mcp.wait_for(timeout=60_000)
    if await mcp.get_attribute("aria-expanded") == "true":
        await mcp.click()  # the chat gets the whole sidebar
    chat = await webview_frame(page, "#composer")

    # The empty state: the exact doctor findings while the provider fails, three examples.
    setup = chat.locator(".setup")
    await setup.wait_for(timeout=60_000)
    assert "the API key was rejected (HTTP 401); check FAKE_MODEL_KEY" in await setup.inner_text()
    assert await chat.locator(".empty .examples button").count() == 3
    await in_every_theme(page, chat, "empty-state")
    model_server.models_status = 200
    await chat.click(".setup button[data-action=doctor]")
    await chat.locator(".empty", has_text="fake, model fake-model").wait_for(timeout=30_000)
    assert await setup.count() == 0

    # The pickers show the provider's models and the configured one; the meter is there.
    await chat.wait_for_selector("#model option[value='gpt-5-codex']", state="attached")
    assert await chat.input_value("#model") == "fake-model"
    assert await chat.locator("#mode option").count() == 3  # read-only, auto, full-access
    assert await chat.input_value("#mode") == "auto"
    assert await chat.locator("#meter [role=progressbar]").count() == 1

    # A first example prompt: a plan, a command waiting for approval.
    model_server.enqueue(
        Reply((ToolCall("update_plan", PLAN),)),
        Reply((ToolCall("shell", {"command": COLOURED}),)),
        Reply((ToolCall("apply_patch", {"input": PATCH}),)),
        Reply((Text(ANSWER),)),
    )
    await chat.locator(".empty .examples button").first.click()
    assert await focused_id(chat) == "composer"
    await chat.fill("#composer", "set x to 2 in app.py")
    await chat.press("#composer", "Enter")
    approval = chat.locator(".approval", has_text="wants to run")
    await approval.wait_for(timeout=60_000)
    assert await chat.locator("#tabs .tab.active .tab-state.waiting").count() == 1
    alert = chat.locator("#alerter")  # announced assertively, in a few words
    assert await alert.get_attribute("aria-live") == "assertive"
    assert (await alert.text_content() or "").startswith("Approval needed: codex-lsp wants to run")
    plan = chat.locator(".card-plan")
    assert "Plan: 1 of 2 done" in await plan.inner_text()
    assert await plan.locator(".checklist li").count() == 2
    await in_every_theme(page, chat, "approval")
    await in_every_theme(page, chat, "plan", shot=plan, axe=False)
    await approval.locator("button[data-decision='approved']").click()

    # The patch is reviewed, then applied: a card with the file and its +/- counts.
    review = chat.locator(".approval", has_text="wants to change")
    await review.wait_for(timeout=60_000)
    await review.locator("button[data-decision='approved']").click()
    patch = chat.locator(".card-patch")
    await patch.filter(has_text="patch applied").wait_for(timeout=60_000)
    assert await patch.locator(".summary").inner_text() == "Edited app.py +1 \u22121"
    await patch.locator(".card-head").click()
    assert "+x = 2" in await patch.locator("pre.diff").inner_text()
    assert await patch.locator("button[data-action=openDiff]").count() == 1
    await in_every_theme(page, chat, "patch-card", shot=patch, axe=False)

    # The command card: collapsed once done; on expand its command line and coloured output.
    await chat.wait_for_selector("text=now reads", timeout=60_000)
    command = chat.locator(".card-command")
    head = command.locator(".card-head")
    assert await head.get_attribute("aria-expanded") == "false"
    assert "exit 0" in await head.inner_text()
    await head.click()
    output = command.locator(".output")
    assert "all good" in await output.locator(".ansi-fg-2").inner_text()
    assert "printf" in await command.locator(".cmdline").inner_text()
    await in_every_theme(page, chat, "command-expanded")

    # The answer's code block: Copy, Insert at cursor, Apply (to the file it names).
    block = chat.locator(".agent .code-block")
    assert await block.locator(".hljs-keyword, .hljs-number").count() >= 1  # highlighted
    assert await block.locator("button[data-action=copyCode]").count() == 1
    assert await block.locator("button[data-action=insertCode]").count() == 1
    await block.locator("button[data-action=applyCode]").click()
    await page.locator(".tab", has_text="app.py").wait_for(timeout=30_000)
    editor = page.locator(".editor-group-container .monaco-editor .view-lines")
    await editor.filter(has_text="y = 3").first.wait_for(timeout=30_000)
    assert "tokens used" in await chat.inner_text("#meter")

    # Keyboard: the shortcut focuses the composer; Up edits the last message; Escape interrupts;
    # Tab reaches the buttons with a visible focus ring.
    await editor.first.click()
    await page.keyboard.press("Control+Alt+K")
    async with asyncio.timeout(10):
        while await focused_id(chat) != "composer":
            await asyncio.sleep(0.1)
    await chat.press("#composer", "ArrowUp")
    assert await chat.input_value("#composer") == "set x to 2 in app.py"
    await chat.fill("#composer", "")
    model_server.enqueue(Reply((Stall(20), Text("too late"))))
    await send(chat, "take your time")
    await chat.wait_for_selector("#tabs .tab.active .tab-state.working", timeout=30_000)
    await chat.press("#composer", "Escape")
    await chat.wait_for_selector("text=Turn aborted (interrupted).", timeout=30_000)
    await chat.focus("#composer")
    await chat.press("#composer", "Tab")
    ring = await chat.evaluate(
        "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return [e.id, s.outlineStyle, s.outlineWidth]; })()"
    )
    assert ring[0] == "send" and ring[1] == "solid" and ring[2] != "0px", ring

    # The tab strip scrolls instead of wrapping; History… is a searchable list with workspaces.
    strip = await chat.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('.tab-list'));"
        " return [s.overflowX, s.flexWrap]; })()"
    )
    assert strip == ["auto", "nowrap"], strip
    await chat.click("#tabs button[data-action=history]")
    picker = page.locator(".quick-input-widget")
    await picker.wait_for(timeout=30_000)
    await page.keyboard.type("set x")
    row = picker.locator(".monaco-list-row", has_text="set x to 2 in app.py")
    await row.wait_for(timeout=10_000)
    assert str(workspace) in await row.inner_text()
    await page.screenshot(path=str(ARTIFACTS / "vscode-history.png"))
    await page.keyboard.press("Escape")


IDP = "Which identity provider does sign-in use?"
SESSION = "How long may a session last before FR-002 rejects its token?"


@dataclass
class ScriptedAgents:
    """One scripted model server per spec-kit agent."""

    servers: dict[str, FakeModelServer]


@pytest.fixture
def agents() -> Iterator[ScriptedAgents]:
    """The spec-kit agents' model servers."""
    with ExitStack() as stack:
        yield ScriptedAgents({name: stack.enter_context(FakeModelServer()) for name in AGENTS})


def critical_gate(agents: ScriptedAgents) -> None:
    """The clarify gate's agents raise two critical need-human questions (their answers differ,
    so each is put to the user and holds the run), then every stage's agents answer it."""
    answers = {"gemini": ("Okta", "30 minutes"), "claude": ("Auth0", "60 minutes")}
    answers["gpt_pro"] = answers["gemini"]
    for name in THREE:
        idp, session = answers[name]
        raised = clarify_answer(
            name,
            issue("CLR-009", IDP, idp, "critical", "need-human", "redirect"),
            issue("CLR-010", SESSION, session, "critical", "need-human", "expired token"),
        )
        agents.servers[name].enqueue(answering(raised))
    for stage in STAGES:
        enqueue(agents, stage)


async def open_problems(page: Any) -> Any:
    """The Problems view (its status bar entry), once it lists a problem."""
    await page.locator("[id='status.problems']").click()
    panel = page.locator(".markers-panel")
    await panel.wait_for(timeout=30_000)
    return panel


async def quick_open(page: Any, path: str) -> None:
    """Open a file of the workspace with Go to File (Ctrl+P)."""
    folder, name = path.rsplit("/", 1)
    await page.locator(".statusbar").click(position={"x": 600, "y": 5})  # focus the workbench
    await page.keyboard.press("Control+P")
    await page.locator(".quick-input-widget input").fill(path)
    rows = page.locator(".quick-input-list .monaco-list-row", has_text=folder)
    await rows.first.wait_for(timeout=30_000)
    await page.keyboard.press("Enter")
    tab = page.locator(".tab").filter(has=page.get_by_text(name, exact=True))
    await tab.wait_for(timeout=30_000)


async def until_visible(target: Any, nudge: Callable[[], Awaitable[Any]]) -> None:
    """``nudge`` (what makes VS Code ask again) until ``target`` shows: VS Code asks for code
    actions when the cursor or pointer moves, and a request that fails while the file is being
    opened is not repeated by itself."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    async with asyncio.timeout(30):
        while True:
            await nudge()
            try:
                await target.wait_for(timeout=2_000)
                return
            except PlaywrightTimeout:
                continue


async def show_fixes(page: Any, row: Any) -> None:
    """Open the quick fixes of a Problems row from its light bulb, once enabled (the view asks
    for them when the pointer comes to rest on the row)."""

    async def hover() -> None:
        await page.mouse.move(0, 0)
        await row.hover()

    bulb = row.locator(".markers-panel-action-quickfix[aria-label='Show fixes']:not(.disabled)")
    await until_visible(bulb, hover)
    await bulb.click()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("code_server", [{"codexLsp.approvalPolicy": "never"}], indirect=True)
async def test_speckit_auto_gate_answered_in_the_panel_and_from_the_problems_quick_fix(
    code_server: str,
    browser_page: Any,
    model_server: FakeModelServer,
    agents: ScriptedAgents,
    codex_home: Path,
    workspace: Path,
) -> None:
    spec = make_fork_spec(make_fork_repo(workspace))
    (codex_home / "config.toml").write_text(
        agents_toml(agents.servers, model_server.base_url, extra=GATES), "utf-8"
    )
    critical_gate(agents)
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser_page
    await page.goto(code_server)
    await page.wait_for_selector(".monaco-workbench", timeout=60_000)
    await page.locator(".activitybar [aria-label*='codex-lsp']").first.click()
    chat = await webview_frame(page, "#composer")
    await send(chat, "/speckit.auto SPEC-KIT-071")

    # The run card: the gate's questions, each with its suggested answers and a box.
    card = chat.locator(".card-speckit")
    idp = card.locator(".speckit-question", has_text="CLR-009")
    await idp.filter(has_text=IDP).wait_for(timeout=60_000)
    assert "plan waiting for an answer" in await card.inner_text()
    assert await idp.locator("button[data-answer]").all_inner_texts() == ["Okta", "Auth0"]
    session = card.locator(".speckit-question", has_text="CLR-010")
    assert await session.locator("button[data-answer]").all_inner_texts() == [
        "30 minutes",
        "60 minutes",
    ]
    await page.screenshot(path=str(ARTIFACTS / "vscode-speckit-gate.png"))
    assert not await serious_violations(chat)  # every button and box labelled, legible
    assert "plan" not in asked(agents)  # the run waits: no plan agent was asked

    # Both in the Problems view (spec.md open, the server answering code actions for it).
    await quick_open(page, "SPEC-KIT-071-login/spec.md")
    editor = page.locator(".editor-group-container .monaco-editor")
    await until_visible(editor.locator(".lightBulbWidget"), editor.get_by_text("FR-001").click)
    problems = await open_problems(page)
    row = problems.locator(".monaco-list-row", has_text="CLR-009")
    await row.wait_for(timeout=30_000)
    listed = problems.locator(".monaco-list-row", has_text="CLR-010")
    await listed.wait_for()

    # CLR-010 answered in the panel in the user's own words: written into spec.md, gone from
    # the Problems view.
    box = session.locator("input.speckit-answer-text")
    await box.fill("45 minutes, then sign in again")
    await box.press("Enter")
    await session.filter(has_text="answered: 45 minutes, then sign in again").wait_for(
        timeout=30_000
    )
    await editor.locator(".view-lines", has_text="45 minutes").wait_for()  # the open buffer
    await listed.wait_for(state="detached", timeout=30_000)
    spec_md = spec / "spec.md"
    async with asyncio.timeout(30):
        while "45 minutes, then sign in again" not in spec_md.read_text():
            await asyncio.sleep(0.2)

    # CLR-009 from the Problems view: its quick fix answers it.
    await show_fixes(page, row)
    assert await row.count() == 1  # once, though the server answers pull requests too
    fix = page.locator(".monaco-menu .action-label", has_text="Answer CLR-009: Okta")
    await fix.wait_for(timeout=30_000)
    await page.screenshot(path=str(ARTIFACTS / "vscode-speckit-quickfix.png"))
    await fix.click()

    # The run goes on and completes: the card says so, every stage file is written.
    await card.locator(".card-meta", has_text="completed").wait_for(timeout=60_000)
    assert "6 of 6 stage(s) done" in await card.locator(".summary").inner_text()
    await problems.locator(".monaco-list-row", has_text="CLR-009").wait_for(
        state="detached", timeout=30_000
    )
    text = spec_md.read_text()
    assert f"- CLR-009: {IDP} → Okta" in text and "45 minutes, then sign in again" in text
    for name in ("plan.md", "tasks.md", "unlock.md"):
        assert (spec / name).is_file(), name
    await page.screenshot(path=str(ARTIFACTS / "vscode-speckit-completed.png"))
