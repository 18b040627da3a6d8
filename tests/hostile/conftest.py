"""Fixtures for the hostile suite: the hostile server, a resolver that names it, and ``Desk`` — one newsroom
(settings, store, pipeline, web app) with the four checks every case ends with. The case count is printed by tests/run_summaries.py."""

from __future__ import annotations

import dataclasses
import socket
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gazette.config import Settings
from gazette.ingest.fetcher import Fetcher
from gazette.pipeline import IngestReport, Pipeline
from gazette.publish.app import create_app
from gazette.store import subscriptions as feed_store
from gazette.store.db import Database
from gazette.store.schema import Article, Feed
from tests.conftest import make_settings
from tests.hostile.safety import assert_feed_inert, assert_inert, assert_json_inert
from tests.hostile.server import ALLOWED_NAME, HostileServer
from tests.run_summaries import HOSTILE_CASE

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

FIXTURES = Path(__file__).parent / "fixtures"
SECTION = "society"

# Small limits so the slow and the big cases end fast; the production defaults are tested by value elsewhere.
FETCH = {
    "allow_hosts": [ALLOWED_NAME],
    "delay_seconds": 0.0,
    "connect_timeout": 2.0,
    "timeout_seconds": 2.0,
    "total_timeout": 3.0,
    "max_bytes": 2 * 1024 * 1024,
    "max_items": 100,
    "max_redirects": 5,
}


def fixture_bytes(name: str, base: str = "") -> bytes:
    """A fixture file, with ``{base}`` replaced by the server's base URL."""
    return (FIXTURES / name).read_bytes().replace(b"{base}", base.encode())


class ConnectLog:
    """Every socket.connect this process makes while ``active()`` is on (a Python audit hook, not a mock).

    While on, it is also a firewall: a connect to anything but loopback is refused before a packet leaves,
    so a test that lets the fetcher try a "public" address never reaches the internet.
    """

    def __init__(self) -> None:
        self.addresses: list[tuple[str, int]] = []
        self._on = 0
        self._lock = threading.Lock()
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if self._on and event == "socket.connect":
            address = args[1]
            if isinstance(address, tuple) and len(address) >= 2:
                host = str(address[0])
                with self._lock:
                    self.addresses.append((host, int(address[1])))
                if host not in ("127.0.0.1", "::1"):
                    raise ConnectionRefusedError(f"test firewall: no connection to {host}")

    @contextmanager
    def active(self) -> Iterator[list[tuple[str, int]]]:
        with self._lock:
            self.addresses = []
            self._on += 1
        try:
            yield self.addresses
        finally:
            with self._lock:
                self._on -= 1


CONNECTS = ConnectLog()


