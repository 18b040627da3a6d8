"""Store: the members of a story window — articles already placed, with what ``enrich.stories`` scores them by
(language, fingerprint, features, duplicate link): those of a date span (``window_members``), just their keys
(``window_member_keys``, to see which a kept window lacks), given rows (``members_by_ids``) and those written
since a watermark (``members_after``)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from gazette.store.schema import Article
from gazette.store.stories import as_datetime
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


_ARTICLES = cast(Table, Article.__table__)
_MEMBERS = cast(Table, ArticleStory.__table__)
_DUPLICATES = cast(Table, Duplicate.__table__)
_TIME = func.coalesce(_ARTICLES.c.published_at, _ARTICLES.c.fetched_at)  # stories.ARTICLE_TIME, of the table
_JOINED = _ARTICLES.join(_MEMBERS, _MEMBERS.c.article_id == _ARTICLES.c.id).outerjoin(
    _DUPLICATES, _DUPLICATES.c.article_id == _ARTICLES.c.id
)
# The statements are built once (each placement runs one or two) and run on the session's connection.


def _member_query() -> Any:
    a, m = _ARTICLES, _MEMBERS
    return select(
        a.c.id,
        m.c.story_id,
        _TIME,
        a.c.language,
        m.c.fingerprint,
        m.c.features,
        _DUPLICATES.c.original_id,
        m.c.id,
        a.c.fetched_at,
    ).select_from(_JOINED)


def _in_span(stmt: Any, until: bool, exclude: bool) -> Any:
    stmt = stmt.where(_TIME >= bindparam("since")).order_by(_TIME, _ARTICLES.c.id)
    if until:
        stmt = stmt.where(_TIME <= bindparam("until"))
    if exclude:
        stmt = stmt.where(_ARTICLES.c.id != bindparam("exclude_id"))
    return stmt


@functools.cache
def _window_query(until: bool, exclude: bool) -> Any:
    return _in_span(_member_query(), until, exclude)


@functools.cache
def _keys_query(exclude: bool) -> Any:
    a, m = _ARTICLES, _MEMBERS
    keys = select(
        a.c.id, m.c.id, m.c.story_id, _TIME, a.c.language, _DUPLICATES.c.original_id, a.c.fetched_at
    ).select_from(_JOINED)
    return _in_span(keys, True, exclude)


_BY_IDS = _member_query().where(_MEMBERS.c.id.in_(bindparam("ids", expanding=True)))
_AFTER = _member_query().where(_MEMBERS.c.id > bindparam("after")).order_by(_MEMBERS.c.id)


def _run(session: Session, stmt: Any, params: dict[str, Any]) -> Any:
    session.flush()  # what the query's autoflush wrote before
    return session.connection().execute(stmt, params)


def _members(session: Session, stmt: Any, params: dict[str, Any]) -> list[StoryMember]:
    found = []
    for row in _run(session, stmt, params):
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
    stmt = _window_query(until is not None, exclude_id is not None)
    return _members(session, stmt, {"since": since, "until": until, "exclude_id": exclude_id})


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
    params = {"since": since, "until": until, "exclude_id": exclude_id}
    return [
        MemberKey(row[0], row[1], row[2], (as_datetime(row[3]) or as_datetime(row[6])), row[4], row[5])  # type: ignore[arg-type]
        for row in _run(session, _keys_query(exclude_id is not None), params)
    ]


def members_by_ids(session: Session, membership_ids: list[int]) -> list[StoryMember]:
    """The members of these membership rows, whole (in no particular order)."""
    found: list[StoryMember] = []
    for start in range(0, len(membership_ids), 500):  # within every database's limit of bound parameters
        chunk = membership_ids[start : start + 500]
        found += _members(session, _BY_IDS, {"ids": chunk})
    return found


def members_after(session: Session, membership_id: int) -> list[StoryMember]:
    """Memberships written after ``membership_id`` (by this process or another), in the order written."""
    return _members(session, _AFTER, {"after": membership_id})
