"""The set-up checks behind ``codex-lsp doctor`` and ``codex/doctor``: config, provider, API,
store, each MCP server, editor files, sandbox. Each finding is reported as it is made, as a
verdict (``ok``, ``warn``, ``FAIL``), an area and what was found (with what to do)."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import codex_lsp
from codex_lsp.config.loader import LoadedConfig, codex_lsp_home
from codex_lsp.config.model import McpServerConfig
from codex_lsp.config.secrets import redact
from codex_lsp.errors import CodexError, InvalidResponseError, ProviderError, ProviderHTTPError
from codex_lsp.exec import seccomp
from codex_lsp.exec.runner import run_command
from codex_lsp.exec.sandbox import landlock_abi, sandboxed_argv, unavailable_reason
from codex_lsp.mcp.manager import McpManager
from codex_lsp.protocol.policies import WorkspaceWrite
from codex_lsp.protocol.requests import DoctorFinding, DoctorResult
from codex_lsp.providers.models import fetch_models
from codex_lsp.providers.registry import ResolvedProvider, resolve_provider
from codex_lsp.store import ConversationStore

PROBE_TIMEOUT_S = 5.0
Report = Callable[[str, str, str], None]


async def _provider_answers(resolved: ResolvedProvider) -> tuple[str, str]:
    """Whether the provider's model list answers (the request a model picker makes)."""
    started = time.monotonic()
    try:
        listed = await fetch_models(resolved.provider_id, resolved.info, PROBE_TIMEOUT_S)
    except ProviderHTTPError as exc:
        if exc.status in (401, 403):
            key = resolved.info.env_key
            return "FAIL", f"the API key was rejected (HTTP {exc.status}); check {key}"
        return "warn", exc.message
    except InvalidResponseError as exc:
        return "warn", exc.message
    except ProviderError as exc:
        return "FAIL", exc.message
    elapsed = int((time.monotonic() - started) * 1000)
    where = redact((resolved.info.base_url or "").rstrip("/"))
    return "ok", f"{where} answered in {elapsed} ms ({len(listed)} model(s) listed)"


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


CHECKS: frozenset[str] = frozenset({"config", "provider", "store", "mcp", "editor", "sandbox"})


async def diagnose(
    load: Callable[[], LoadedConfig], report: Report, checks: frozenset[str] = CHECKS
) -> None:
    """Run the ``checks`` (every one by default) on the configuration ``load`` gives,
    reporting as it goes."""
    loaded: LoadedConfig | None = None
    try:
        loaded = load()
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
        if "provider" in checks:
            try:
                resolved = await resolve_provider(loaded.config)
                report("ok", "provider", f"{resolved.provider_id}, model {resolved.model}")
                verdict, detail = await _provider_answers(resolved)
                report(verdict, "provider", detail)
            except CodexError as exc:
                report("FAIL", "provider", exc.message.splitlines()[0])
        if "store" in checks:
            path = (loaded.config.state_db or codex_lsp_home() / "state.db").expanduser()
            await _store(path, report)
        if "mcp" in checks:
            await _mcp_servers(loaded.config.mcp_servers, report)
    if "editor" in checks:
        _editor_files(report)
    if "sandbox" in checks:
        await _sandbox(report)


async def doctor_result(
    load: Callable[[], LoadedConfig], checks: Sequence[str] | None = None
) -> DoctorResult:
    """The findings of ``checks`` (every one when ``None``) as ``codex/doctor`` answers them,
    secrets masked."""
    found: list[DoctorFinding] = []

    def report(verdict: str, area: str, detail: str) -> None:
        level: Literal["ok", "warn", "fail"] = (
            "fail" if verdict == "FAIL" else "warn" if verdict == "warn" else "ok"
        )
        found.append(DoctorFinding(verdict=level, area=area, detail=redact(detail)))

    await diagnose(load, report, CHECKS if checks is None else frozenset(checks))
    return DoctorResult(ok=all(f.verdict != "fail" for f in found), findings=found)