class Resolver:
    """DNS for the tests: ``feeds.test`` is 127.0.0.1; other names come from ``answers`` or fail. Counts calls."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}  # name → successive answers (the last one repeats)
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host == ALLOWED_NAME:
            return ["127.0.0.1"]
        answers = self.answers.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not a test name")
        return answers.pop(0) if len(answers) > 1 else answers[0]


@pytest.fixture
def server() -> Iterator[HostileServer]:
    srv = HostileServer().start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def resolver() -> Resolver:
    return Resolver()


@dataclass
class Desk:
    """One Gazette instance pointed at the hostile server."""

    server: HostileServer
    db: Database
    settings: Settings
    resolver: Resolver
    baseline: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.server.url("")

    def fixture(self, name: str) -> bytes:
        return fixture_bytes(name, self.base)

    def serve(self, path: str, name: str, content_type: str = "application/rss+xml", **kw: Any) -> str:
        return self.server.static(path, self.fixture(name), content_type, **kw)

    def page(self, path: str, title: str = "Transport report", author: str = "Staff", **kw: Any) -> str:
        """Serve the plain article fixture with ``title``/``author`` inserted raw (hostile values stay hostile)."""
        body = fixture_bytes("plain_article.html").replace(b"{title}", title.encode("utf-8", "surrogatepass"))
        body = body.replace(b"{author}", author.encode("utf-8", "surrogatepass"))
        # One sentence naming the path keeps each page's text (and content hash) its own.
        body = body.replace(b"</article>", f"<p>This report was filed under {path}.</p></article>".encode())
        return self.server.static(path, body, **kw)

    def untitled_page(self, path: str) -> str:
        """Serve the plain article with no <title> or <h1>: the stored title is then the feed entry's."""
        body = fixture_bytes("plain_article.html")
        body = body.replace(b"<title>{title}</title>", b"").replace(b"<h1>{title}</h1>", b"")
        body = body.replace(b"{author}", b"Staff")
        body = body.replace(b"</article>", f"<p>This report was filed under {path}.</p></article>".encode())
        return self.server.static(path, body)

    def fetcher(self, **overrides: Any) -> Fetcher:
        return Fetcher(dataclasses.replace(self.settings.fetch, **overrides), resolver=self.resolver)

    def subscribe(self, *urls: str) -> None:
        with self.db.session() as s:
            for url in urls:
                feed_store.add_feed(s, url, section=SECTION)

    def ingest(self, *urls: str, **fetch_overrides: Any) -> IngestReport:
        self.subscribe(*urls)
        with Pipeline(self.settings, self.db, fetcher=self.fetcher(**fetch_overrides), workers=2) as pipeline:
            return pipeline.ingest(list(urls), force=True)

    def seed(self) -> dict[str, dict[str, Any]]:
        """Store the good article (the "earlier item" every case must leave untouched)."""
        self.server.static("/good/article.html", fixture_bytes("good_article.html"))
        url = self.serve("/good/feed.xml", "good_feed.xml")
        report = self.ingest(url)
        assert report.new == 1, report
        self.baseline = self.snapshot()
        return self.baseline

    def snapshot(self) -> dict[str, dict[str, Any]]:
        cols = ("id", "title", "text", "html", "content_hash", "slug", "date_path", "author", "guid")
        with self.db.session() as s:
            return {a.canonical_url: {c: getattr(a, c) for c in cols} for a in s.scalars(select(Article))}

    def articles(self) -> list[dict[str, Any]]:
        return list(self.snapshot().values())

    def feed(self, url: str) -> Feed:
        with self.db.session() as s:
            row = s.scalar(select(Feed).where(Feed.url == url))
            assert row is not None
            s.expunge(row)
            return row

    def client(self) -> TestClient:
        return TestClient(create_app(self.settings, self.db), raise_server_exceptions=False)

    # -- the four checks ---------------------------------------------------------------------------------

    def failed(self, report: IngestReport, url: str) -> str:
        """Check 1 (error side): the feed failed with a recorded reason; returns it."""
        reasons = [f.reason for f in report.failures if f.url == url]
        assert report.feeds_failed >= 1 and reasons, report
        row = self.feed(url)
        assert row.last_error and row.error_count >= 1
        assert "internal error" not in row.last_error, row.last_error  # a typed error, not a crash
        return row.last_error

    def assert_untouched(self) -> None:
        """Check 2: the articles stored before the case are still there, byte for byte."""
        now = self.snapshot()
        for key, before in self.baseline.items():
            assert now.get(key) == before, f"stored article {key} changed"

    def assert_no_forbidden_hits(self) -> None:
        """Check 3: no request reached the server under a forbidden address or on a canary path."""
        assert self.server.forbidden_hits() == []

    def assert_renders_inert(self) -> dict[str, bytes]:
        """Check 4: every page, feed and JSON answer over the stored articles is free of active content."""
        client = self.client()
        out: dict[str, bytes] = {}
        answer = client.get("/api/articles", params={"limit": "100"})
        assert answer.status_code == 200
        out["/api/articles"] = answer.content
        for item in answer.json()["items"]:
            for path in (item["path"], f"/api/articles/{item['id']}"):
                page = client.get(path)
                assert page.status_code == 200, (path, page.status_code)
                out[path] = page.content
        for path in ("/", "/feed.rss", "/feed.atom", "/feed.json", f"/{SECTION}/"):
            page = client.get(path)
            assert page.status_code == 200, (path, page.status_code)
            out[path] = page.content
        for path, body in out.items():
            if path.startswith("/api/") or path.endswith(".json"):
                assert_json_inert(body, path)
            elif path.endswith((".rss", ".atom")):
                assert_feed_inert(body, path)
            else:
                assert_inert(body.decode("utf-8"), path)
        return out

    def assert_clean(self) -> dict[str, bytes]:
        """Checks 2–4 together."""
        self.assert_untouched()
        self.assert_no_forbidden_hits()
        return self.assert_renders_inert()


def _desk(server: HostileServer, resolver: Resolver, url: str) -> Iterator[Desk]:
    settings = make_settings(url, fetch=dict(FETCH))
    database = Database(url)
    database.init()
    try:
        with CONNECTS.active():  # the whole case runs behind the loopback-only firewall
            yield Desk(server, database, settings, resolver)
    finally:
        database.dispose()


@pytest.fixture
def desk(server: HostileServer, resolver: Resolver, sqlite_url: str) -> Iterator[Desk]:
    """A newsroom on SQLite."""
    yield from _desk(server, resolver, sqlite_url)


@pytest.fixture
def desk_any(server: HostileServer, resolver: Resolver, db_url: str) -> Iterator[Desk]:
    """A newsroom on SQLite and again on PostgreSQL."""
    yield from _desk(server, resolver, db_url)


# -- the case each test covers, carried on its reports to the count printed at the end (tests/run_summaries.py) --


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hostile_case(name): the HOSTILE.md / issue case a test covers")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # on the item, so that every report of it says which cases it covers, in this process or (under
    # pytest-xdist) in the controller that prints the count
    for item in items:
        for marker in item.iter_markers("hostile_case"):
            item.user_properties.append((HOSTILE_CASE, marker.args[0]))
