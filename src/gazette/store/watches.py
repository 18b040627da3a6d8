"""Store: topic watches — the saved searches, the articles each matched, and the webhook outbox.

A match is written in the transaction that stores the article (``pipeline.py`` calls ``record_match``), with
its outbox row when the watch has a webhook, so a delivery exists exactly when its article does. A sender
claims a due row by moving its ``next_attempt_at`` past the request's timeout in one conditional UPDATE, and
counts the attempt at the same time: two senders (``gazette run`` and a ``gazette ingest``) never post the
same row at once, and a sender killed mid-request leaves the row due again when that claim runs out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.orm import Session

from gazette.store.schema import Article
from gazette.store.watch_schema import Delivery, Watch, WatchArticle

logger = logging.getLogger(__name__)


def list_watches(session: Session) -> list[Watch]:
    """Every watch, by name."""
    return list(session.scalars(select(Watch).order_by(Watch.name)))


def watch_by_name(session: Session, name: str) -> Watch | None:
    return session.scalar(select(Watch).where(Watch.name == name))


def watch_by_slug(session: Session, slug: str) -> Watch | None:
    return session.scalar(select(Watch).where(Watch.slug == slug))


def add_watch(
    session: Session,
    *,
    name: str,
    slug: str,
    query: str,
    filters: dict[str, str],
    webhook: str | None,
    secret: str | None,
    now: datetime,
) -> Watch:
    """A new watch; it matches articles stored from ``now`` on. The caller checks that name and slug are free."""
    watch = Watch(
        name=name,
        slug=slug,
        query=query,
        filters=dict(filters),
        webhook=webhook,
        secret=secret,
        created_at=now,
    )
    session.add(watch)
    session.flush()
    return watch


def remove_watch(session: Session, watch: Watch) -> None:
    """Delete a watch with its matches and its undelivered and delivered outbox rows (the articles stay)."""
    session.execute(delete(Delivery).where(Delivery.watch_id == watch.id))
    session.execute(delete(WatchArticle).where(WatchArticle.watch_id == watch.id))
    session.delete(watch)
    session.flush()


@dataclass
class DeliveryCounts:
    delivered: int = 0  # a 2xx is recorded
    pending: int = 0  # waiting for its first attempt
    failed: int = 0  # attempted and not accepted yet: retried with backoff


def delivery_counts(session: Session) -> dict[int, DeliveryCounts]:
    """Watch id → its outbox rows by state."""
    delivered = func.sum(case((Delivery.delivered_at.is_not(None), 1), else_=0))
    pending = func.sum(case((and_(Delivery.delivered_at.is_(None), Delivery.attempts == 0), 1), else_=0))
    failed = func.sum(case((and_(Delivery.delivered_at.is_(None), Delivery.attempts > 0), 1), else_=0))
    rows = session.execute(
        select(Delivery.watch_id, delivered, pending, failed).group_by(Delivery.watch_id)
    ).all()
    return {int(w): DeliveryCounts(int(d or 0), int(p or 0), int(f or 0)) for w, d, p, f in rows}


def idempotency_key(watch: Watch, article_id: int) -> str:
    """Stable per watch and article: the same key on every attempt, after a restart or a database copy."""
    return f"gazette-watch-{watch.id}-article-{article_id}"


def record_match(session: Session, watch: Watch, article_id: int, now: datetime) -> None:
    """Remember that ``watch`` matched the article, and owe its webhook a delivery (in the caller's
    transaction: the article's own)."""
    if session.get(WatchArticle, (watch.id, article_id)) is not None:
        return
    session.add(WatchArticle(watch_id=watch.id, article_id=article_id, matched_at=now))
    if watch.webhook:
        session.add(
            Delivery(
                watch_id=watch.id,
                article_id=article_id,
                idempotency_key=idempotency_key(watch, article_id),
                created_at=now,
                attempts=0,
                next_attempt_at=now,
            )
        )
    session.flush()


def watch_article_ids(watch_id: int) -> Any:
    """A select of the ids of the articles a watch matched (for ``ArticleFilter``)."""
    return select(WatchArticle.article_id).where(WatchArticle.watch_id == watch_id)


# --- the outbox ------------------------------------------------------------------------------------------


@dataclass
class DueDelivery:
    id: int
    attempts: int
    watch_id: int
    article_id: int


def due_deliveries(session: Session, now: datetime, limit: int = 100) -> list[DueDelivery]:
    """Undelivered rows whose time has come, oldest first."""
    rows = session.execute(
        select(Delivery.id, Delivery.attempts, Delivery.watch_id, Delivery.article_id)
        .where(Delivery.delivered_at.is_(None), Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    ).all()
    return [DueDelivery(int(i), int(a), int(w), int(r)) for i, a, w, r in rows]


def next_due(session: Session) -> datetime | None:
    """When the next undelivered row falls due (None: nothing is owed)."""
    value: datetime | None = session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(Delivery.delivered_at.is_(None))
    )
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def claim(session: Session, due: DueDelivery, now: datetime, until: datetime) -> bool:
    """Take the row for one attempt (counted now) until ``until``; False when another sender took it first
    or it was delivered meanwhile."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == due.id,
            Delivery.delivered_at.is_(None),
            Delivery.attempts == due.attempts,
            Delivery.next_attempt_at <= now,
        )
        .values(attempts=due.attempts + 1, next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def delivery_parts(session: Session, due: DueDelivery) -> tuple[Watch, Article] | None:
    """The watch and article of a row (None when either is gone)."""
    watch = session.get(Watch, due.watch_id)
    article = session.get(Article, due.article_id)
    if watch is None or article is None:
        return None
    return watch, article


def mark_delivered(session: Session, delivery_id: int, status: int, now: datetime) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(delivered_at=now, last_status=status, last_error=None)
        .execution_options(synchronize_session=False)
    )


def mark_failed(
    session: Session, delivery_id: int, status: int | None, error: str, retry_at: datetime
) -> None:
    """Record a failed attempt; the row falls due again at ``retry_at`` (unless a 2xx was recorded meanwhile)."""
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.delivered_at.is_(None))
        .values(last_status=status, last_error=error[:1000], next_attempt_at=retry_at)
        .execution_options(synchronize_session=False)
    )
