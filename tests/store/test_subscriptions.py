"""store/subscriptions.py: the feed list, due feeds, and what a fetch's success or failure writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gazette.store import subscriptions as feed_store
from gazette.store.db import Database


def test_feed_error_backs_off_and_success_resets(db: Database) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with db.session() as s:
        feed = feed_store.add_feed(s, "https://news.example/rss")
        feed_store.record_feed_error(s, feed, "HTTP 503", retry_after=7200, now=now)
        assert feed.error_count == 1 and feed.last_error == "HTTP 503"
        assert feed.next_check is not None and (feed.next_check - now).total_seconds() >= 7200
        assert feed_store.due_feeds(s, now) == []
        feed_store.record_feed_success(s, feed, etag='"v1"', last_modified=None, now=now)
        assert feed.error_count == 0 and feed.etag == '"v1"'


def test_add_list_and_find_feeds(db: Database) -> None:
    with db.session() as s:
        feed_store.add_feed(s, "https://b.example/rss", source="B News", section="health")
        feed_store.add_feed(s, "https://a.example/rss")
    with db.session() as s:
        found = feed_store.get_feed(s, "https://b.example/rss")
        assert found is not None and found.section == "health"
        assert found.source is not None and found.source.name == "B News"
        assert {f.url for f in feed_store.list_feeds(s)} == {"https://a.example/rss", "https://b.example/rss"}
        assert feed_store.get_feed(s, "https://nowhere.example/rss") is None


def test_a_paused_feed_is_never_due(db: Database) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with db.session() as s:
        feed = feed_store.add_feed(s, "https://news.example/rss")
        feed_store.set_paused(s, feed, True)
    with db.session() as s:
        assert feed_store.due_feeds(s, now + timedelta(days=30)) == []
        assert feed_store.count_due(s, now + timedelta(days=30)) == 0
        feed = feed_store.get_feed(s, "https://news.example/rss")
        assert feed is not None
        feed_store.set_paused(s, feed, False)
    with db.session() as s:
        assert [f.url for f in feed_store.due_feeds(s, now + timedelta(days=30))] == [
            "https://news.example/rss"
        ]


def test_a_fixed_interval_brings_the_next_check_forward(db: Database) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with db.session() as s:
        feed = feed_store.add_feed(s, "https://news.example/rss")
        feed.last_checked, feed.next_check = now, now + timedelta(days=1)
        feed_store.set_fixed_interval(feed, 3600)
        assert (feed.fixed_interval, feed.next_check) == (3600, now + timedelta(hours=1))
        feed_store.set_fixed_interval(feed, None)  # adaptive again; the check already planned stays
        assert (feed.fixed_interval, feed.next_check) == (None, now + timedelta(hours=1))
