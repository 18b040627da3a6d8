"""Store: the story tables (stories, article_stories, duplicates: migration 0004; redirects and index state: 0005)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gazette.store.schema import Article, Base, UTCDateTime


class Story(Base):
    """One event as several articles (often from several sources) report it."""

    __tablename__ = "stories"
    __table_args__ = (Index("ix_stories_updated", "updated_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(String(200))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    source_count: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def path(self) -> str:
        return f"/story/{self.id}/{self.slug}/"


class ArticleStory(Base):
    """Which story an article belongs to (one per article), with its dedup fingerprint and clustering features."""

    __tablename__ = "article_stories"
    __table_args__ = (
        UniqueConstraint("article_id", name="uq_article_stories_article"),
        Index("ix_article_stories_story", "story_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    similarity: Mapped[float] = mapped_column(Float, default=1.0)  # to the story when it joined
    fingerprint: Mapped[bytes | None] = mapped_column(LargeBinary)
    features: Mapped[dict[str, Any] | None] = mapped_column(
        JSON
    )  # clustering features, to skip re-reading text

    article: Mapped[Article] = relationship()
    story: Mapped[Story] = relationship()


class Duplicate(Base):
    """An article whose text is a near-copy of an earlier one (``original``)."""

    __tablename__ = "duplicates"
    __table_args__ = (
        UniqueConstraint("article_id", name="uq_duplicates_article"),
        Index("ix_duplicates_original", "original_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    original_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    similarity: Mapped[float] = mapped_column(Float)

    article: Mapped[Article] = relationship(foreign_keys=[article_id])
    original: Mapped[Article] = relationship(foreign_keys=[original_id])


class StoryRedirect(Base):
    """A story id that no longer names a story: its URL answers 301 to ``story_id`` (None: nowhere, a 404).

    Written when ``gazette recluster`` merges or splits a story, or when a story empties because its only
    article moved; ``slug`` is the old URL's, so a static build can write a page at the old path.
    """

    __tablename__ = "story_redirects"
    __table_args__ = (Index("ix_story_redirects_story", "story_id"),)

    old_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    slug: Mapped[str] = mapped_column(String(200))
    story_id: Mapped[int | None] = mapped_column(
        Integer
    )  # no foreign key: a chain is re-pointed, not cascaded


class StoryIndexState(Base):
    """One row: what in-process story windows compare to know the stored stories changed under them.

    ``token`` names this database (a window kept for another one is never reused); ``epoch`` goes up when
    memberships are rewritten wholesale (``gazette recluster``); ``last_membership`` is the watermark.
    """

    __tablename__ = "story_index_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(64))
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    # the id of the newest membership row: ids are handed out from here, so they only grow (SQLite would
    # reuse a deleted row's id, which a window's watermark would then miss)
    last_membership: Mapped[int] = mapped_column(Integer, default=0)
