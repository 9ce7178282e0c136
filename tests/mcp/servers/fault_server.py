"""A real MCP server (the official SDK) for tests: well-behaved tools, and tools that crash,
hang, write garbage, answer with JSON-RPC errors, ask the user (elicitation), return images and
resources.

``python fault_server.py [--slow-start SECONDS] [--die-at-start] [--refuse-init VAR]
[--http PORT]``: stdio by default; with ``--http``, streamable HTTP on 127.0.0.1:PORT/mcp,
requiring ``Authorization: Bearer $FAULTS_TOKEN`` when that variable is set. ``--refuse-init``
answers every request (``initialize`` first) with a JSON-RPC error quoting ``$VAR``, as a server
that echoes its credentials when a login fails.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from typing import Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.utilities.types import Image
from mcp.shared.exceptions import MCPError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

if "--die-at-start" in sys.argv:
    sys.exit(3)
if "--refuse-init" in sys.argv:
    secret = os.environ.get(sys.argv[sys.argv.index("--refuse-init") + 1], "")
    for line in iter(sys.stdin.readline, ""):
        request = json.loads(line)
        if "id" in request:
            error = {"code": -32603, "message": f"login refused for {secret}"}
            print(json.dumps({"jsonrpc": "2.0", "id": request["id"], "error": error}), flush=True)
    sys.exit(0)
if "--slow-start" in sys.argv:
    time.sleep(float(sys.argv[sys.argv.index("--slow-start") + 1]))

app = MCPServer("faults")


@app.tool(annotations=ToolAnnotations(read_only_hint=True))
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@app.tool()
def write_note(text: str) -> str:
    """Pretend to write a note (not read-only: needs approval under on-request)."""
    return f"noted: {text}"


@app.tool()
def crash() -> str:
    """Exit the server process in the middle of the call."""
    os._exit(1)


@app.tool()
def hang() -> str:
    """Never answer."""
    time.sleep(3600)
    return "unreachable"


@app.tool()
def garbage() -> str:
    """Write bytes that are not JSON-RPC to stdout, then never answer."""
    sys.stdout.write("this is not json\n{{{\n")
    sys.stdout.flush()
    time.sleep(3600)
    return "unreachable"


@app.tool()
def rpc_error(code: int = -32000, message: str = "the upstream database is down") -> str:
    """Answer the call with a JSON-RPC error (the server itself stays fine)."""
    raise MCPError(code=code, message=message)


@app.tool()
def env_error(name: str) -> str:
    """Fail with a message that repeats the value of the environment variable ``name`` (as a
    server that echoes its credentials in errors would)."""
    raise MCPError(code=-32000, message=f"login refused for token {os.environ.get(name)}")


@app.tool()
def picture() -> Image:
    """Return a 1x1 PNG."""
    return Image(data=PNG, format="png")


class Confirm(BaseModel):
    """What the elicitation asks for."""

    proceed: bool = True


@app.tool()
async def ask(ctx: Context) -> str:
    """Ask the user before doing it (elicitation)."""
    answer = await ctx.elicit("Really delete the cache?", Confirm)
    return f"user said: {answer.action}"


class Signup(BaseModel):
    """A form with one field of each kind MCP elicitation allows."""

    name: str = Field(description="Your name", min_length=1)
    age: int = Field(ge=0, le=150)
    plan: Literal["free", "pro"]
    newsletter: bool = False


@app.tool()
async def signup(ctx: Context) -> str:
    """Sign the user up: every field of the form is asked for (elicitation)."""
    answer = await ctx.elicit("Sign up for the service", Signup)
    data = answer.data.model_dump() if answer.action == "accept" else None
    return json.dumps({"action": answer.action, "data": data})


@app.tool()
async def login(ctx: Context, url: str) -> str:
    """Send the user to a login page (url-mode elicitation)."""
    answer = await ctx.elicit_url("Log in to the service", url, "login-1")
    return f"login: {answer.action}"


@app.resource("notes://today", name="today", mime_type="text/plain")
def today() -> str:
    """Today's notes."""
    return "buy milk"


def serve_http(port: int) -> None:
    """Streamable HTTP behind a bearer-token check."""
    import uvicorn

    inner = app.streamable_http_app()
    token = os.environ.get("FAULTS_TOKEN")

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and token:
            given = dict(scope["headers"]).get(b"authorization")
            if given != f"Bearer {token}".encode():
                await send({"type": "http.response.start", "status": 401, "headers": []})
                await send({"type": "http.response.body", "body": b"bad bearer token"})
                return
        await inner(scope, receive, send)

    uvicorn.run(guarded, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    if "--http" in sys.argv:
        serve_http(int(sys.argv[sys.argv.index("--http") + 1]))
    else:
        app.run()
