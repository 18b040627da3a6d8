"""Store: the place listings' rows — one per (place, article), kept by triggers (migration 0014).

A country or region page reads its articles here as a range of the primary key (place, sort key, article id),
newest first, whatever the size of the place; ``store.listings`` then loads the page's articles by id.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, and_, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gazette.store.schema import Base, UTCDateTime

logger = logging.getLogger(__name__)


class PlaceArticle(Base):
    """An article about a place: ``place`` is the country code ("US") or "CC/REGION" ("US/US-CA") — the
    ``store.counts`` item of the place — and ``sort_key`` the article's listing key (coalesce(published_at,
    fetched_at))."""

    __tablename__ = "place_articles"
    __table_args__ = (Index("ix_place_articles_article", "article_id", "place"),)

    place: Mapped[str] = mapped_column(String(20), primary_key=True)
    sort_key: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)


def place_key(country_code: str, region_code: str | None = None) -> str:
    """The ``place`` of a country, or of a region in it."""
    return f"{country_code}/{region_code}" if region_code else country_code


def newest_ids(session: Session, place: str, *, limit: int, offset: int = 0) -> list[int]:
    """The ids of the place's articles, newest first (by sort key, then id), ``limit`` of them from ``offset``."""
    stmt = (
        select(PlaceArticle.article_id)
        .where(PlaceArticle.place == place)
        .order_by(PlaceArticle.sort_key.desc(), PlaceArticle.article_id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt))


def ids_after(session: Session, place: str, cursor: tuple[datetime, int] | None, limit: int) -> list[int]:
    """The ids of the place's ``limit`` articles after (sort key, id) ``cursor``, newest first."""
    stmt = select(PlaceArticle.article_id).where(PlaceArticle.place == place)
    if cursor is not None:
        when, last_id = cursor
        stmt = stmt.where(
            or_(
                PlaceArticle.sort_key < when,
                and_(PlaceArticle.sort_key == when, PlaceArticle.article_id < last_id),
            )
        )
    stmt = stmt.order_by(PlaceArticle.sort_key.desc(), PlaceArticle.article_id.desc()).limit(limit)
    return list(session.scalars(stmt))


def places_of(session: Session, article_id: int) -> set[str]:
    """The places an article is listed under."""
    return set(session.scalars(select(PlaceArticle.place).where(PlaceArticle.article_id == article_id)))
