"""Feed care commands on SQLite and PostgreSQL: `feeds [--json]`, `remove-feed`, `pause-feed`, `resume-feed`,
`set-feed` and `add-feed --default-section`; bad arguments get one line on stderr and a non-zero exit."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from gazette.cli import app
from gazette.pipeline import Pipeline
from gazette.store import subscriptions as feed_store
from gazette.store.db import Database
from gazette.store.schema import Article, Feed
from tests.commands.conftest import LiveFeed
from tests.conftest import make_settings

KEYS = {
    "url",
    "source",
    "section",
    "default_section",
    "status",
    "last_fetched",
    "last_success",
    "last_error",
    "error_count",
    "next_due",
    "articles",
}
DEAD = "http://127.0.0.1:1/feed.xml"  # connection refused: fails every time, at once


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> str:
    monkeypatch.chdir(tmp_path)  # no gazette.toml from the checkout
    for name in list(__import__("os").environ):
        if name.startswith("GAZETTE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GAZETTE_DATABASE_URL", db_url)
    monkeypatch.setenv("GAZETTE_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("GAZETTE_FETCH_DELAY_SECONDS", "0")
    return db_url


def gazette(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout


def failing(*args: str, code: int) -> str:
    """Run a command that must fail: its stderr is one line starting with "error:"."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def records() -> dict[str, dict[str, object]]:
    out = {}
    for line in gazette("feeds", "--json").splitlines():
        record = json.loads(line)
        assert set(record) == KEYS
        out[str(record["url"])] = record
    return out


def ingest(db_url: str, *, force: bool = True) -> None:
    db = Database(db_url)
    with Pipeline(make_settings(db_url), db) as pipeline:
        pipeline.ingest(force=force)
    db.dispose()


def test_feed_care_commands(cli_env: str, live_feed: LiveFeed) -> None:
    db_url = cli_env
    live_feed.publish(2)
    gazette("add-feed", live_feed.url, "--source", "Live Wire", "--default-section", "Health")
    gazette("add-feed", DEAD)
    for _ in range(3):
        ingest(db_url)

    feeds = records()
    live, dead = feeds[live_feed.url], feeds[DEAD]
    assert live["status"] == "active" and live["articles"] == 2 and live["error_count"] == 0
    assert live["source"] == "Live Wire" and live["default_section"] == "health" and live["section"] is None
    assert live["last_fetched"] and live["last_success"] == live["last_fetched"] and live["next_due"]
    assert dead["status"] == "failing" and dead["error_count"] == 3 and dead["last_error"]
    assert dead["last_success"] is None and dead["articles"] == 0
    table = gazette("feeds")
    assert "failing" in table and "active" in table

    # pause: not fetched, even by a forced ingest; resume: due at once
    gazette("pause-feed", live_feed.url)
    assert records()[live_feed.url]["status"] == "paused" and records()[live_feed.url]["next_due"] is None
    fetched = live_feed.feed_requests
    ingest(db_url)
    assert live_feed.feed_requests == fetched
    gazette("resume-feed", live_feed.url)
    assert records()[live_feed.url]["status"] == "active"
    ingest(db_url, force=False)  # due at once after resuming
    assert live_feed.feed_requests == fetched + 1

    # set-feed: section, default section, source, then a fixed interval that the next check follows
    gazette(
        "set-feed",
        live_feed.url,
        "--section",
        "Sports",
        "--default-section",
        "crime-justice",
        "--source",
        "Wire Two",
    )
    live = records()[live_feed.url]
    assert (live["section"], live["default_section"], live["source"]) == (
        "sports",
        "crime-justice",
        "Wire Two",
    )
    gazette("set-feed", live_feed.url, "--interval", "7200")
    ingest(db_url)
    db = Database(db_url)
    with db.session() as s:
        feed = feed_store.get_feed(s, live_feed.url)
        assert feed is not None and feed.fixed_interval == 7200
        assert feed.next_check is not None and feed.last_checked is not None
        assert feed.next_check - feed.last_checked == timedelta(seconds=7200)
    gazette("set-feed", live_feed.url, "--interval", "0")
    ingest(db_url)
    with db.session() as s:
        feed = feed_store.get_feed(s, live_feed.url)
        assert feed is not None and feed.fixed_interval is None
        assert feed.next_check is not None and feed.last_checked is not None
        assert feed.next_check - feed.last_checked != timedelta(seconds=7200)  # adaptive again

    # remove-feed keeps the articles; --delete-articles removes them
    gazette("remove-feed", live_feed.url)
    with db.session() as s:
        assert s.scalar(select(func.count(Article.id))) == 2
        assert s.scalar(select(func.count(Article.id)).where(Article.feed_id.is_not(None))) == 0
        assert s.scalar(select(func.count(Feed.id))) == 1
    gazette("add-feed", live_feed.url)
    live_feed.publish(1)
    ingest(db_url)
    assert records()[live_feed.url]["articles"] == 1  # the new item; the two kept ones are known already
    out = gazette("remove-feed", live_feed.url, "--delete-articles")
    assert "1 articles deleted" in out
    with db.session() as s:
        assert s.scalar(select(func.count(Article.id))) == 2
        assert feed_store.get_feed(s, live_feed.url) is None
    db.dispose()
    assert set(records()) == {DEAD}


def test_feed_commands_refuse_bad_arguments(cli_env: str) -> None:
    gazette("add-feed", DEAD)
    for command in ("remove-feed", "pause-feed", "resume-feed"):
        assert "no feed subscribed at http://127.0.0.1:9/x" in failing(
            command, "http://127.0.0.1:9/x", code=1
        )
    failing("set-feed", "http://127.0.0.1:9/x", "--interval", "60", code=1)
    assert "nothing to change" in failing("set-feed", DEAD, code=2)
    assert "--interval" in failing("set-feed", DEAD, "--interval", "-5", code=2)
    assert "unknown section 'Gardening'" in failing("set-feed", DEAD, "--section", "Gardening", code=2)
    assert "unknown section" in failing("set-feed", DEAD, "--default-section", "nope", code=2)
    assert "unknown section" in failing(
        "add-feed", "http://127.0.0.1:9/y", "--default-section", "nope", code=2
    )
    assert "--source" in failing("set-feed", DEAD, "--source", " ", code=2)
    # nothing was changed by the refused commands
    assert records()[DEAD]["section"] is None and records()[DEAD]["status"] == "active"
    assert set(records()) == {DEAD}
