"""The Neovim plugin's chat buffer drawing events exactly as the server sends them (their wire
JSON from the protocol models), in a real headless Neovim."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from codex_lsp.protocol.events import TurnAbortedEvent
from codex_lsp.protocol.items import TextInput
from tests.neovim.test_neovim import NVIM, pytestmark

__all__ = ["pytestmark"]

PLUGIN = Path(__file__).resolve().parents[2] / "neovim"
SCRIPT = """
vim.opt.rtp:prepend(%(plugin)s)
local chat = require("codex_lsp.chat")
chat.open()
chat.render(vim.json.decode(%(event)s))
vim.fn.writefile(vim.api.nvim_buf_get_lines(chat.buf, 0, -1, false), %(out)s)
vim.cmd("qa!")
"""


def chat_lines(event_json: str, tmp_path: Path) -> list[str]:
    """The chat buffer after rendering one event."""
    out, script = tmp_path / "lines.txt", tmp_path / "render.lua"
    values = {"plugin": str(PLUGIN), "event": event_json, "out": str(out)}
    script.write_text(SCRIPT % {k: json.dumps(v) for k, v in values.items()})
    assert NVIM is not None
    subprocess.run([NVIM, "--headless", "--clean", "-l", str(script)], timeout=30, check=True)
    return out.read_text().splitlines()


def test_input_an_interrupt_hands_back_is_shown_as_not_sent(tmp_path: Path) -> None:
    event = TurnAbortedEvent(
        turn_id="t1",
        reason="interrupted",
        returned_input=[[TextInput(text="and then\nexplain it")]],
    )
    lines = chat_lines(event.to_wire_json(), tmp_path)
    assert "_turn aborted (interrupted)_" in lines
    assert "_not sent (queued before the interrupt):_ and then explain it" in lines
