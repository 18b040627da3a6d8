"""/healthz and /metrics of the live app, over real HTTP on 127.0.0.1 (as `gazette serve` runs it)."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from gazette.config import Settings
from gazette.pipeline import Pipeline
from gazette.publish.app import create_app
from gazette.publish.cache import cached_app
from gazette.store import subscriptions as feed_store
from gazette.store.db import Database
from tests.commands.conftest import LiveFeed
from tests.conftest import make_settings

METRIC_NAMES = (
    "gazette_articles_ingested_total",
    "gazette_feed_fetches_total",
    "gazette_fetch_seconds_bucket",
    "gazette_extract_seconds_bucket",
    "gazette_feeds_due",
    "gazette_webhook_deliveries_total",
)


@contextmanager
def serving(settings: Settings, db: Database) -> Iterator[str]:
    """The app `gazette serve` runs (response cache included), on an ephemeral port."""
    server = uvicorn.Server(
        uvicorn.Config(
            cached_app(create_app(settings, db), db), host="127.0.0.1", port=0, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("server did not start")
        thread.join(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def _value(metrics: str, series: str) -> float:
    m = re.search(rf"^{re.escape(series)} (\S+)$", metrics, re.M)
    assert m, f"{series} not in /metrics"
    return float(m.group(1))


def test_healthz_ok_and_metrics_move_after_an_ingest(db: Database, db_url: str, live_feed: LiveFeed) -> None:
    settings = make_settings(db_url)
    with db.session() as s:
        feed_store.add_feed(s, live_feed.url)
    live_feed.publish(2)
    with serving(settings, db) as base:
        status, headers, body = get(f"{base}/healthz")
        assert status == 200 and headers["content-type"].startswith("application/json")
        assert json.loads(body) == {"status": "ok", "database": "ok", "last_ingest": None}

        status, headers, before = get(f"{base}/metrics")
        assert status == 200 and headers["content-type"].startswith("text/plain")
        for name in METRIC_NAMES:
            assert re.search(rf"^{name}\b", before, re.M), name
        assert _value(before, "gazette_feeds_due") == 1.0  # the new feed is due at once

        with Pipeline(settings, db) as pipeline:
            report = pipeline.ingest()
        assert report.new == 2

        status, _, body = get(f"{base}/healthz")
        health = json.loads(body)
        assert status == 200 and health["status"] == "ok" and health["last_ingest"] is not None
        _, _, after = get(f"{base}/metrics")
        assert (
            _value(after, "gazette_articles_ingested_total")
            - _value(before, "gazette_articles_ingested_total")
            == 2
        )
        assert (
            _value(after, 'gazette_feed_fetches_total{outcome="ok"}')
            - _value(before, 'gazette_feed_fetches_total{outcome="ok"}')
            == 1
        )
        assert (
            _value(after, "gazette_extract_seconds_count") - _value(before, "gazette_extract_seconds_count")
            == 2
        )
        # one feed and two pages fetched
        assert (
            _value(after, "gazette_fetch_seconds_count") - _value(before, "gazette_fetch_seconds_count") == 3
        )
        assert _value(after, "gazette_feeds_due") == 0.0

        # never from the response cache: a second answer is fresh (its last_ingest moved with the store)
        status, headers, _ = get(f"{base}/healthz")
        assert headers.get("cache-control") == "no-store" and "etag" not in {k.lower() for k in headers}


def test_healthz_503_when_postgresql_is_unreachable() -> None:
    dead = "postgresql+psycopg://postgres@127.0.0.1:1/test"
    settings = make_settings(dead)
    db = Database(dead)
    with serving(settings, db) as base:
        status, headers, body = get(f"{base}/healthz")
        assert status == 503, body
        answer = json.loads(body)
        assert answer["status"] == "error" and answer["database"] and answer["database"] != "ok"
        assert headers.get("cache-control") == "no-store"
        status, _, metrics = get(f"{base}/metrics")  # the counters are still readable
        assert status == 200 and "gazette_articles_ingested_total" in metrics
    db.dispose()


def test_healthz_503_when_the_sqlite_file_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "gazette.db"
    path.write_bytes(b"this is not an SQLite database, it was overwritten\n" * 200)
    url = f"sqlite:///{path}"
    db = Database(url)
    with serving(make_settings(url), db) as base:
        status, _, body = get(f"{base}/healthz")
    db.dispose()
    assert status == 503, body
    answer = json.loads(body)
    assert answer["status"] == "error" and "not a database" in answer["database"]
