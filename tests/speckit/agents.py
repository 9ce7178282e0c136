"""Real agents for the spec-kit tests: one scripted model server per agent, each on its own port
and wire (gemini on Chat Completions, claude on Anthropic Messages, gpt_pro and gpt_codex on the
Responses API), a config.toml naming them in ``[[agents]]``, and a conversation manager built
with spec-kit's router, as every front end builds it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codex_lsp.core import ConfigSources, ConversationManager, FrontEnd
from codex_lsp.protocol.items import TextInput
from codex_lsp.protocol.ops import UserInputOp
from codex_lsp.protocol.requests import NewConversationParams
from codex_lsp.speckit.front import speckit_router
from codex_lsp.testing import Answer, FakeModelServer, RecordedRequest, Reply
from tests.helpers import KEY_ENV, EventLog, ScriptedApprover

WIRES = {"gemini": "chat", "claude": "anthropic", "gpt_codex": "responses", "gpt_pro": "responses"}
MODELS = {
    "gemini": "gemini-2.5-flash",
    "claude": "claude-haiku-4-5",
    "gpt_codex": "gpt-5-codex",
    "gpt_pro": "gpt-5",
}


def agents_toml(
    servers: dict[str, FakeModelServer], main_url: str, extra: str = "", top: str = ""
) -> str:
    """The config: the user's own provider ``fake`` (``main_url``), one provider per agent;
    ``top`` holds top-level keys, ``extra`` more tables."""
    parts = [
        f'model = "fake-model"\nmodel_provider = "fake"\n{top}',
        f'[model_providers.fake]\nname = "fake"\nbase_url = "{main_url}"\n'
        f'wire_api = "responses"\nenv_key = "{KEY_ENV}"\nrequest_max_retries = 0\n',
    ]
    for name, server in servers.items():
        parts.append(
            f'[model_providers.{name}]\nname = "{name}"\nbase_url = "{server.base_url}"\n'
            f'wire_api = "{WIRES[name]}"\nenv_key = "{KEY_ENV}"\nrequest_max_retries = 0\n'
            "stream_max_retries = 0\nstream_idle_timeout_ms = 5000\n"
        )
    for name in servers:
        parts.append(
            f'[[agents]]\nname = "{name}"\nprovider = "{name}"\nmodel = "{MODELS[name]}"\n'
        )
    parts.append("[speckit.retry]\nbase_delay_ms = 10\nmax_delay_ms = 20\n")
    parts.append(extra)
    return "\n".join(parts)


def answering(answer: dict[str, Any], **reply: Any) -> Reply:
    """A reply giving ``answer`` as structured output (the wire's own way)."""
    return Reply((Answer(answer),), **reply)


@dataclass
class Agents:
    """The agents' servers, the user's own server, the manager and every event it delivered."""

    servers: dict[str, FakeModelServer]
    main: FakeModelServer
    manager: ConversationManager
    log: EventLog
    root: Path
    approver: ScriptedApprover
    conversations: list[str] = field(default_factory=list)

    def requests(self, agent: str) -> list[RecordedRequest]:
        """What ``agent``'s server received."""
        return list(self.servers[agent].requests)

    def all_requests(self) -> list[RecordedRequest]:
        """Every agent request, and the user's own server's."""
        return [r for s in (*self.servers.values(), self.main) for r in s.requests]

    async def command(self, text: str, conversation_id: str | None = None) -> str:
        """Type ``text`` in a conversation of the repository (a new one unless given) and wait
        until its task ends; returns the conversation id."""
        if conversation_id is None:
            conv = await self.manager.new_conversation(NewConversationParams(cwd=self.root))
            conversation_id = conv.id
            self.conversations.append(conversation_id)
        conv = self.manager.get(conversation_id)
        done = len(self.log.msgs(conversation_id, "taskComplete"))
        conv.submit(UserInputOp(items=[TextInput(text=text)]))
        await self.log.wait_for("taskComplete", conversation_id, count=done + 1, timeout=40)
        return conversation_id

    def speckit(self, conversation_id: str, type_: str | None = None) -> list[dict[str, Any]]:
        """The spec-kit events of a conversation (one type, or all)."""
        return [
            m
            for m in self.log.msgs(conversation_id)
            if m["type"].startswith("speckit") and (type_ is None or m["type"] == type_)
        ]

    def answer(self, conversation_id: str) -> str | None:
        """The final message of the conversation's last task."""
        done = self.log.msgs(conversation_id, "taskComplete")
        return done[-1].get("lastAgentMessage") if done else None

    def errors(self, conversation_id: str) -> list[str]:
        """The error messages of the conversation."""
        return [m["message"] for m in self.log.msgs(conversation_id, "error")]


@asynccontextmanager
async def running_agents(
    home: Path, root: Path, names: tuple[str, ...], extra: str = "", top: str = ""
) -> AsyncIterator[Agents]:
    """One server per agent in ``names``, a config for them in ``home``, and a manager."""
    with _servers(("main", *names)) as started:
        main = started.pop("main")
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.toml").write_text(agents_toml(started, main.base_url, extra, top), "utf-8")
        log = EventLog()
        approver = ScriptedApprover()
        manager = ConversationManager(
            FrontEnd(log.sink, approvals=approver),
            ConfigSources(home=home, default_cwd=root),
            router=speckit_router,
        )
        try:
            yield Agents(started, main, manager, log, root, approver)
        finally:
            await manager.shutdown_all()


@contextmanager
def _servers(names: tuple[str, ...]) -> Iterator[dict[str, FakeModelServer]]:
    with ExitStack() as stack:
        yield {name: stack.enter_context(FakeModelServer()) for name in names}
