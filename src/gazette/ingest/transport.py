"""Ingest: the HTTP transport under the fetcher — connections pinned to checked addresses, one deadline.

``PinnedTransport`` is an ``httpx.BaseTransport`` (httpx's documented way to plug in a transport) over an
``httpcore.ConnectionPool`` whose ``network_backend`` (httpcore's documented extension point) opens
sockets only to the addresses the guard checked for the request in flight. The URL keeps the real name,
so httpx writes it in the Host header and httpcore sends it as TLS SNI and checks the certificate against
it; only the TCP connect is redirected. Nothing here touches a private attribute of httpx or httpcore.

httpcore does its socket work in the calling thread, so ``pinned()`` sets, for the current thread, the
checked addresses and the monotonic time by which everything must be done; every connect, read, write and
TLS handshake is cut short at that time, which stops a server sending one byte every few seconds.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

LOCATION = "x-gazette-location"


class Deadline:
    """What is left of one fetch's total time limit, shared by its redirects, robots.txt and a retry.

    Time is spent only while a request is on the wire (``running()``) or waited out (``spend()``): waiting
    for a busy host's turn is politeness, not the server's slowness, and does not count.
    """

    def __init__(self, seconds: float) -> None:
        self.total = float(seconds)
        self._left = float(seconds)

    @property
    def left(self) -> float:
        """Seconds left (never negative)."""
        return max(self._left, 0.0)

    def spend(self, seconds: float) -> None:
        self._left -= seconds

    @contextmanager
    def running(self) -> Iterator[float]:
        """Yield the monotonic time by which the request now starting must end; charge what it took."""
        started = time.monotonic()
        try:
            yield started + self.left
        finally:
            self._left -= time.monotonic() - started


@dataclass(frozen=True)
class _Flight:
    addresses: tuple[str, ...]
    ends_at: float  # monotonic


_flight = threading.local()


@contextmanager
def pinned(addresses: tuple[str, ...], ends_at: float) -> Iterator[None]:
    """Within this block, connections of this thread go to ``addresses`` only and end by ``ends_at``."""
    _flight.value = _Flight(addresses, ends_at)
    try:
        yield
    finally:
        _flight.value = None


def _current() -> _Flight | None:
    return getattr(_flight, "value", None)


def _remaining(timeout: float | None) -> float | None:
    """The per-operation timeout, shortened to what is left before the deadline (0.0: none left)."""
    flight = _current()
    if flight is None:
        return timeout
    left = flight.ends_at - time.monotonic()
    if left <= 0:
        return 0.0
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read, write and handshake ends by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        t = _remaining(timeout)
        if t == 0.0:
            raise httpcore.ReadTimeout("total deadline passed")
        return self._inner.read(max_bytes, t)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        t = _remaining(timeout)
        if t == 0.0:
            raise httpcore.WriteTimeout("total deadline passed")
        self._inner.write(buffer, t)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        t = _remaining(timeout)
        if t == 0.0:
            raise httpcore.ConnectTimeout("total deadline passed")
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, t))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Connects only to the addresses checked for the current request, never to a name."""

    def __init__(self) -> None:
        self._sync = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        flight = _current()
        if flight is None or not flight.addresses:
            # Every request of the fetcher runs inside pinned(); anything else is a bug, and never a lookup.
            raise httpcore.ConnectError(f"no checked address for {host}")
        last: Exception | None = None
        for address in flight.addresses:
            t = _remaining(timeout)
            if t == 0.0:
                raise httpcore.ConnectTimeout("total deadline passed")
            try:
                stream = self._sync.connect_tcp(
                    address, port, timeout=t, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectTimeout:
                raise
            except httpcore.ConnectError as exc:
                last = exc
                continue
            return _DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """The system trust store, loaded once per process (an SSLContext is safe to share between threads)."""
    return httpx.create_ssl_context(trust_env=False)


# httpcore's exceptions as httpx's, most specific first (httpx's own transport raises the same classes).
_ERRORS: tuple[tuple[type[Exception], type[httpx.RequestError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)


@contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core, mapped in _ERRORS:
            if isinstance(exc, core):
                raise mapped(str(exc), request=request) from exc
        raise


class _Body(httpx.SyncByteStream):
    def __init__(self, stream: Any, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors(self._request):
            yield from self._stream

    def close(self) -> None:
        closer = getattr(self._stream, "close", None)
        if closer is not None:
            closer()


class PinnedTransport(httpx.BaseTransport):
    """HTTP/1.1 over pooled connections to checked addresses only; redirects left to the caller."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, max_connections: int = 20) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context or default_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            http1=True,
            http2=False,
            retries=0,
            network_backend=PinnedBackend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream,  # type: ignore[arg-type]  # a sync stream: an iterable of bytes
            extensions=request.extensions,
        )
        with _as_httpx_errors(request):
            answer = self._pool.handle_request(core_request)
        headers = httpx.Headers(answer.headers)
        # Redirects are the fetcher's to follow and check. Hide Location from httpx, which would otherwise
        # parse it (and fail on forms like 0177.0.0.1) before the guard sees it.
        if "location" in headers:
            headers[LOCATION] = headers["location"]
            del headers["location"]
        return httpx.Response(
            status_code=answer.status,
            headers=headers,
            stream=_Body(answer.stream, request),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        self._pool.close()
