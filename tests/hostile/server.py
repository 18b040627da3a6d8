"""A hostile HTTP server on 127.0.0.1: routes that lie, stall, bomb, reset and redirect, with a request log.

Every request is logged with the ``Host`` header it carried, so a test can say "nothing reached a forbidden
address": the fixture server is reached under an allowed *name* (``feeds.test``, resolved by an injected
resolver), and any request that arrived under another Host (``127.0.0.1``, ``[::1]`` …) or on the
``/canary`` paths is a request the guard should have stopped.
"""

from __future__ import annotations

import http.server
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

Handler = Callable[["HostileHandler"], None]

ALLOWED_NAME = "feeds.test"


@dataclass(frozen=True)
class Hit:
    """One request the server received."""

    host: str  # the Host header, lower-case, without the port
    path: str
    method: str


class HostileHandler(http.server.BaseHTTPRequestHandler):
    """Dispatches to the route table; a handler may write anything, including nothing at all."""

    server: HostileServer
    protocol_version = "HTTP/1.1"

    def _dispatch(self) -> None:
        host = (self.headers.get("Host") or "").lower()
        if host.startswith("["):
            host = host[1 : host.find("]")] if "]" in host else host
        else:
            host = host.rsplit(":", 1)[0] if ":" in host else host
        srv = self.server
        with srv.lock:
            srv.hits.append(Hit(host, self.path, self.command))
        path = self.path.split("?", 1)[0]
        route = srv.routes.get(path)
        self.close_connection = True
        try:
            if route is None:
                self.send_bytes(404, b"not found")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            pass  # the client gave up, which is what the hostile routes want to see

    do_GET = _dispatch  # noqa: N815 (the stdlib's name)
    do_HEAD = _dispatch  # noqa: N815

    # -- response helpers ------------------------------------------------------------------------

    def head(self, status: int, headers: Iterable[tuple[str, str]]) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()

    def send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/plain; charset=utf-8",
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        hdrs = [("Content-Type", content_type)] if content_type else []
        hdrs.append(("Content-Length", str(len(body) if length is None else length)))
        hdrs.extend((headers or {}).items())
        self.head(status, hdrs)
        if self.command != "HEAD":
            self.wfile.write(body)
            self.wfile.flush()

    def reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0), as a crashing server or a proxy would."""
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class HostileServer(http.server.ThreadingHTTPServer):
    """The server; ``routes`` maps a path (no query) to a handler. Start with ``start()``."""

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), HostileHandler)
        self.routes: dict[str, Handler] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()  # slow routes end when this is set
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> HostileServer:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()

    # -- addresses ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str, host: str = ALLOWED_NAME) -> str:
        """The URL of ``path`` under an allowed name (default) or any other host form."""
        return f"http://{host}:{self.port}{path}"

    # -- the log -------------------------------------------------------------------------------------

    def hits_for(self, path_prefix: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path.startswith(path_prefix)]

    def forbidden_hits(self) -> list[Hit]:
        """Requests that arrived under a Host other than the allowed name, or on a canary path."""
        with self.lock:
            return [h for h in self.hits if h.host != ALLOWED_NAME or h.path.startswith("/canary")]

    # -- route builders --------------------------------------------------------------------------------

    def add(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def static(
        self,
        path: str,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> str:
        return self.add(path, lambda h: h.send_bytes(status, body, content_type, headers, length))

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.add(path, lambda h: h.send_bytes(status, b"", "text/plain", {"Location": location}))

    def trickle(
        self,
        path: str,
        chunks: Callable[[], Iterable[bytes]],
        delay: float,
        content_type: str = "application/xml",
    ) -> str:
        """A chunked body sent one piece every ``delay`` seconds (slow-loris); an endless iterable never ends."""

        def handler(h: HostileHandler) -> None:
            h.head(200, [("Content-Type", content_type), ("Transfer-Encoding", "chunked")])
            for chunk in chunks():
                if self.stopping.is_set():
                    return
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                h.wfile.flush()
                if delay:
                    self.stopping.wait(delay)
            h.wfile.write(b"0\r\n\r\n")

        return self.add(path, handler)

    def stream(self, path: str, pieces: Callable[[], Iterator[bytes]], headers: dict[str, str]) -> str:
        """A body written piece by piece as the generator yields (big bodies never held in memory)."""

        def handler(h: HostileHandler) -> None:
            h.head(200, list(headers.items()))
            for piece in pieces():
                if self.stopping.is_set():
                    return
                h.wfile.write(piece)
            h.wfile.flush()

        return self.add(path, handler)

    def reset_after(
        self, path: str, prefix: bytes, declared: int, headers: dict[str, str] | None = None
    ) -> str:
        """Announce ``declared`` bytes, send ``prefix``, then reset the connection."""

        def handler(h: HostileHandler) -> None:
            hdrs = [("Content-Type", "application/rss+xml"), ("Content-Length", str(declared))]
            hdrs.extend((headers or {}).items())
            h.head(200, hdrs)
            h.wfile.write(prefix)
            h.wfile.flush()
            time.sleep(0.05)
            h.reset()

        return self.add(path, handler)
