"""Running real subprocesses: streaming, caps, timeouts, cancellation."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from codex_lsp.exec.runner import TIMEOUT_EXIT_CODE, TRUNCATION_MARKER, run_command
from codex_lsp.protocol.items import ExecOutputStream


async def test_output_streams_separately_and_exit_code_is_kept(tmp_path: Path) -> None:
    chunks: list[tuple[ExecOutputStream, str]] = []
    result = await run_command(
        ["bash", "-c", "echo out; echo err >&2; exit 3"],
        tmp_path,
        timeout_s=5,
        on_output=lambda s, c: chunks.append((s, c)),
    )
    assert result.exit_code == 3 and not result.timed_out
    assert result.stdout == "out\n" and result.stderr == "err\n"
    assert (ExecOutputStream.STDOUT, "out\n") in chunks and (
        ExecOutputStream.STDERR,
        "err\n",
    ) in chunks


async def test_multibyte_characters_are_not_split(tmp_path: Path) -> None:
    script = (
        "import sys,time\nfor b in 'héllo'.encode():\n"
        " sys.stdout.buffer.write(bytes([b])); sys.stdout.flush(); time.sleep(0.01)"
    )
    result = await run_command(["python3", "-c", script], tmp_path, timeout_s=5)
    assert result.stdout == "héllo"


async def test_output_is_capped_with_a_marker(tmp_path: Path) -> None:
    result = await run_command(
        ["bash", "-c", "yes | head -c 100000"], tmp_path, timeout_s=5, output_cap=1000
    )
    assert result.stdout.endswith(TRUNCATION_MARKER)
    assert len(result.stdout) <= 1000 + len(TRUNCATION_MARKER)


async def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    started = time.monotonic()
    result = await run_command(
        ["bash", "-c", f"sleep 30 & echo $! > {pid_file}; wait"], tmp_path, timeout_s=0.5
    )
    assert result.timed_out and result.exit_code == TIMEOUT_EXIT_CODE
    assert time.monotonic() - started < 3
    child = int(pid_file.read_text())
    await asyncio.sleep(0.1)
    assert _gone_or_zombie(child)


def _gone_or_zombie(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


async def test_cancellation_kills_the_command_at_once(tmp_path: Path) -> None:
    task = asyncio.create_task(run_command(["sleep", "30"], tmp_path, timeout_s=60))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 2


async def test_missing_program_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        await run_command(["definitely-not-a-program-xyz"], tmp_path, timeout_s=5)
