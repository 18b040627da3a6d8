"""Store: the topic-watch tables (migration 0012) — saved searches, the articles each matched, the webhook outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gazette.store.schema import Base, UTCDateTime


class Watch(Base):
    """A saved search: the query and filter values of ``/search``, and where to POST what it matches."""

    __tablename__ = "watches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    query: Mapped[str] = mapped_column(Text)
    # The search page's filter parameters as given: section, source, locale, language (only those set).
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    webhook: Mapped[str | None] = mapped_column(String(2048))
    secret: Mapped[str | None] = mapped_column(Text)  # never printed; signs each delivery's body
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def path(self) -> str:
        return f"/watch/{self.slug}/"


class WatchArticle(Base):
    """An article a watch matched when it was stored (what the watch's page and feeds list)."""

    __tablename__ = "watch_articles"

    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Delivery(Base):
    """One webhook POST owed to a watch's receiver: written with the article, acknowledged by a 2xx.

    ``next_attempt_at`` is also the claim: a sender moves it past the request's timeout before it sends, so a
    second sender leaves the row alone, and a sender killed mid-request leaves it due again soon after.
    """

    __tablename__ = "watch_outbox"
    __table_args__ = (
        UniqueConstraint("watch_id", "article_id", name="uq_watch_outbox_watch_article"),
        Index("ix_watch_outbox_due", "delivered_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(
        Integer
    )  # the receiver's last HTTP status, if it answered
    last_error: Mapped[str | None] = mapped_column(Text)
