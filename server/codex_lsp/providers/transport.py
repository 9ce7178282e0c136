"""httpx's connections on plain asyncio sockets, for streaming model responses cheaply.

httpcore reads sockets through anyio by default, which per read arms a cancel scope and
registers and unregisters the socket with the selector (two ``epoll_ctl`` calls): with every SSE
frame read on its own, that was the largest single cost of a streamed token. Here a socket is a
:class:`asyncio.Protocol` that keeps reading into a bounded buffer (flow control pauses the
socket only when the buffer is full) and a read waits on one future.
Connecting, TLS (including TLS inside a proxy's tunnel) and timeouts keep httpcore's contract:
the same exception types, so httpx maps them to the same errors.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from codex_lsp.providers import httpcore_sync

READ_BUFFER_MAX = 256 * 1024
"""Bytes buffered unread before the socket stops being read (flow control)."""
HAPPY_EYEBALLS_DELAY_S = 0.25
"""How long an address gets before the next one is tried in parallel (RFC 8305)."""

MAX_CONNECTIONS, MAX_KEEPALIVE, KEEPALIVE_S = 100, 20, 5.0
"""httpx's default limits."""

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class _SocketProtocol(asyncio.Protocol):
    """Buffers what a connection receives and wakes the one reader waiting for it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.error: Exception | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.drained: asyncio.Future[None] | None = None
        self.paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """The connection is up (again after a TLS upgrade)."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        """Buffer ``data``; stop reading the socket while the buffer is full."""
        self.buffer += data
        if len(self.buffer) > READ_BUFFER_MAX and self.transport is not None:
            self.transport.pause_reading()
            self.paused = True
        self._wake()

    def eof_received(self) -> bool:
        """The peer closed its side: reads return what is left, then ``b""``."""
        self.eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone."""
        self.eof = True
        self.error = exc
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        """The socket's send buffer is full: writers wait."""
        if self.drained is None:
            self.drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        """The send buffer drained."""
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)
        self.drained = None

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection, as httpcore reads and writes it."""

    def __init__(self, protocol: _SocketProtocol) -> None:
        self._protocol = protocol

    @property
    def _transport(self) -> asyncio.Transport:
        assert self._protocol.transport is not None
        return self._protocol.transport

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        """Up to ``max_bytes`` received bytes, waiting up to ``timeout`` for the first;
        ``b""`` once the peer closed."""
        protocol = self._protocol
        if not protocol.buffer and not protocol.eof:
            protocol.waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):
                    await protocol.waiter
            except TimeoutError as exc:
                raise httpcore.ReadTimeout("the read timed out") from exc
            finally:
                protocol.waiter = None
        if not protocol.buffer:
            if protocol.error is not None:
                raise httpcore.ReadError(str(protocol.error)) from protocol.error
            return b""
        data = bytes(protocol.buffer[:max_bytes])
        del protocol.buffer[:max_bytes]
        if protocol.paused and len(protocol.buffer) <= READ_BUFFER_MAX // 2:
            protocol.paused = False
            self._transport.resume_reading()
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Send ``buffer``, waiting up to ``timeout`` while the send buffer is full."""
        if not buffer:
            return
        if self._protocol.error is not None or self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        drained = self._protocol.drained
        if drained is not None:
            try:
                async with asyncio.timeout(timeout):
                    await asyncio.shield(drained)
            except TimeoutError as exc:
                raise httpcore.WriteTimeout("the write timed out") from exc

    async def aclose(self) -> None:
        """Close the connection (without waiting for the peer)."""
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
    ) -> httpcore.AsyncNetworkStream:
        """Upgrade the connection to TLS (a direct ``https`` connection or a proxy tunnel)."""
        loop = asyncio.get_running_loop()
        try:
            upgraded = await loop.start_tls(
                self._transport,
                self._protocol,
                ssl_context,
                server_hostname=server_hostname,
                ssl_handshake_timeout=timeout,
            )
        except TimeoutError as exc:
            await self.aclose()
            raise httpcore.ConnectTimeout("the TLS handshake timed out") from exc
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            await self.aclose()
            raise httpcore.ConnectError(str(exc)) from exc
        if upgraded is None:
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        assert isinstance(upgraded, asyncio.Transport)
        self._protocol.transport = upgraded
        return self

    def get_extra_info(self, info: str) -> Any:
        """What httpcore asks of a connection: its TLS object, addresses, socket, and
        whether an idle one has something to read (then it is closed or broken)."""
        if info == "is_readable":
            return bool(self._protocol.buffer) or self._protocol.eof
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


Connector = Callable[
    [asyncio.AbstractEventLoop, _SocketProtocol], Awaitable[tuple[asyncio.BaseTransport, Any]]
]
"""Opens one connection on ``loop`` for ``protocol`` (TCP or a Unix socket)."""


async def _connect(
    open_connection: Connector,
    where: str,
    limit_s: float | None,
    options: Iterable[SocketOption] | None,
) -> AsyncioStream:
    """A connection made by ``open_connection`` within ``limit_s`` (None: no limit), failing
    with httpcore's errors, as httpx maps them."""
    protocol = _SocketProtocol()
    try:
        async with asyncio.timeout(limit_s):
            await open_connection(asyncio.get_running_loop(), protocol)
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"connecting to {where} timed out") from exc
    except OSError as exc:
        raise httpcore.ConnectError(str(exc)) from exc
    stream = AsyncioStream(protocol)
    _apply(stream, options)
    return stream


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens connections as :class:`AsyncioStream`."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """A TCP connection to ``host:port`` within ``timeout``."""
        local = (local_address, 0) if local_address else None
        return await _connect(
            lambda loop, protocol: loop.create_connection(
                lambda: protocol,
                host,
                port,
                local_addr=local,
                happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY_S,
            ),
            f"{host}:{port}",
            timeout,
            socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """A connection to the Unix socket ``path`` within ``timeout``."""
        return await _connect(
            lambda loop, protocol: loop.create_unix_connection(lambda: protocol, path),
            path,
            timeout,
            socket_options,
        )

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (httpcore's retry back-off)."""
        await asyncio.sleep(seconds)


def _apply(stream: AsyncioStream, options: Iterable[SocketOption] | None) -> None:
    sock: socket.socket = stream.get_extra_info("socket")
    for option in options or ():
        sock.setsockopt(*option)


class StreamingTransport(httpx.AsyncHTTPTransport):
    """httpx's HTTP/1.1 transport on :class:`AsyncioBackend` (direct connections; a proxy
    from the environment keeps httpx's own transport). Its pool locks and waits on asyncio
    too (:mod:`~codex_lsp.providers.httpcore_sync`), not on anyio."""

    def __init__(self, *, verify: ssl.SSLContext | bool) -> None:
        httpcore_sync.install()
        # not super().__init__: it would build an SSL context (the CA bundle) a second time
        ssl_context = httpx.create_ssl_context(verify=verify)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=MAX_KEEPALIVE,
            keepalive_expiry=KEEPALIVE_S,
            network_backend=AsyncioBackend(),
        )
