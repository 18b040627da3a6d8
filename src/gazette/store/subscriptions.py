"""Store: subscribed feeds, their validators, schedule and recorded errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from gazette.store import stories as story_store
from gazette.store.schema import Article, Feed
from gazette.store.sources import get_or_create_source

# How long to wait after the n-th consecutive error (capped), and between successful checks.
CHECK_INTERVAL = timedelta(minutes=30)
MAX_BACKOFF = timedelta(hours=24)


def add_feed(
    session: Session,
    url: str,
    *,
    section: str | None = None,
    source: str | None = None,
    republish_full_text: bool | None = None,
    title: str | None = None,
    default_section: str | None = None,
) -> Feed:
    """Subscribe to a feed (or update its section/source when already subscribed)."""
    feed = session.scalar(select(Feed).where(Feed.url == url))
    if feed is None:
        feed = Feed(url=url, error_count=0)
        session.add(feed)
    if section is not None:
        feed.section = section
    if default_section is not None:
        feed.default_section = default_section
    if title and not feed.title:
        feed.title = title
    if source is not None or republish_full_text is not None:
        name = source or (feed.source.name if feed.source else None)
        if name:
            feed.source = get_or_create_source(session, name, republish_full_text=republish_full_text)
    session.flush()
    return feed


def get_feed(session: Session, url: str) -> Feed | None:
    return session.scalar(select(Feed).where(Feed.url == url))


def list_feeds(session: Session) -> list[Feed]:
    return list(session.scalars(select(Feed).order_by(Feed.id)))


def _due(now: datetime) -> Any:
    return (Feed.paused.is_not(True)) & or_(Feed.next_check.is_(None), Feed.next_check <= now)


def due_feeds(session: Session, now: datetime | None = None) -> list[Feed]:
    """Feeds whose next check has come (or that were never checked); paused feeds never are."""
    now = now or datetime.now(UTC)
    return list(session.scalars(select(Feed).where(_due(now)).order_by(Feed.id)))


def count_due(session: Session, now: datetime | None = None) -> int:
    return int(session.scalar(select(func.count(Feed.id)).where(_due(now or datetime.now(UTC)))) or 0)


def next_due(session: Session) -> datetime | None:
    """The earliest next check among feeds that are not paused (None: no feed, or one never checked)."""
    active = Feed.paused.is_not(True)
    if session.scalar(select(func.count(Feed.id)).where(active, Feed.next_check.is_(None))):
        return datetime.now(UTC)
    value = session.scalar(select(func.min(Feed.next_check)).where(active))
    if value is not None and value.tzinfo is None:  # an aggregate skips the column's type on SQLite
        value = datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
    elif isinstance(value, str):
        value = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def last_ingest(session: Session) -> datetime | None:
    """When a feed was last checked, successfully or not (None: never)."""
    value = session.scalar(select(func.max(Feed.last_checked)))
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def article_counts(session: Session) -> dict[int, int]:
    """Feed id → number of stored articles that came from it."""
    rows = session.execute(
        select(Article.feed_id, func.count(Article.id))
        .where(Article.feed_id.is_not(None))
        .group_by(Article.feed_id)
    )
    return {int(feed_id): int(n) for feed_id, n in rows if feed_id is not None}


def remove_feed(session: Session, feed: Feed, *, delete_articles: bool = False) -> int:
    """Unsubscribe. Its articles stay (detached from the feed) unless ``delete_articles``; returns how many
    articles were deleted."""
    deleted = 0
    if delete_articles:
        for article in session.scalars(select(Article).where(Article.feed_id == feed.id)):
            story_store.detach_article(session, article.id)
            session.delete(article)
            deleted += 1
        session.flush()
    else:
        session.execute(update(Article).where(Article.feed_id == feed.id).values(feed_id=None))
    session.delete(feed)
    session.flush()
    return deleted


def set_paused(session: Session, feed: Feed, paused: bool) -> None:
    """Pause or resume; a resumed feed is due at once."""
    feed.paused = paused
    if not paused:
        feed.next_check = None


def refetch_feed(session: Session, url: str) -> Feed | None:
    """Make the feed at ``url`` due now and fetched whole: its validators (ETag, Last-Modified) are dropped, so
    a server whose feed has not changed answers 200 with its items, not 304 (``gazette republish``). A paused
    feed stays paused; None when no feed is subscribed at ``url``."""
    feed = get_feed(session, url)
    if feed is None:
        return None
    feed.etag = None
    feed.last_modified = None
    if not feed.paused:
        feed.next_check = None
    session.flush()
    return feed


def set_fixed_interval(feed: Feed, seconds: int | None) -> None:
    """A fixed interval (seconds) replacing the adaptive one; None restores the adaptive one. The next check
    moves so that it is no later than one new interval from the last."""
    feed.fixed_interval = seconds
    if seconds and feed.last_checked is not None:
        soonest = feed.last_checked + timedelta(seconds=seconds)
        if feed.next_check is None or feed.next_check > soonest:
            feed.next_check = soonest


MAX_ETAG = 1024  # Feed.etag column
MAX_LAST_MODIFIED = 200  # Feed.last_modified column


def record_feed_success(
    session: Session,
    feed: Feed,
    *,
    etag: str | None,
    last_modified: str | None,
    title: str | None = None,
    now: datetime | None = None,
    interval: float | None = None,
    learned: float | None = None,
) -> None:
    """Store validators and schedule — call in the same transaction as the feed's items, or after (I3).
    ``interval`` is the wait until the next check in seconds (``gazette.schedule``), ``learned`` the feed's
    own publishing rhythm when it was measured."""
    now = now or datetime.now(UTC)
    # A validator longer than its column is junk (or hostile): drop it, the next fetch is a plain GET.
    feed.etag = etag if etag is None or len(etag) <= MAX_ETAG else None
    feed.last_modified = (
        last_modified if last_modified is None or len(last_modified) <= MAX_LAST_MODIFIED else None
    )
    if title and not feed.title:
        feed.title = title[:500]
    feed.last_checked = now
    feed.last_success = now
    feed.next_check = now + (CHECK_INTERVAL if interval is None else timedelta(seconds=interval))
    if learned is not None:
        feed.learned_interval = round(learned)
    feed.error_count = 0
    feed.last_error = None


def record_feed_error(
    session: Session,
    feed: Feed,
    message: str,
    *,
    retry_after: float | None = None,
    now: datetime | None = None,
    backoff: Callable[[int], float] | None = None,
) -> None:
    """Record a failure; back off exponentially (or as long as the server's Retry-After says). ``backoff``
    maps the count of failures in a row to the wait in seconds (``gazette.schedule.backoff_interval``)."""
    now = now or datetime.now(UTC)
    feed.error_count = (feed.error_count or 0) + 1
    feed.last_error = message[:2000]
    feed.last_checked = now
    if backoff is not None:
        wait = timedelta(seconds=backoff(feed.error_count))
    else:
        wait = min(CHECK_INTERVAL * (2 ** min(feed.error_count - 1, 10)), MAX_BACKOFF)
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    feed.next_check = now + wait
