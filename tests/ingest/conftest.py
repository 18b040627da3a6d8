"""A real HTTP server on 127.0.0.1 whose routes each test sets, recording every request it gets."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gazette.config import FetchSettings
from gazette.ingest.fetcher import Fetcher

FIXTURES = Path(__file__).parent / "fixtures"

Handler = Callable[["RequestHandler"], None]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    started: float
    ended: float = 0.0


class RequestHandler(http.server.BaseHTTPRequestHandler):
    server: FixtureHTTPServer

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
        srv = self.server
        with srv.lock:
            srv.seen.append(seen)
            srv.active += 1
            srv.max_active = max(srv.max_active, srv.active)
        try:
            route = srv.routes.get(self.path.split("?")[0])
            if route is None and self.path == "/robots.txt":
                self.reply(404, b"no robots here")
            elif route is None:
                self.reply(404, b"not found")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should on the hostile routes
        finally:
            seen.ended = time.monotonic()
            with srv.lock:
                srv.active -= 1

    def reply(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/plain",
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class FixtureHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RequestHandler)
        self.routes: dict[str, Handler] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        with self.lock:
            return [s.path for s in self.seen]

    def route(self, path: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.routes[path] = fn
            return fn

        return register

    def static(
        self, path: str, body: bytes, content_type: str = "text/plain", status: int = 200, **headers: str
    ) -> None:
        hdrs = {k.replace("_", "-"): v for k, v in headers.items()}
        self.routes[path] = lambda h: h.reply(status, body, content_type, hdrs)


@pytest.fixture
def server() -> Iterator[FixtureHTTPServer]:
    srv = FixtureHTTPServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@dataclass
class FetcherFactory:
    made: list[Fetcher] = field(default_factory=list)

    def __call__(self, resolver: Callable[[str, int], list[str]] | None = None, **kw: object) -> Fetcher:
        base: dict[str, object] = {
            "allow_hosts": ["127.0.0.1"],
            "delay_seconds": 0.0,
            "timeout_seconds": 5.0,
            "total_timeout": 10.0,
        }
        base.update(kw)
        fetcher = Fetcher(FetchSettings(**base), resolver=resolver)  # type: ignore[arg-type]
        self.made.append(fetcher)
        return fetcher


@pytest.fixture
def make_fetcher() -> Iterator[FetcherFactory]:
    factory = FetcherFactory()
    yield factory
    for fetcher in factory.made:
        fetcher.close()
