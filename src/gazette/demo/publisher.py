"""A local demo publisher on 127.0.0.1: three sources' feeds, article pages, robots.txt, a sitemap and OPML.

``gazette demo`` starts it, subscribes to :meth:`DemoPublisher.feeds` and ingests it over real HTTP, so
the whole pipeline (fetcher, feed parsing, extraction, enrichment, store) meets the things real sites do:
site chrome around the article, a Windows-1252 page without any charset, an article listed twice (once with
tracking parameters), a page without any date, hostile markup, and conditional GETs answered with 304.
Everything is rendered once at :meth:`DemoPublisher.start` (the port is part of every absolute URL); see
``site.py`` for the pages and ``feed_documents.py`` for the feed documents.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from gazette.demo.site import DemoArticle, DemoFeed, DemoSite, Page
from gazette.errors import GazetteError
from gazette.revalidation import http_date, is_not_modified

__all__ = ["DEMO_PORT", "DemoArticle", "DemoFeed", "DemoPublisher"]

logger = logging.getLogger(__name__)

DEMO_PORT = 8765
"""The port ``gazette demo`` asks for, so the stored URLs stay the same from one run to the next."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "DemoPublisher/1.0"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(head_only=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head_only=True)

    def _answer(self, head_only: bool) -> None:
        path = urlsplit(self.path).path  # tracking parameters and other queries are ignored, as sites do
        page = self.server.site.routes.get(path)
        if page is None:
            self._send(404, "text/plain; charset=utf-8", b"not found\n", {}, head_only)
            return
        headers = {"ETag": page.etag, "Cache-Control": "max-age=60"}
        if page.last_modified is not None:
            headers["Last-Modified"] = http_date(page.last_modified)
        if self._not_modified(page):
            self._send(304, None, b"", headers, head_only=True)
            return
        self._send(200, page.content_type, page.body, headers, head_only)

    def _not_modified(self, page: Page) -> bool:
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        return is_not_modified(inm, ims, page.etag, page.last_modified)

    def _send(
        self, status: int, content_type: str | None, body: bytes, headers: dict[str, str], head_only: bool
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in headers.items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature is http.server's
        logger.debug("demo publisher: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: DemoSite

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-response (a fetcher over its size limit) is routine, not a traceback.
        logger.debug("demo publisher: connection from %s ended early", client_address, exc_info=True)


class DemoPublisher:
    """Serves the demo sources from one local HTTP server in a background thread.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. ``port=0`` picks a free port; with
    ``fallback=True`` a port that is taken is replaced by a free one (logged) instead of failing.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, fallback: bool = False) -> None:
        self.host = host
        self.port = port
        self.fallback = fallback
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server (no trailing slash)."""
        return self._site.base_url

    @property
    def _site(self) -> DemoSite:
        if self._server is None:
            raise GazetteError("the demo publisher is not running; call start() first")
        return self._server.site

    def start(self) -> None:
        """Bind the port, render every page and feed, and serve in a daemon thread."""
        if self._server is not None:
            return
        try:
            server = _Server((self.host, self.port), _Handler)
        except OSError as exc:
            if not (self.fallback and self.port):
                raise GazetteError(f"demo publisher cannot listen on {self.host}:{self.port}: {exc}") from exc
            logger.warning("demo publisher: port %d is taken (%s); using a free port", self.port, exc)
            server = _Server((self.host, 0), _Handler)
        try:
            server.site = DemoSite(f"http://{self.host}:{server.server_address[1]}")
        except BaseException:
            server.server_close()
            raise
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="demo-publisher", daemon=True)
        self._thread.start()
        logger.info("demo publisher serving %d articles at %s", len(server.site.corpus), server.site.base_url)

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> DemoPublisher:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def feeds(self) -> list[DemoFeed]:
        """Every feed, with absolute URLs, its source's name and its declared section."""
        return self._site.feeds()

    def opml(self) -> str:
        """An OPML 2.0 document listing every feed (grouped by source; ``category`` is a section slug)."""
        return self._site.opml()

    def articles(self) -> list[DemoArticle]:
        """The corpus as served: one entry per distinct article, canonical absolute URLs, newest first."""
        return self._site.articles()
