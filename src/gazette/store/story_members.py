"""Store: the members of a story window — articles already placed, with what ``enrich.stories`` scores them by
(language, fingerprint, features, duplicate link): those of a date span (``window_members``), just their keys
(``window_member_keys``, to see which a kept window lacks), given rows (``members_by_ids``) and those written
since a watermark (``members_after``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gazette.store.schema import Article
from gazette.store.stories import ARTICLE_TIME, as_datetime
from gazette.store.story_schema import ArticleStory, Duplicate


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
    membership_id: int = 0
    fetched_at: datetime | None = None


def _member_query() -> Any:
    return (
        select(
            Article.id,
            ArticleStory.story_id,
            ARTICLE_TIME,
            Article.language,
            ArticleStory.fingerprint,
            ArticleStory.features,
            Duplicate.original_id,
            ArticleStory.id,
            Article.fetched_at,
        )
        .join(ArticleStory, ArticleStory.article_id == Article.id)
        .outerjoin(Duplicate, Duplicate.article_id == Article.id)
    )


def _members(session: Session, stmt: Any) -> list[StoryMember]:
    found = []
    for row in session.execute(stmt):
        when, fetched = as_datetime(row[2]), as_datetime(row[8])
        found.append(
            StoryMember(
                article_id=row[0],
                story_id=row[1],
                when=when or fetched,  # type: ignore[arg-type]
                language=row[3],
                fingerprint=row[4],
                features=row[5],
                duplicate_of=row[6],
                membership_id=row[7],
                fetched_at=fetched,
            )
        )
    return found


def window_members(
    session: Session, since: datetime, until: datetime | None = None, exclude_id: int | None = None
) -> list[StoryMember]:
    """Articles already in a story whose date falls in ``[since, until]`` (no upper bound: None), oldest first."""
    stmt = _member_query().where(ARTICLE_TIME >= since).order_by(ARTICLE_TIME, Article.id)
    if until is not None:
        stmt = stmt.where(ARTICLE_TIME <= until)
    if exclude_id is not None:
        stmt = stmt.where(Article.id != exclude_id)
    return _members(session, stmt)


@dataclass(frozen=True)
class MemberKey:
    """What says whether a window still holds a stored member as it is: the member without its features and
    fingerprint, which a membership row never changes (a new placement writes a new row, under a new id)."""

    article_id: int
    membership_id: int
    story_id: int
    when: datetime
    language: str | None
    duplicate_of: int | None


def window_member_keys(
    session: Session, since: datetime, until: datetime, exclude_id: int | None = None
) -> list[MemberKey]:
    """``window_members`` without the features and fingerprints: which members a window must hold (those it
    lacks are then read whole with ``members_by_ids``)."""
    stmt = (
        select(
            Article.id,
            ArticleStory.id,
            ArticleStory.story_id,
            ARTICLE_TIME,
            Article.language,
            Duplicate.original_id,
            Article.fetched_at,
        )
        .join(ArticleStory, ArticleStory.article_id == Article.id)
        .outerjoin(Duplicate, Duplicate.article_id == Article.id)
        .where(ARTICLE_TIME >= since, ARTICLE_TIME <= until)
        .order_by(ARTICLE_TIME, Article.id)
    )
    if exclude_id is not None:
        stmt = stmt.where(Article.id != exclude_id)
    return [
        MemberKey(row[0], row[1], row[2], (as_datetime(row[3]) or as_datetime(row[6])), row[4], row[5])  # type: ignore[arg-type]
        for row in session.execute(stmt)
    ]


def members_by_ids(session: Session, membership_ids: list[int]) -> list[StoryMember]:
    """The members of these membership rows, whole (in no particular order)."""
    found: list[StoryMember] = []
    for start in range(0, len(membership_ids), 500):  # within every database's limit of bound parameters
        chunk = membership_ids[start : start + 500]
        found += _members(session, _member_query().where(ArticleStory.id.in_(chunk)))
    return found


def members_after(session: Session, membership_id: int) -> list[StoryMember]:
    """Memberships written after ``membership_id`` (by this process or another), in the order written."""
    return _members(session, _member_query().where(ArticleStory.id > membership_id).order_by(ArticleStory.id))
