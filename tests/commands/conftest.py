"""A live feed on 127.0.0.1 whose items a test can add while Gazette runs, and helpers to run the CLI."""

from __future__ import annotations

import html
import http.server
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from gazette.demo.corpus import CorpusArticle, load_corpus

GAZETTE = [sys.executable, "-c", "from gazette.cli import app; app()"]


class LiveFeed(http.server.ThreadingHTTPServer):
    """``/feed.xml`` lists the articles published so far (newest first); ``/a/<n>.html`` is article n.
    ``page_delay`` slows every article page (to catch a run in the middle of a feed)."""

    daemon_threads = True

    def __init__(self, articles: list[CorpusArticle]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.articles = articles
        self.published = 0
        self.page_delay = 0.0
        self.feed_requests = 0
        self.channel_extra = ""  # raw XML added to <channel> (ttl, sy:updatePeriod…)
        self.feed_headers: dict[str, str] = {}
        self.feed_status = 200
        self.page_requests = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/feed.xml"

    def publish(self, count: int = 1) -> None:
        with self.lock:
            self.published = min(len(self.articles), self.published + count)

    def feed_xml(self) -> bytes:
        base = f"http://127.0.0.1:{self.server_address[1]}"
        start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
        items = []
        for n in range(self.published - 1, -1, -1):
            a = self.articles[n]
            when = format_datetime(start + timedelta(hours=n))
            items.append(
                f"<item><title>{html.escape(a.title)}</title><link>{base}/a/{n}.html</link>"
                f"<guid>{base}/a/{n}.html</guid><pubDate>{when}</pubDate></item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>Live wire</title>'
            f"<link>{base}/</link><description>test feed</description>{self.channel_extra}{''.join(items)}"
            "</channel></rss>"
        ).encode()

    def page(self, n: int) -> bytes:
        a = self.articles[n]
        body = "".join(f"<p>{html.escape(p)}</p>" for p in a.paragraphs)
        return (
            f"<!doctype html><html lang='{a.language}'><head><meta charset='utf-8'><title>{html.escape(a.title)}"
            f"</title><meta name='author' content='{html.escape(a.author)}'></head><body><article>"
            f"<h1>{html.escape(a.title)}</h1>{body}</article></body></html>"
        ).encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: LiveFeed

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        srv = self.server
        path = self.path.split("?")[0]
        if path == "/feed.xml":
            with srv.lock:
                srv.feed_requests += 1
                body = srv.feed_xml()
                status, headers = srv.feed_status, dict(srv.feed_headers)
            self._reply(status, body if status == 200 else b"unavailable", "application/rss+xml", headers)
        elif path.startswith("/a/") and path.endswith(".html") and path[3:-5].isdigit():
            n = int(path[3:-5])
            with srv.lock:
                srv.page_requests += 1
                ok = n < srv.published
            if srv.page_delay:
                time.sleep(srv.page_delay)
            if ok:
                self._reply(200, srv.page(n), "text/html; charset=utf-8")
            else:
                self._reply(404, b"not yet", "text/plain")
        else:
            self._reply(404, b"not found", "text/plain")

    def _reply(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def live_feed() -> Iterator[LiveFeed]:
    english = [a for a in load_corpus() if a.language == "en"]
    server = LiveFeed(english)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def gazette_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZETTE_")}
    env.update(
        GAZETTE_DATABASE_URL=database_url,
        GAZETTE_FETCH_ALLOW_HOSTS="127.0.0.1",
        GAZETTE_FETCH_DELAY_SECONDS="0",
        **extra,
    )
    return env


def wait_until(check: Callable[[], bool], what: str, limit: float = 120.0) -> None:
    """Poll ``check`` until it holds; the limit only stops a hung run, it measures nothing."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


class Run:
    """A `gazette run` subprocess; its stdout is read in a thread so it never blocks."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*GAZETTE, "run", "--port", "0", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        wait_until(lambda: self.base is not None or self.proc.poll() is not None, "the server to start")
        assert self.base is not None, self.proc.stderr.read() if self.proc.stderr else ""

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def base(self) -> str | None:
        for line in self.lines:
            m = re.search(r"Gazette at (http://127\.0\.0\.1:\d+)/", line)
            if m:
                return m.group(1)
        return None

    def terminate(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGTERM)
        # The limit only catches a hang; the run's own grace period is 8 s, its network reads last far longer.
        code = self.proc.wait(timeout=30)
        self.reader.join(timeout=5)
        return code, self.proc.stderr.read() if self.proc.stderr else ""


@pytest.fixture
def runs() -> Iterator[list[Run]]:
    started: list[Run] = []
    yield started
    for run in started:
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait()
