"""Store: the tables. Alembic migrations (store/migrations) create them; this module is their shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    home_url: Mapped[str | None] = mapped_column(String(2048))
    country: Mapped[str | None] = mapped_column(String(2))
    republish_full_text: Mapped[bool] = mapped_column(Boolean, default=False)

    feeds: Mapped[list[Feed]] = relationship(back_populates="source")


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    section: Mapped[str | None] = mapped_column(String(100))
    etag: Mapped[str | None] = mapped_column(String(1024))
    last_modified: Mapped[str | None] = mapped_column(String(200))
    next_check: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_checked: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(200))  # "host:pid" of the run holding the lease
    default_section: Mapped[str | None] = mapped_column(String(100))  # when the classifier is unsure
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    fixed_interval: Mapped[int | None] = mapped_column(Integer)  # seconds, set by the editor; None: adaptive
    learned_interval: Mapped[int | None] = mapped_column(Integer)  # seconds, from how often it publishes
    last_success: Mapped[datetime | None] = mapped_column(UTCDateTime)

    source: Mapped[Source | None] = relationship(back_populates="feeds")


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("date_path", "slug", name="uq_articles_day_slug"),
        Index("ix_articles_published", "published_at"),
        Index("ix_articles_section", "section"),
        # same text, same publisher (migration 0016: SQLite read the whole source by its own index)
        Index("ix_articles_hash_source", "content_hash", "source_id"),
        Index("ix_articles_original_url", "original_url"),  # known_urls (migration 0015)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    original_url: Mapped[str] = mapped_column(String(2048))
    guid: Mapped[str | None] = mapped_column(String(2048))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id"))
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    site: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(20))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    section: Mapped[str | None] = mapped_column(String(100))
    section_confidence: Mapped[float | None] = mapped_column(Float)
    section_method: Mapped[str | None] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(200))
    date_path: Mapped[str] = mapped_column(String(10))  # YYYY/MM/DD of published_at, else fetched_at

    source: Mapped[Source | None] = relationship()
    feed: Mapped[Feed | None] = relationship()
    locales: Mapped[list[ArticleLocale]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="ArticleLocale.position"
    )
    brief: Mapped[list[BriefSentenceRow]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="BriefSentenceRow.position"
    )

    @property
    def path(self) -> str:
        return f"/content/{self.date_path}/{self.slug}.html"


class ArticleLocale(Base):
    __tablename__ = "article_locales"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(Text)
    country_code: Mapped[str] = mapped_column(String(2), index=True)
    country_name: Mapped[str] = mapped_column(Text, default="")
    region_code: Mapped[str | None] = mapped_column(String(10), index=True)
    region_name: Mapped[str | None] = mapped_column(Text)
    geonames_id: Mapped[int | None] = mapped_column(Integer)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    mentions: Mapped[int] = mapped_column(Integer, default=1)
    spans: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    salience: Mapped[float] = mapped_column(Float, default=0.0)

    article: Mapped[Article] = relationship(back_populates="locales")


class BriefSentenceRow(Base):
    __tablename__ = "brief_sentences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    source_start: Mapped[int] = mapped_column(Integer)
    source_end: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="extracted")
    check: Mapped[str | None] = mapped_column(Text)

    article: Mapped[Article] = relationship(back_populates="brief")
