"""Store: stories and near-duplicates — which story an article is in, a story's articles, recent stories."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slugify import slugify
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, selectinload

from gazette.store.schema import Article
from gazette.store.story_schema import ArticleStory, Duplicate, Story

logger = logging.getLogger(__name__)

SLUG_MAX = 80
# An article's date for stories: when it was published, else when we fetched it (as listings sort).
ARTICLE_TIME = func.coalesce(Article.published_at, Article.fetched_at)


def article_time(article: Article) -> datetime:
    return article.published_at or article.fetched_at


@dataclass(frozen=True)
class StoryMember:
    """An article in the clustering window, as ``enrich.stories`` needs it."""

    article_id: int
    story_id: int
    when: datetime
    language: str | None
    fingerprint: bytes | None
    features: dict[str, Any] | None
    duplicate_of: int | None


def window_members(
    session: Session, since: datetime, until: datetime, exclude_id: int | None = None
) -> list[StoryMember]:
    """Articles already in a story whose date falls in ``[since, until]``, oldest first."""
    stmt = (
        select(
            Article.id,
            ArticleStory.story_id,
            ARTICLE_TIME,
            Article.language,
            ArticleStory.fingerprint,
            ArticleStory.features,
            Duplicate.original_id,
        )
        .join(ArticleStory, ArticleStory.article_id == Article.id)
        .outerjoin(Duplicate, Duplicate.article_id == Article.id)
        .where(ARTICLE_TIME >= since, ARTICLE_TIME <= until)
        .order_by(ARTICLE_TIME, Article.id)
    )
    if exclude_id is not None:
        stmt = stmt.where(Article.id != exclude_id)
    return [StoryMember(*row) for row in session.execute(stmt)]


def titles_and_texts(session: Session, ids: list[int]) -> dict[int, tuple[str, str]]:
    """Title and text of these articles (for members whose stored features are missing or stale)."""
    found: dict[int, tuple[str, str]] = {}
    for i in range(0, len(ids), 500):
        stmt = select(Article.id, Article.title, Article.text).where(Article.id.in_(ids[i : i + 500]))
        found.update({row[0]: (row[1], row[2]) for row in session.execute(stmt)})
    return found


def article_order(session: Session) -> list[int]:
    """Every article id, oldest first (by date, then id): the order stories are rebuilt in."""
    return list(session.scalars(select(Article.id).order_by(ARTICLE_TIME, Article.id)))


def articles_by_ids(session: Session, ids: list[int]) -> dict[int, Article]:
    return {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(ids)))}


STORY_LOCK_KEY = 0x67617A5354  # "gazST": the PostgreSQL advisory lock that serializes story assignment


def lock_story_assignment(session: Session) -> None:
    """Serialize story assignment across processes until this transaction ends.

    Two ingest workers placing articles on the same event at once would otherwise both start a new story.
    PostgreSQL gets a transaction-scoped advisory lock; SQLite already allows one writer at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STORY_LOCK_KEY})


def membership(session: Session, article_id: int) -> ArticleStory | None:
    return session.scalar(select(ArticleStory).where(ArticleStory.article_id == article_id))


def duplicate_row(session: Session, article_id: int) -> Duplicate | None:
    return session.scalar(select(Duplicate).where(Duplicate.article_id == article_id))


def earliest_same_hash(session: Session, article: Article) -> Article | None:
    """The oldest other article with exactly the same content hash that is already in a story."""
    if not article.content_hash:
        return None
    stmt = (
        select(Article)
        .join(ArticleStory, ArticleStory.article_id == Article.id)
        .where(Article.content_hash == article.content_hash, Article.id != article.id)
        .order_by(ARTICLE_TIME, Article.id)
        .limit(1)
    )
    return session.scalars(stmt).first()


def create_story(session: Session, title: str, when: datetime) -> Story:
    story = Story(
        title=title,
        slug=slugify(title, max_length=SLUG_MAX, word_boundary=True) or "story",
        first_seen=when,
        updated_at=when,
        article_count=0,
        source_count=0,
    )
    session.add(story)
    session.flush()
    return story


def refresh_story(session: Session, story_id: int) -> Story | None:
    """Recount a story's articles and sources and its dates; delete it when no article is left."""
    story = session.get(Story, story_id)
    if story is None:
        return None
    row = session.execute(
        select(
            func.count(Article.id),
            func.count(func.distinct(Article.source_id)),
            func.min(ARTICLE_TIME),
            func.max(ARTICLE_TIME),
        )
        .join(ArticleStory, ArticleStory.article_id == Article.id)
        .where(ArticleStory.story_id == story_id)
    ).one()
    count, sources, first, last = row
    if not count:
        session.delete(story)
        session.flush()
        return None
    story.article_count, story.source_count = int(count), int(sources)
    first_seen, updated = _as_datetime(first), _as_datetime(last)
    if first_seen is not None:
        story.first_seen = first_seen
    if updated is not None:
        story.updated_at = updated
    session.flush()
    return story


