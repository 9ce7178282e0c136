"""The asyncio transport under httpx (``providers/transport.py``) against real sockets on
127.0.0.1: streaming, TLS, timeouts, cut and refused connections, flow control, keep-alive."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpcore
import httpx
import pytest

from codex_lsp.config.model import ModelProviderInfo
from codex_lsp.providers import transport
from codex_lsp.providers.http import ProviderHttp
from codex_lsp.providers.transport import READ_BUFFER_MAX, StreamingTransport

Scenario = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def _read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            await reader.readexactly(int(value))


@asynccontextmanager
async def _server(
    scenario: Scenario, tls: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[int, list[int]]]:
    """Serve ``scenario`` for every request; yields the port and a list that counts
    connections."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while not reader.at_eof():
                await _read_request(reader)
                await scenario(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    async with server:
        yield server.sockets[0].getsockname()[1], connections


def _frames(count: int, gap_s: float) -> Scenario:
    async def scenario(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD)
        for n in range(count):
            writer.write(_chunk(b"data: %d\n\n" % n))
            await writer.drain()
            await asyncio.sleep(gap_s)
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    return scenario


async def test_a_streamed_read_leaves_the_socket_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Frames arrive one by one, in order, and reading them does not register and unregister
    the socket with the selector per read (anyio did: two epoll_ctl calls per token)."""
    selector = asyncio.get_running_loop()._selector  # type: ignore[attr-defined]
    changes: list[str] = []
    for name in ("register", "modify", "unregister"):
        original = getattr(selector, name)

        def counted(*args: object, _name: str = name, _original: object = original) -> object:
            changes.append(_name)
            return _original(*args)  # type: ignore[operator]

        monkeypatch.setattr(selector, name, counted)
    async with _server(_frames(60, 0.003)) as (port, _):
        info = ModelProviderInfo(name="t", base_url=f"http://127.0.0.1:{port}")
        http = ProviderHttp("t", info)
        async with http.post_stream("/responses", {}, http.headers()) as frames:
            before = len(changes)
            data = [frame.data async for frame in frames]
        await http.aclose()
    assert data == [str(n) for n in range(60)]
    assert len(changes) - before < 10, changes[before:]


def _certificate(folder: Path, name: str) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (needed to make a test certificate)")
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}"),
            *("-addext", f"subjectAltName=DNS:{name}"),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


async def test_tls_streams_and_verifies_the_host_name(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path, "localhost")
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    async with _server(_frames(5, 0.0), tls=served) as (port, _):
        async with httpx.AsyncClient(transport=StreamingTransport(verify=trusting)) as client:
            async with client.stream("GET", f"https://localhost:{port}/") as response:
                body = b"".join([chunk async for chunk in response.aiter_bytes()])
            assert body == b"".join(b"data: %d\n\n" % n for n in range(5))
            with pytest.raises(httpx.ConnectError, match="certificate"):
                await client.get(f"https://127.0.0.1:{port}/")  # not the certificate's name
        async with httpx.AsyncClient(transport=StreamingTransport(verify=True)) as client:
            with pytest.raises(httpx.ConnectError, match="certificate"):
                await client.get(f"https://localhost:{port}/")  # self-signed: not trusted


async def test_an_idle_stream_times_out_and_a_cut_one_fails() -> None:
    async def stall(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD + _chunk(b"data: 1\n\n"))
        await asyncio.sleep(5)

    async def cut(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD + b"40\r\ndata: 1")
        await writer.drain()
        writer.transport.abort()

    timeout = httpx.Timeout(5.0, read=0.2)
    async with httpx.AsyncClient(transport=StreamingTransport(verify=False)) as client:
        async with _server(stall) as (port, _):
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(httpx.ReadTimeout):
                async with client.stream("GET", f"http://127.0.0.1:{port}/", timeout=timeout) as r:
                    async for _ in r.aiter_bytes():
                        pass
            assert loop.time() - started < 2.0
        async with _server(cut) as (port, _):
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                async with client.stream("GET", f"http://127.0.0.1:{port}/") as r:
                    async for _ in r.aiter_bytes():
                        pass
        async with _server(cut) as (port, _):
            pass
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")  # nobody listens any more


async def test_a_body_larger_than_the_buffer_arrives_whole_to_a_slow_reader() -> None:
    payload = bytes(range(256)) * (4 * READ_BUFFER_MAX // 256)

    async def big(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(payload))
        writer.write(payload)
        await writer.drain()

    digest = hashlib.sha256()
    async with (
        _server(big) as (port, _),
        httpx.AsyncClient(transport=StreamingTransport(verify=False)) as client,
        client.stream("GET", f"http://127.0.0.1:{port}/") as response,
    ):
        async for chunk in response.aiter_raw():
            digest.update(chunk)
            await asyncio.sleep(0.005)  # the buffer fills: reading pauses, resumes
    assert digest.digest() == hashlib.sha256(payload).digest()


async def test_a_kept_alive_connection_is_reused_and_a_closed_one_replaced() -> None:
    async def answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()

    async def answer_and_close(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await answer(_, writer)
        await asyncio.sleep(0.05)
        writer.close()

    async with httpx.AsyncClient(transport=StreamingTransport(verify=False)) as client:
        async with _server(answer) as (port, connections):
            for _ in range(3):
                assert (await client.get(f"http://127.0.0.1:{port}/")).text == "ok"
            assert len(connections) == 1
        async with _server(answer_and_close) as (port, connections):
            for _ in range(2):
                assert (await client.get(f"http://127.0.0.1:{port}/")).text == "ok"
                await asyncio.sleep(0.2)  # the server closed the idle connection meanwhile
            assert len(connections) == 2


async def test_a_full_pool_makes_a_request_wait_for_a_free_connection_or_time_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pool's wait for a connection (an event and a timeout) works on asyncio's own."""
    monkeypatch.setattr(transport, "MAX_CONNECTIONS", 1)
    async with (
        _server(_frames(3, 0.05)) as (port, connections),
        httpx.AsyncClient(transport=StreamingTransport(verify=False)) as client,
    ):
        url = f"http://127.0.0.1:{port}/"
        async with client.stream("GET", url) as first:
            with pytest.raises(httpx.PoolTimeout):
                await client.get(url, timeout=httpx.Timeout(5.0, pool=0.05))
            second = asyncio.create_task(client.get(url))
            await asyncio.sleep(0.05)
            assert not second.done()  # queued behind the stream that holds the one connection
            assert [line async for line in first.aiter_lines() if line] == [
                "data: 0",
                "data: 1",
                "data: 2",
            ]
        assert (await second).text == "data: 0\n\ndata: 1\n\ndata: 2\n\n"
    assert len(connections) == 1  # the freed connection served the queued request


async def test_a_request_cancelled_mid_stream_frees_its_connection() -> None:
    """Cancelling the reader closes its connection (httpcore's shielded clean-up runs) and
    the next request gets a fresh one."""
    async with (
        _server(_frames(50, 0.02)) as (port, connections),
        httpx.AsyncClient(transport=StreamingTransport(verify=False)) as client,
    ):
        url = f"http://127.0.0.1:{port}/"
        first_frame = asyncio.Event()

        async def read() -> None:
            async with client.stream("GET", url) as response:
                async for _ in response.aiter_lines():
                    first_frame.set()

        reader = asyncio.create_task(read())
        await asyncio.wait_for(first_frame.wait(), 5)
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
        async with client.stream("GET", url) as response:
            assert [line async for line in response.aiter_lines() if line][:2] == [
                "data: 0",
                "data: 1",
            ]
    assert len(connections) == 2


async def test_httpcore_shield_holds_off_an_anyio_cancel_scope() -> None:
    """Once anyio scopes exist (an MCP session loads anyio's backend), httpcore's shield is
    anyio's own: a cancelled anyio scope cannot cut a connection's clean-up short."""
    import anyio
    from httpcore._synchronization import AsyncShieldCancellation

    StreamingTransport(verify=False)  # installs the asyncio primitives
    done: list[str] = []
    with anyio.CancelScope() as scope:
        scope.cancel()
        with AsyncShieldCancellation():
            await asyncio.sleep(0.01)
            done.append("clean-up")
    assert done == ["clean-up"]


async def test_a_unix_socket_connects_streams_and_a_missing_one_is_a_connect_error(
    tmp_path: Path,
) -> None:
    """httpcore's other way in (a pool given ``uds``): the same stream over a Unix socket, and
    httpcore's error for a socket nobody listens on."""

    async def hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")
        await writer.drain()
        writer.close()

    path = tmp_path / "model.sock"
    server = await asyncio.start_unix_server(hello, path)
    backend = transport.AsyncioBackend()
    try:
        async with httpcore.AsyncConnectionPool(uds=str(path), network_backend=backend) as pool:
            response = await pool.request("GET", "http://localhost/")
            assert response.status == 200 and response.content == b"hello"
    finally:
        server.close()
        await server.wait_closed()
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_unix_socket(str(tmp_path / "gone.sock"), timeout=2.0)
