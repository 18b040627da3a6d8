"""Fixtures for the publish tests: the hand-written corpus on SQLite and PostgreSQL, and an in-process client."""

from __future__ import annotations

import re
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

import pytest
from sqlalchemy import create_engine, text

from gazette.config import Settings
from gazette.publish.app import create_app
from gazette.publish.pages import asset_fingerprints
from gazette.store.db import Database
from tests.conftest import PG_ADMIN_URL, PG_AVAILABLE, require_service
from tests.publish.publish_corpus import corpus_settings, fill

with warnings.catch_warnings():
    # Starlette suggests another HTTP client for its TestClient; httpx is the one installed.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@contextmanager
def corpus_database(url: str) -> Iterator[tuple[Settings, Database]]:
    """Settings (base URL http://gazette.test, 5 per page) and a migrated database at ``url`` holding the corpus."""
    settings = corpus_settings(url)
    db = Database(url)
    db.init()
    fill(db)
    try:
        yield settings, db
    finally:
        db.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, Database]]:
    """The corpus on SQLite and again on PostgreSQL, built once per test module: for tests that only read.

    The same as the shared ``db_url`` fixture (a temporary SQLite file; a fresh PostgreSQL schema, dropped
    afterwards), at module scope so the dozens of read-only page tests do not rebuild it each time.
    """
    if request.param == "sqlite":
        with corpus_database(f"sqlite:///{tmp_path_factory.mktemp('corpus')}/gazette.db") as built:
            yield built
        return
    if not PG_AVAILABLE:
        require_service("PostgreSQL at 127.0.0.1:5432 is not reachable")
    schema = f"gz_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        with corpus_database(f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}") as built:
            yield built
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def fresh_site(db_url: str) -> Iterator[tuple[Settings, Database]]:
    """The corpus in a database of its own, for tests that change it."""
    with corpus_database(db_url) as built:
        yield built


@pytest.fixture(scope="module")
def client(site: tuple[Settings, Database]) -> TestClient:
    """The live app over the corpus; server errors come back as 500 responses, not exceptions."""
    settings, db = site
    return TestClient(create_app(settings, db), raise_server_exceptions=False)


def asset_url(name: str, prefix: str = "") -> str:
    """The path pages link an asset by: its fingerprinted name under /assets/."""
    return f"{prefix}/assets/{asset_fingerprints()[name]}"


def article_path(client: TestClient, title: str) -> str:
    """The page path of the corpus article with this title (found through the API)."""
    cursor = None
    while True:
        params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        answer = client.get("/api/articles", params=params).json()
        for item in answer["items"]:
            if item["title"] == title:
                return str(item["path"])
        cursor = answer["next_cursor"]
        if cursor is None:
            raise AssertionError(f"no article titled {title!r}")


class PageParser(HTMLParser):
    """Collects what the page tests look at: tags with attributes, links, and the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.h1: list[str] = []
        self._in_h1 = 0
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "h1":
            self._in_h1 += 1
            self.h1.append("")
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 -= 1
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text_parts.append(data)
        if self._in_h1:
            self.h1[-1] += data

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text_parts)).strip()

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def links(self) -> list[str]:
        return [str(a["href"]) for t, a in self.tags if t == "a" and a.get("href")]


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    return parser