def _as_datetime(value: object) -> datetime | None:
    # SQLite hands back aggregate dates as text (the column type is lost by min/max)
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def detach_article(session: Session, article_id: int) -> None:
    """Take an article out of its story and drop its duplicate link (the story goes when it empties)."""
    member = membership(session, article_id)
    session.execute(delete(Duplicate).where(Duplicate.article_id == article_id))
    if member is not None:
        story_id = member.story_id
        session.delete(member)
        session.flush()
        refresh_story(session, story_id)


def clear_all(session: Session) -> None:
    """Forget every story and duplicate link (``gazette recluster`` rebuilds them)."""
    session.execute(delete(Duplicate))
    session.execute(delete(ArticleStory))
    session.execute(delete(Story))
    session.flush()


# --- the read side, for pages and the API -------------------------------------------------------------


def story_by_id(session: Session, story_id: int) -> Story | None:
    return session.get(Story, story_id)


def story_of(session: Session, article_id: int) -> Story | None:
    """The story an article belongs to, if it has been assigned one."""
    stmt = (
        select(Story)
        .join(ArticleStory, ArticleStory.story_id == Story.id)
        .where(ArticleStory.article_id == article_id)
    )
    return session.scalars(stmt).first()


def articles_of(session: Session, story_id: int, *, include_duplicates: bool = True) -> list[Article]:
    """A story's articles, oldest first (near-copies left out unless ``include_duplicates``)."""
    stmt = (
        select(Article)
        .join(ArticleStory, ArticleStory.article_id == Article.id)
        .where(ArticleStory.story_id == story_id)
        .options(selectinload(Article.source))
        .order_by(ARTICLE_TIME, Article.id)
    )
    if not include_duplicates:
        stmt = stmt.where(~Article.id.in_(select(Duplicate.article_id)))
    return list(session.scalars(stmt))


def more_on_story(session: Session, article_id: int, limit: int = 5) -> list[Article]:
    """ "More on this story": other sources' articles in the same story, newest first, no copies of this one."""
    story_id = session.scalar(select(ArticleStory.story_id).where(ArticleStory.article_id == article_id))
    if story_id is None:
        return []
    source_id = session.scalar(select(Article.source_id).where(Article.id == article_id))
    original_id = session.scalar(select(Duplicate.original_id).where(Duplicate.article_id == article_id))
    root = original_id if original_id is not None else article_id
    same_text = select(Duplicate.article_id).where(Duplicate.original_id == root)
    stmt = (
        select(Article)
        .join(ArticleStory, ArticleStory.article_id == Article.id)
        .where(
            ArticleStory.story_id == story_id,
            Article.id != article_id,
            Article.id != root,
            ~Article.id.in_(same_text),
        )
        .options(selectinload(Article.source))
        .order_by(ARTICLE_TIME.desc(), Article.id.desc())
        .limit(limit)
    )
    if source_id is not None:
        stmt = stmt.where((Article.source_id != source_id) | Article.source_id.is_(None))
    return list(session.scalars(stmt))


def recent_stories(session: Session, limit: int = 50, min_articles: int = 2, offset: int = 0) -> list[Story]:
    """Stories with at least ``min_articles`` articles, most recently updated first (for ``/stories/``)."""
    stmt = (
        select(Story)
        .where(Story.article_count >= min_articles)
        .order_by(Story.updated_at.desc(), Story.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def duplicates_of(session: Session, article_id: int) -> list[tuple[Article, float]]:
    """Near-copies of an article: its original (if it is a copy) and every other copy of that original."""
    original_id = session.scalar(select(Duplicate.original_id).where(Duplicate.article_id == article_id))
    root = original_id if original_id is not None else article_id
    found: list[tuple[Article, float]] = []
    if original_id is not None:
        sim = session.scalar(select(Duplicate.similarity).where(Duplicate.article_id == article_id)) or 1.0
        original = session.get(Article, original_id)
        if original is not None:
            found.append((original, float(sim)))
    stmt = (
        select(Article, Duplicate.similarity)
        .join(Duplicate, Duplicate.article_id == Article.id)
        .where(Duplicate.original_id == root, Article.id != article_id)
        .order_by(ARTICLE_TIME, Article.id)
    )
    found.extend((row[0], float(row[1])) for row in session.execute(stmt))
    return found
