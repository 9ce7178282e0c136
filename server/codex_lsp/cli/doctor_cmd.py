"""``codex-lsp doctor``: one verdict line per check (config, provider, API, sandbox), exit 1 when
any check fails: config, provider, API, store, each MCP server, spec-kit's agents per stage,
editor files, sandbox."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

import codex_lsp
from codex_lsp.config.loader import LoadedConfig, codex_lsp_home, load_layered
from codex_lsp.config.model import McpServerConfig
from codex_lsp.config.secrets import redact
from codex_lsp.errors import CodexError
from codex_lsp.exec import seccomp
from codex_lsp.exec.runner import run_command
from codex_lsp.exec.sandbox import landlock_abi, sandboxed_argv, unavailable_reason
from codex_lsp.mcp.manager import McpManager
from codex_lsp.protocol.policies import WorkspaceWrite
from codex_lsp.providers.http import ProviderHttp
from codex_lsp.providers.registry import ResolvedProvider, resolve_provider
from codex_lsp.speckit.agents import stage_agents
from codex_lsp.speckit.workspace import Workspace, find_root
from codex_lsp.store import ConversationStore

PROBE_TIMEOUT_S = 5.0
Report = Callable[[str, str, str], None]


async def _provider_answers(resolved: ResolvedProvider) -> tuple[str, str]:
    http = ProviderHttp(resolved.provider_id, resolved.info)
    headers = {"authorization": f"Bearer {http.api_key}"} if http.api_key else {}
    if resolved.info.wire_api.value == "anthropic" and http.api_key:
        headers = {"x-api-key": http.api_key, "anthropic-version": "2023-06-01"}
    await http.aclose()
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S) as client:
            response = await client.get(f"{http.base_url}/models", headers=headers)
    except httpx.HTTPError as exc:
        return "FAIL", f"cannot reach {http.base_url}: {exc or 'the connection failed'}"
    elapsed = int((time.monotonic() - started) * 1000)
    if response.status_code in (401, 403):
        status, key = response.status_code, resolved.info.env_key
        return "FAIL", f"{http.base_url} rejected the API key (HTTP {status}); check {key}"
    if response.status_code >= 400:
        return (
            "warn",
            f"{http.base_url}/models answered HTTP {response.status_code} in {elapsed} ms",
        )
    return "ok", f"{http.base_url} answered in {elapsed} ms"


_SANDBOX_PROBE = "mkdir .codex-lsp; touch .git/probe; ls /proc"


async def _sandbox(report: Report) -> None:
    reason = unavailable_reason()
    if reason is not None:
        report("FAIL", "sandbox", f"{reason}: sandboxed commands will be refused")
        return
    from codex_lsp.exec.sandbox_launch import SANDBOX_FAILED_MARKER  # Linux only

    abi = landlock_abi()
    report(
        "ok",
        "sandbox",
        f"Landlock ABI {abi}" + (" (TCP rules)" if abi >= 4 else " (no TCP rules: ABI < 4)"),
    )
    if seccomp.supported():
        report(
            "ok",
            "network",
            "seccomp filter available: no sockets but Unix ones without network access",
        )
    else:
        report("warn", "network", "no seccomp filter for this machine: UDP is not blocked")
    folder = Path(tempfile.mkdtemp(prefix="codex-lsp-doctor-"))
    try:
        (folder / ".git").mkdir()
        argv = sandboxed_argv(["sh", "-c", _SANDBOX_PROBE], WorkspaceWrite(), folder)
        result = await run_command(argv, folder, timeout_s=10)
        processes = [name for name in result.stdout.split() if name.isdigit()]
        if SANDBOX_FAILED_MARKER in result.stderr:
            detail = result.stderr.split(SANDBOX_FAILED_MARKER, 1)[1].strip()
            report("FAIL", "sandbox", f"sandboxed commands will be refused: {detail}")
        elif (folder / ".git" / "probe").exists() or (folder / ".codex-lsp").exists():
            report("FAIL", "sandbox", ".git or .codex-lsp could be written inside the sandbox")
        elif not processes or len(processes) > 10:
            report("FAIL", "sandbox", "commands can see the server's processes in /proc")
        else:
            report(
                "ok",
                "sandbox",
                ".git, .codex and .codex-lsp stay read-only for commands (created or not); the "
                "server's processes and $CODEX_LSP_HOME are hidden from them",
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def _store(path: Path, report: Report) -> None:
    try:
        store = await ConversationStore.open(path)
    except CodexError as exc:
        report("FAIL", "store", exc.message)
        return
    try:
        verdict = await store.integrity_check()
        count = await store.count()
    except CodexError as exc:
        report("FAIL", "store", exc.message)
        return
    finally:
        await store.close()
    if verdict != "ok":
        report("FAIL", "store", f"{path} is damaged ({verdict}); move it aside and restart")
    else:
        report("ok", "store", f"{path}: {count} conversation(s), integrity ok")


async def _mcp_servers(servers: dict[str, McpServerConfig], report: Report) -> None:
    enabled = {name: cfg for name, cfg in servers.items() if cfg.enabled}
    if not enabled:
        return
    manager = McpManager()
    manager.configure(enabled)
    try:
        await manager.wait_started(max(c.startup_timeout_sec for c in enabled.values()) + 1)
        for status in manager.statuses():
            if status.state == "ready":
                report("ok", "mcp", f"{status.name}: ready, {len(status.tools)} tool(s)")
            else:
                report("FAIL", "mcp", f"{status.name}: {status.reason or status.state}")
    finally:
        await manager.shutdown()


def _speckit(loaded: LoadedConfig, cwd: Path, report: Report) -> None:
    """The spec-kit layout of ``cwd`` and the agents each stage will use."""
    try:
        workspace = Workspace.open(find_root(cwd), loaded.config)
        count = len(workspace.layout.specs())
    except CodexError as exc:
        report("FAIL", "speckit", exc.message)
        return
    layout = workspace.layout.kind.value
    report("ok", "speckit", f"{layout} layout at {workspace.root}: {count} SPEC(s)")
    for plan in stage_agents(loaded.config).values():
        runnable = plan.native or bool(plan.agents)
        report("ok" if runnable else "warn", "speckit", plan.describe())


EDITOR_FILES = {
    "Neovim plugin": ("neovim", "lua/codex_lsp/init.lua"),
    "VS Code extension": ("vscode-extension", "package.json"),
}


def _editor_files(report: Report) -> None:
    """The editor integrations ship in the source tree; say where they are (or that this
    installation has none)."""
    root = Path(codex_lsp.__file__).resolve().parents[2]
    for name, (folder, marker) in EDITOR_FILES.items():
        if (root / folder / marker).is_file():
            report("ok", "editor", f"{name}: {root / folder}")
        else:
            report(
                "warn",
                "editor",
                f"{name} not found next to this installation ({root}); get it from the "
                "codex-lsp repository (docs/neovim.md)",
            )


async def diagnose(overrides: dict[str, Any], cwd: Path, report: Report) -> None:
    """Run every check, reporting as it goes."""
    loaded: LoadedConfig | None = None
    try:
        loaded = load_layered(overrides, workspace=cwd)
        report(
            "ok",
            "config",
            f"parses: {len(loaded.merged.origins)} values set, {len(loaded.warnings)} warning(s)",
        )
        for warning in loaded.warnings:
            report("warn", "config", warning)
    except CodexError as exc:
        report("FAIL", "config", exc.message)
    if loaded is not None:
        try:
            resolved = await resolve_provider(loaded.config)
            report("ok", "provider", f"{resolved.provider_id}, model {resolved.model}")
            verdict, detail = await _provider_answers(resolved)
            report(verdict, "provider", detail)
        except CodexError as exc:
            report("FAIL", "provider", exc.message.splitlines()[0])
        await _store((loaded.config.state_db or codex_lsp_home() / "state.db").expanduser(), report)
        await _mcp_servers(loaded.config.mcp_servers, report)
        _speckit(loaded, cwd, report)
    _editor_files(report)
    await _sandbox(report)


def run_doctor(overrides: dict[str, Any], cwd: Path) -> int:
    """Print the checks; 1 when any failed."""
    failed = False

    def report(verdict: str, area: str, detail: str) -> None:
        nonlocal failed
        failed = failed or verdict == "FAIL"
        print(f"{verdict:<4}  {area:<9} {redact(detail)}", flush=True)

    asyncio.run(diagnose(overrides, cwd, report))
    return 1 if failed else 0
