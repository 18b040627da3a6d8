"""Publish: the HTTP connection ``gazette serve`` runs under uvicorn — cached pages answered as their request is
read, every response in one socket write.

uvicorn's httptools protocol starts a task per request, passes ASGI messages through the middleware to the app,
and writes a response's status line and headers on ``http.response.start`` and its body on
``http.response.body``: two ``send`` calls, two TCP segments and two wake-ups of the client per page. Here a
request the response cache (``cache.py``) holds an answer to is answered straight from the kept bytes when its
headers have been read, in one write; any other response is gathered by ``HeldWrites`` until it is complete
(or the event loop's next turn) and written at once. The bytes, their order, keep-alive and flow control are
uvicorn's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

from gazette.publish.cache import ResponseCache

# How `gazette serve`, `gazette run` and `gazette demo` run uvicorn: httptools with one write per response, no
# access log (at log level warning it printed nothing, yet every request still paid for the fields of its line),
# and a deep accept queue for bursts of new connections.
UVICORN_OPTIONS: dict[str, Any] = {
    "http": "gazette.publish.connection:OneWriteHttpProtocol",
    "access_log": False,
    "log_level": "warning",
    "backlog": 2048,
}


class HeldWrites:
    """A transport that gathers the writes made in one turn of the event loop and passes them on as one.

    A response finished in that turn goes out at once (``flush``, called when uvicorn marks it complete);
    anything else — a streamed body, an interim answer — at the latest on the loop's next turn. Closing and
    anything that ends the stream flush first, so the bytes keep their order.
    """

    __slots__ = ("_loop", "_pending", "transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, lines: Iterable[bytes | bytearray | memoryview]) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        """Pass the held bytes to the socket (nothing when none are held or the connection is gone)."""
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        if not self.transport.is_closing():
            self.transport.write(data)

    def write_now(self, data: bytes) -> None:
        """Write ``data`` after anything held, without waiting for the loop's turn."""
        self.flush()
        if not self.transport.is_closing():
            self.transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size() + sum(len(d) for d in self._pending)

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self.transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


def front_cache(app: Any) -> ResponseCache | None:
    """The response cache when it is what answers first (uvicorn's proxy-header middleware aside: it only sets
    the client's address and scheme, which no kept answer depends on); None when anything else comes first."""
    while isinstance(app, ProxyHeadersMiddleware):
        app = app.app
    return app if isinstance(app, ResponseCache) else None


class OneWriteHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing through ``HeldWrites`` (``uvicorn.Config(http=...)``).

    A request the response cache holds an answer to is answered as soon as its headers are read, without a
    task, an ASGI message or the middleware between: the status line, uvicorn's own headers (``date``,
    ``server``), the kept headers and the body go out in one write, and the connection carries on exactly as
    after a response the app sent (keep-alive, ``connection: close``, the next pipelined request). Everything
    else — a miss, a request while the socket cannot take more, any other method — runs the app as usual.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache = front_cache(self.app)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = HeldWrites(transport, self.loop)  # type: ignore[assignment]

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        if self.cache is not None and app is self.app and not self.flow.write_paused:
            kept = self.cache.answer(cycle.scope)  # type: ignore[arg-type]
            if kept is not None:
                self._send_kept(cycle, *kept)
                return
        super()._start_asgi_task(cycle, app)

    def _send_kept(
        self, cycle: RequestResponseCycle, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        # what RequestResponseCycle.send writes for the same two messages (the kept headers were checked by it
        # when the answer was first sent)
        content = [STATUS_LINE[status]]
        for name, value in cycle.default_headers:
            content.extend((name, b": ", value, b"\r\n"))
        for name, value in headers:
            content.extend((name, b": ", value, b"\r\n"))
        if not cycle.keep_alive:
            content.append(b"connection: close\r\n")
        content.extend((b"\r\n", body))
        cycle.response_started = cycle.response_complete = True
        held = self.transport
        if isinstance(held, HeldWrites):
            held.write_now(b"".join(content))
        else:
            held.write(b"".join(content))
        cycle.message_event.set()
        if not cycle.keep_alive:
            self.transport.close()
        self.on_response_complete()

    def on_response_complete(self) -> None:
        # the whole response is held now: send it before the connection reads or answers anything else
        held = self.transport
        if isinstance(held, HeldWrites):
            held.flush()
        super().on_response_complete()

    def handle_websocket_upgrade(self) -> None:
        # the upgraded connection belongs to another protocol: give it the socket itself
        held = self.transport
        if isinstance(held, HeldWrites):
            held.flush()
            self.transport = held.transport
        super().handle_websocket_upgrade()
