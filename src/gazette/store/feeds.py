"""Store: subscribed feeds, their validators, schedule and recorded errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gazette.store.schema import Feed
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
) -> Feed:
    """Subscribe to a feed (or update its section/source when already subscribed)."""
    feed = session.scalar(select(Feed).where(Feed.url == url))
    if feed is None:
        feed = Feed(url=url, error_count=0)
        session.add(feed)
    if section is not None:
        feed.section = section
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


def due_feeds(session: Session, now: datetime | None = None) -> list[Feed]:
    """Feeds whose next check has come (or that were never checked)."""
    now = now or datetime.now(UTC)
    stmt = select(Feed).where(or_(Feed.next_check.is_(None), Feed.next_check <= now)).order_by(Feed.id)
    return list(session.scalars(stmt))


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
) -> None:
    """Store validators and schedule — call in the same transaction as the feed's items, or after (I3)."""
    now = now or datetime.now(UTC)
    # A validator longer than its column is junk (or hostile): drop it, the next fetch is a plain GET.
    feed.etag = etag if etag is None or len(etag) <= MAX_ETAG else None
    feed.last_modified = (
        last_modified if last_modified is None or len(last_modified) <= MAX_LAST_MODIFIED else None
    )
    if title and not feed.title:
        feed.title = title[:500]
    feed.last_checked = now
    feed.next_check = now + CHECK_INTERVAL
    feed.error_count = 0
    feed.last_error = None


def record_feed_error(
    session: Session,
    feed: Feed,
    message: str,
    *,
    retry_after: float | None = None,
    now: datetime | None = None,
) -> None:
    """Record a failure; back off exponentially (or as long as the server's Retry-After says)."""
    now = now or datetime.now(UTC)
    feed.error_count = (feed.error_count or 0) + 1
    feed.last_error = message[:2000]
    feed.last_checked = now
    backoff = min(CHECK_INTERVAL * (2 ** min(feed.error_count - 1, 10)), MAX_BACKOFF)
    if retry_after is not None:
        backoff = max(backoff, timedelta(seconds=retry_after))
    feed.next_check = now + backoff
