"""Topic watches on SQLite and PostgreSQL: `watch add/list/remove` with bad input refused in one line, a watch's
page and feeds live and in the static build, and webhook deliveries sent by `gazette ingest` — retried after a
refusal, each accepted once — over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import feedparser
import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from gazette import metrics
from gazette.cli import app
from gazette.config import Settings
from gazette.publish.app import create_app
from gazette.publish.cache import cached_app
from gazette.publish.static import build_site
from gazette.store import listings
from gazette.store.db import Database
from gazette.store.migrate import copy_database
from gazette.store.schema import Article
from gazette.store.watch_schema import Delivery, Watch, WatchArticle
from tests.commands.conftest import LiveFeed
from tests.commands.receiver import webhook_receiver
from tests.conftest import make_settings
from tests.publish.publish_corpus import LiveServer

KEYS = {"name", "query", "filters", "webhook", "delivered", "pending", "failed"}
SECRET = "do-not-print-me-7f3a"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> str:
    monkeypatch.chdir(tmp_path)  # no gazette.toml from the checkout
    for name in list(__import__("os").environ):
        if name.startswith("GAZETTE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GAZETTE_DATABASE_URL", db_url)
    monkeypatch.setenv("GAZETTE_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("GAZETTE_FETCH_DELAY_SECONDS", "0")
    monkeypatch.setenv("GAZETTE_PIPELINE_WORKERS", "1")
    monkeypatch.setenv("GAZETTE_WATCH_RETRY_SECONDS", "0.2")
    return db_url


def gazette(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout + result.stderr


def failing(*args: str, code: int) -> str:
    """A command that must fail: one line on stderr starting with "error:", nothing written."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def watch_records() -> dict[str, dict[str, object]]:
    out = {}
    for line in gazette("watch", "list", "--json").splitlines():
        record = json.loads(line)
        assert set(record) == KEYS
        out[str(record["name"])] = record
    return out


def test_watch_commands_refuse_bad_input_and_never_print_the_secret(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, live_feed: LiveFeed
) -> None:
    live_feed.publish(1)
    gazette("add-feed", live_feed.url, "--source", "Live Wire")
    out = gazette(
        "watch",
        "add",
        "Storm desk",
        "--query",
        '"power cut" OR blackout -football',
        "--section",
        "Environment",
        "--source",
        "live-wire",
        "--language",
        "EN",
        "--locale",
        "venezuela/bolivar",
        "--webhook",
        "http://127.0.0.1:9/hook",
        "--secret",
        SECRET,
    )
    assert "/watch/storm-desk/" in out and SECRET not in out
    gazette("watch", "add", "Mines", "--query", "mine")
    records = watch_records()
    assert records["Storm desk"] == {
        "name": "Storm desk",
        "query": '"power cut" OR blackout -football',
        "filters": {
            "section": "environment",
            "source": "live-wire",
            "language": "en",
            "locale": "venezuela/bolivar",
        },
        "webhook": "http://127.0.0.1:9/hook",
        "delivered": 0,
        "pending": 0,
        "failed": 0,
    }
    assert records["Mines"]["webhook"] is None and records["Mines"]["filters"] == {}
    table = gazette("watch", "list")
    assert "Storm" in table and "Mines" in table  # a narrow terminal folds the cells
    assert SECRET not in table
    assert SECRET not in gazette("watch", "list", "--json")

    assert "exists already" in failing("watch", "add", "Mines", "--query", "copper", code=1)
    assert "/watch/mines/" in failing("watch", "add", "mines!", "--query", "copper", code=1)
    assert "not an http(s) URL" in failing(
        "watch", "add", "X", "--query", "copper", "--webhook", "ftp://example.org/hook", code=2
    )
    assert "not an http(s) URL" in failing(
        "watch", "add", "X", "--query", "copper", "--webhook", "hook", code=2
    )
    assert "unknown section" in failing(
        "watch", "add", "X", "--query", "copper", "--section", "weather", code=2
    )
    assert "unknown source" in failing("watch", "add", "X", "--query", "copper", "--source", "nobody", code=2)
    assert "language code" in failing("watch", "add", "X", "--query", "copper", "--language", "e n", code=2)
    assert "COUNTRY" in failing("watch", "add", "X", "--query", "copper", "--locale", "a b", code=2)
    assert "no word" in failing("watch", "add", "X", "--query", "  -- ", code=2)
    assert "longer than" in failing("watch", "add", "X", "--query", "copper " * 100, code=2)
    long_hook = "http://127.0.0.1:9/" + "h" * 2100
    assert "at most 2048" in failing("watch", "add", "X", "--query", "copper", "--webhook", long_hook, code=2)
    assert "--webhook" in failing("watch", "add", "X", "--query", "copper", "--secret", "s", code=2)
    # a private address is refused unless [fetch] allow_hosts lists it
    monkeypatch.delenv("GAZETTE_FETCH_ALLOW_HOSTS")
    line = failing("watch", "add", "X", "--query", "copper", "--webhook", "http://127.0.0.1:9/hook", code=2)
    assert "not public" in line and "allow_hosts" in line
    failing("watch", "add", "X", "--query", "copper", "--webhook", "http://10.1.2.3/hook", code=2)
    failing("watch", "add", "X", "--query", "copper", "--webhook", "http://[::1]:8080/hook", code=2)
    assert set(watch_records()) == {"Storm desk", "Mines"}  # nothing written by a refused command

    assert "watch removed: Mines" in gazette("watch", "remove", "Mines")
    assert "no watch named" in failing("watch", "remove", "Mines", code=1)
    assert set(watch_records()) == {"Storm desk"}


