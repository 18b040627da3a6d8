"""Store: what the sitemaps read — articles and stories in stored order by offset, and the newest change of
each run of entries, from the narrow covering indexes of migration 0013 (never an article's text)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from gazette.store.listings import EVERY_SECTION, as_utc, in_section
from gazette.store.schema import Article
from gazette.store.story_schema import Story


def article_stamps(
    session: Session, *, offset: int = 0, limit: int | None = None, section: str | None = EVERY_SECTION
) -> list[tuple[str, datetime]]:
    """(page path, last change) of the articles in the order they were stored (``limit`` of them from
    ``offset``) — four narrow columns read along the primary key, never an article's text. ``section`` limits
    them to one section's (a section host's sitemap), or to those without one (None).

    The stored order keeps a sitemap part's articles where they were: a new article goes at the end instead of
    moving every article down one place (and into another part) as a newest-first order would."""
    stmt = select(Article.date_path, Article.slug, Article.updated_at, Article.fetched_at).order_by(
        Article.id
    )
    stmt = in_section(stmt, section)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = session.execute(stmt)
    return [(f"/content/{day}/{slug}.html", updated or fetched) for day, slug, updated, fetched in rows]


def article_stamp_groups(
    session: Session, skip: int, size: int, section: str | None = EVERY_SECTION
) -> dict[int, datetime]:
    """The newest last change in each group of ``size`` sitemap entries, when the articles (in stored order)
    follow ``skip`` other entries: group number → newest change. One pass over two columns along the primary
    key, in the database."""
    changed = func.coalesce(Article.updated_at, Article.fetched_at)
    ranked = in_section(
        select(
            (func.row_number().over(order_by=Article.id) - 1 + skip).label("pos"), changed.label("changed")
        ),
        section,
    ).subquery()
    return _group_newest(session, ranked, size)


def _group_newest(session: Session, ranked: Any, size: int) -> dict[int, datetime]:
    group = ranked.c.pos // size
    rows = session.execute(select(group, func.max(ranked.c.changed)).group_by(group))
    return {int(g): as_utc(value) for g, value in rows if value is not None}


def story_stamps(
    session: Session, min_articles: int, *, offset: int = 0, limit: int | None = None
) -> list[tuple[int, str, datetime]]:
    """(id, slug, last update) of the stories told by ``min_articles`` articles or more, in the order they were
    made (``limit`` of them from ``offset``) — the sitemap's stories, three narrow columns."""
    stmt = (
        select(Story.id, Story.slug, Story.updated_at).where(_told_by(Story, min_articles)).order_by(Story.id)
    )
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(story_id, slug, as_utc(updated)) for story_id, slug, updated in session.execute(stmt)]


def _told_by(story: Any, min_articles: int) -> Any:
    """``article_count >= min_articles`` with the number written into the SQL, so that both databases can use
    the partial index of migration 0013 (``WHERE article_count >= 2``), which a bound parameter hides."""
    return story.article_count >= literal(min_articles, literal_execute=True)


def story_summary(session: Session, min_articles: int) -> tuple[int, datetime | None]:
    """How many stories are told by ``min_articles`` articles or more, and the newest update among them."""
    count, newest = session.execute(
        select(func.count(), func.max(Story.updated_at)).where(_told_by(Story, min_articles))
    ).one()
    return int(count or 0), (as_utc(newest) if newest is not None else None)


def story_stamp_groups(session: Session, min_articles: int, skip: int, size: int) -> dict[int, datetime]:
    """As ``article_stamp_groups``, for the stories of ``story_stamps`` following ``skip`` other entries."""
    ranked = (
        select(
            (func.row_number().over(order_by=Story.id) - 1 + skip).label("pos"),
            Story.updated_at.label("changed"),
        )
        .where(_told_by(Story, min_articles))
        .subquery()
    )
    return _group_newest(session, ranked, size)
