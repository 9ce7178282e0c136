"""Runs the fake model server in a process of its own, so a benchmark's client and the model
server do not share a GIL: ``python -m bench.model_process TOKENS FRAME_DELAY_S`` prints the base
URL, then serves timestamped replies until stdin closes.

Its event loop waits with ``select``, whose timeout has microseconds: epoll's has milliseconds,
which sent every frame due within the same millisecond at once (bursts no independent streams
would make)."""

from __future__ import annotations

import asyncio
import selectors
import subprocess
import sys

from codex_lsp.testing import FakeModelServer, Reply, Text


class _FinePolicy(asyncio.DefaultEventLoopPolicy):
    """Event loops that wake on time to the microsecond."""

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """A selector loop on ``select``."""
        return asyncio.SelectorEventLoop(selectors.SelectSelector())


def main() -> None:
    """Serve until stdin is closed."""
    asyncio.set_event_loop_policy(_FinePolicy())
    tokens, delay = int(sys.argv[1]), float(sys.argv[2])
    with FakeModelServer() as server:
        server.default_reply = Reply((Text(timestamped=tokens),), frame_delay_s=delay)
        print(server.base_url, flush=True)
        sys.stdin.read()


class ModelProcess:
    """``with ModelProcess(tokens, delay) as url:`` — the fake server in a child process."""

    def __init__(self, tokens: int, frame_delay_s: float) -> None:
        self.args = [str(tokens), str(frame_delay_s)]
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> str:
        """Start the child and return the base URL it serves on."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.model_process", *self.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def __exit__(self, *exc: object) -> None:
        """Tell the child to stop (its stdin closes) and reap it."""
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


if __name__ == "__main__":
    main()