class CachedServer(LiveServer):
    """The app as `gazette serve` runs it: behind the response cache."""

    def __init__(self, settings: Settings, db: Database) -> None:
        super().__init__(settings, db)
        self.server.config.app = cached_app(create_app(settings, db), db)


def _full_matches(db: Database, query: str) -> set[int]:
    with db.session() as s:
        hits, _total = listings.search_articles(s, query, limit=100)
        return {h.article.id for h in hits if not h.partial}


def _feed_links(fmt: str, body: bytes) -> set[str]:
    """The article links a feed lists (RSS and Atom read by feedparser, JSON Feed as JSON)."""
    if fmt == "json":
        return {item["url"] for item in json.loads(body)["items"]}
    parsed = feedparser.parse(body)
    assert not parsed.bozo, (fmt, parsed.get("bozo_exception"))
    return {e.link for e in parsed.entries}


def test_watch_page_feeds_and_webhook_deliveries(cli_env: str, live_feed: LiveFeed, tmp_path: Path) -> None:
    db_url = cli_env
    gazette("add-feed", live_feed.url, "--source", "Live Wire")
    live_feed.publish(6)  # article 5 is about Venezuela, stored before the watch exists
    gazette("ingest", "--force")
    db = Database(db_url)
    before = _full_matches(db, "venezuela")
    assert before, "the corpus holds a Venezuela article among the first six"

    with webhook_receiver(secret=None, fail_first=1) as (hook, receiver):
        gazette("watch", "add", "Venezuela desk", "--query", "venezuela", "--webhook", hook)
        gazette("watch", "add", "Quiet", "--query", "venezuela", "--source", "live-wire", "--language", "fr")
        live_feed.publish(len(live_feed.articles))
        ok_before = metrics.WEBHOOK_DELIVERIES.labels("ok")._value.get()
        failed_before = metrics.WEBHOOK_DELIVERIES.labels("failed")._value.get()
        first = gazette("ingest", "--force")  # every first attempt is refused
        expected = _full_matches(db, "venezuela") - before
        assert len(expected) >= 2, "the rest of the corpus holds more Venezuela articles"
        assert f"webhooks: 0 delivered, {len(expected)} failed" in first
        record = watch_records()["Venezuela desk"]
        assert (record["delivered"], record["pending"], record["failed"]) == (0, 0, len(expected))
        time.sleep(0.3)  # [watch] retry_seconds = 0.2
        second = gazette("ingest", "--force")
        assert f"webhooks: {len(expected)} delivered, 0 failed" in second
        third = gazette("ingest", "--force")
        assert "webhooks:" not in third  # nothing is owed any more
        assert metrics.WEBHOOK_DELIVERIES.labels("ok")._value.get() - ok_before == len(expected)
        assert metrics.WEBHOOK_DELIVERIES.labels("failed")._value.get() - failed_before == len(expected)

    record = watch_records()["Venezuela desk"]
    assert (record["delivered"], record["pending"], record["failed"]) == (len(expected), 0, 0)
    assert watch_records()["Quiet"]["delivered"] == 0
    assert receiver.bad_signatures == []  # no secret: no signature header at all
    assert all(len(posts) == 1 for posts in receiver.accepted.values())
    assert len(receiver.accepted) == len(expected)
    with db.session() as s:
        rows = {a.id: a for a in s.scalars(select(Article).where(Article.id.in_(expected)))}
        watch = s.scalar(select(Watch).where(Watch.name == "Venezuela desk"))
        quiet = s.scalar(select(Watch).where(Watch.name == "Quiet"))
        assert watch is not None and quiet is not None
        assert s.scalar(select(WatchArticle).where(WatchArticle.watch_id == quiet.id)) is None  # fr: none
        keys = {d.article_id: d.idempotency_key for d in s.scalars(select(Delivery))}
    assert set(keys) == expected and set(receiver.accepted) == set(keys.values())

    settings = make_settings(db_url)
    with LiveServer(settings, db) as server, httpx.Client(base_url=server.base_url) as client:
        for article_id, key in keys.items():
            body = receiver.accepted[key][0].body
            api = client.get(f"/api/articles/{article_id}").json()
            assert body == {"watch": "Venezuela desk", "article": api}
            assert {
                "url",
                "permalink",
                "title",
                "published_at",
                "section",
                "places",
                "source",
                "brief",
            } <= set(body["article"])
        page = client.get("/watch/venezuela-desk/")
        assert page.status_code == 200 and "venezuela" in page.text
        linked = set(re.findall(r'href="(/content/[^"]+\.html)"', page.text))
        assert linked == {rows[i].path for i in expected}
        for fmt in ("rss", "atom", "json"):
            feed = client.get(f"/watch/venezuela-desk/feed.{fmt}")
            assert feed.status_code == 200, fmt
            assert _feed_links(fmt, feed.content) == {settings.site.base_url + rows[i].path for i in expected}
        assert client.get("/watch/quiet/").status_code == 200
        assert client.get("/watch/nobody/").status_code == 404
        assert client.get("/watch/nobody/feed.rss").status_code == 404

    report = build_site(settings, db, tmp_path / "site")
    assert not report.broken
    folder = tmp_path / "site" / "watch" / "venezuela-desk"
    html = (folder / "index.html").read_text()
    assert set(re.findall(r'href="(/content/[^"]+\.html)"', html)) == {rows[i].path for i in expected}
    for fmt in ("rss", "atom", "json"):
        links = _feed_links(fmt, (folder / f"feed.{fmt}").read_bytes())
        assert links == {settings.site.base_url + rows[i].path for i in expected}
    assert (tmp_path / "site" / "watch" / "quiet" / "index.html").is_file()

    # `gazette serve` keeps answers in a cache; a watch page follows the watch's removal at once
    with CachedServer(settings, db) as server, httpx.Client(base_url=server.base_url) as client:
        assert [client.get("/watch/quiet/").status_code for _ in range(2)] == [200, 200]
        gazette("watch", "remove", "Quiet")
        assert client.get("/watch/quiet/").status_code == 404

    gazette("watch", "remove", "Venezuela desk")
    report = build_site(settings, db, tmp_path / "site")
    assert not folder.exists() and "watch/venezuela-desk/index.html" in report.removed
    with db.session() as s:
        assert s.scalar(select(Delivery)) is None  # its outbox went with it; the articles stay
        assert s.scalar(select(Article).where(Article.id.in_(expected))) is not None
    db.dispose()


def test_migrate_db_copies_watches_with_their_secret(tmp_path: Path) -> None:
    source = Database(f"sqlite:///{tmp_path}/a.db")
    source.init()
    from datetime import UTC, datetime

    from gazette.store import watches as watch_store

    with source.session() as s:
        watch_store.add_watch(
            s,
            name="Copied",
            slug="copied",
            query="copper mine",
            filters={"section": "business-finance"},
            webhook="https://hooks.example/in",
            secret=SECRET,
            now=datetime(2026, 12, 1, tzinfo=UTC),
        )
    report = copy_database(source.url, f"sqlite:///{tmp_path}/b.db")
    assert report.tables["watches"] == 1 and "watch_outbox" in report.tables
    target = Database(f"sqlite:///{tmp_path}/b.db")
    with target.session() as s:
        copied = s.scalar(select(Watch))
        assert copied is not None
        assert (copied.name, copied.query, copied.filters, copied.secret) == (
            "Copied",
            "copper mine",
            {"section": "business-finance"},
            SECRET,
        )
        assert copied.created_at == datetime(2026, 12, 1, tzinfo=UTC)
    source.dispose()
    target.dispose()
