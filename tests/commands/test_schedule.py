"""Adaptive scheduling: the pure rules (gazette.schedule), and what an ingest over real HTTP stores from a feed's
<ttl>, sy:updatePeriod, Cache-Control and Retry-After, its items' rhythm, and its failures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gazette import schedule
from gazette.config import load_settings
from gazette.errors import ConfigError
from gazette.pipeline import Pipeline
from gazette.store import subscriptions as feed_store
from gazette.store.db import Database
from tests.commands.conftest import LiveFeed
from tests.conftest import make_settings

LIMITS = schedule.Limits(min_interval=600, max_interval=86400)
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_hints_are_read_from_feed_and_headers() -> None:
    assert schedule.ttl_seconds("60") == 3600
    assert schedule.ttl_seconds("soon") is None and schedule.ttl_seconds("-5") is None
    assert schedule.update_period_seconds("daily", "4") == 21600
    assert schedule.update_period_seconds("hourly", None) == 3600
    assert schedule.update_period_seconds("fortnightly", "2") is None
    assert schedule.max_age_seconds({"cache-control": "public, max-age=900"}) == 900
    assert schedule.max_age_seconds({"cache-control": "no-cache"}) is None
    assert schedule.asked_interval(None, 900.0, 3600.0) == 3600.0
    assert schedule.asked_interval(None, None) is None


def test_learned_interval_is_half_the_median_gap_of_recent_items() -> None:
    hourly = [T0 + timedelta(hours=n) for n in range(10)]
    assert schedule.learned_interval(hourly) == 1800
    assert schedule.learned_interval([T0, None]) is None
    assert schedule.learned_interval([T0, T0]) is None  # one distinct date says nothing


def test_next_interval_bounds() -> None:
    assert schedule.next_interval(LIMITS, learned=None) == 600  # nothing known yet: the minimum
    assert schedule.next_interval(LIMITS, learned=1800) == 1800
    assert schedule.next_interval(LIMITS, learned=60) == 600  # never below min_interval
    assert (
        schedule.next_interval(LIMITS, learned=1800, asked=7200) == 7200
    )  # the publisher asks for less often
    assert schedule.next_interval(LIMITS, learned=10**7) == 86400  # never above max_interval
    assert schedule.next_interval(LIMITS, learned=1800, asked=10**6) == 86400
    assert schedule.next_interval(LIMITS, learned=1800, asked=7200, fixed=30) == 30  # the editor's word wins


def test_backoff_doubles_and_status_turns_failing_after_three() -> None:
    assert [schedule.backoff_interval(LIMITS, n) for n in (1, 2, 3, 4)] == [600, 1200, 2400, 4800]
    assert schedule.backoff_interval(LIMITS, 50) == 86400
    assert schedule.backoff_interval(LIMITS, 1, retry_after=5000) == 5000
    assert [schedule.feed_status(paused=False, error_count=n) for n in (0, 2, 3)] == [
        "active",
        "active",
        "failing",
    ]
    assert schedule.feed_status(paused=True, error_count=5) == "paused"


@given(
    learned=st.none() | st.floats(0, 1e8),
    asked=st.none() | st.floats(0, 1e8),
    low=st.floats(1, 1e5),
    span=st.floats(0, 1e6),
)
def test_adaptive_interval_always_within_limits(
    learned: float | None, asked: float | None, low: float, span: float
) -> None:
    limits = schedule.Limits(low, low + span)
    assert (
        limits.min_interval
        <= schedule.next_interval(limits, learned=learned, asked=asked)
        <= limits.max_interval
    )


@pytest.fixture
def feed_db(db_url: str, live_feed: LiveFeed) -> Iterator[tuple[Database, str]]:
    database = Database(db_url)
    database.init()
    with database.session() as s:
        feed_store.add_feed(s, live_feed.url)
    live_feed.publish(4)  # items an hour apart
    yield database, db_url
    database.dispose()


def _interval_after_ingest(db: Database, db_url: str, url: str) -> tuple[float, int, str]:
    with Pipeline(make_settings(db_url), db) as pipeline:
        pipeline.ingest(force=True)
    with db.session() as s:
        feed = feed_store.get_feed(s, url)
        assert feed is not None and feed.next_check and feed.last_checked
        status = schedule.feed_status(paused=feed.paused, error_count=feed.error_count)
        return (feed.next_check - feed.last_checked).total_seconds(), feed.error_count, status


@pytest.mark.parametrize(
    ("channel", "headers", "expected"),
    [
        ("", {}, 1800),  # learned: hourly items, checked every half hour
        ("<ttl>120</ttl>", {}, 7200),
        ("<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>", {}, 43200),
        ("", {"Cache-Control": "max-age=5400"}, 5400),
        ("", {"Cache-Control": "max-age=999999"}, 86400),
        ("", {"Retry-After": "4000"}, 4000),
    ],
)
def test_ingest_schedules_each_feed_by_its_rhythm_and_requests(
    feed_db: tuple[Database, str], live_feed: LiveFeed, channel: str, headers: dict[str, str], expected: int
) -> None:
    db, db_url = feed_db
    live_feed.channel_extra = channel
    live_feed.feed_headers = headers
    interval, errors, status = _interval_after_ingest(db, db_url, live_feed.url)
    assert (interval, errors, status) == (expected, 0, "active")


def test_failing_feed_backs_off_exponentially(feed_db: tuple[Database, str], live_feed: LiveFeed) -> None:
    db, db_url = feed_db
    live_feed.feed_status = 500
    seen = [_interval_after_ingest(db, db_url, live_feed.url) for _ in range(4)]
    assert seen == [(600, 1, "active"), (1200, 2, "active"), (2400, 3, "failing"), (4800, 4, "failing")]
    live_feed.feed_status = 200
    assert _interval_after_ingest(db, db_url, live_feed.url) == (1800, 0, "active")


def test_schedule_settings_are_validated() -> None:
    assert make_settings("sqlite://", schedule={"min_interval": 1}).schedule.min_interval == 1
    with pytest.raises(ConfigError, match="at least 1 second"):
        make_settings("sqlite://", schedule={"min_interval": 0.5})
    with pytest.raises(ConfigError, match="max_interval must be >="):
        make_settings("sqlite://", schedule={"min_interval": 600, "max_interval": 60})
    env = {"GAZETTE_SCHEDULE_MIN_INTERVAL": "5", "GAZETTE_SCHEDULE_MAX_INTERVAL": "50"}
    settings = load_settings(env=env)
    assert (settings.schedule.min_interval, settings.schedule.max_interval) == (5, 50)
