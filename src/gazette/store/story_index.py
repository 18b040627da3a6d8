"""Store: the story index's marker and lock — what an in-process story window checks to know whether the
stored memberships moved under it, the lock that serializes placing articles, and the membership ids handed
out from the marker (so that they only grow).

A transaction that holds the lock and wrote a membership knows the marker without reading it again: no other
writer can move it until the transaction ends (``_known_marker``), which saves the backfill's story pass a
statement per article.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Table, bindparam, event, func, insert, select, text, true, update
from sqlalchemy.orm import Session

from gazette.store.story_schema import ArticleStory, Story, StoryIndexState


@dataclass(frozen=True)
class IndexMarker:
    """Where the stored memberships stand: a window built at one marker is still right at a later one when
    ``token`` and ``epoch`` are equal (memberships were only appended, ids above ``last_membership``)."""

    token: str
    epoch: int
    last_membership: int


def _state(session: Session) -> StoryIndexState:
    state = session.scalars(
        select(StoryIndexState).where(StoryIndexState.id == 1).execution_options(populate_existing=True)
    ).first()
    if state is None:  # a database whose state row is missing: start past every membership there
        last = session.scalar(select(func.max(ArticleStory.id))) or 0
        state = StoryIndexState(id=1, token=uuid.uuid4().hex, epoch=0, last_membership=int(last))
        session.add(state)
        session.flush()
    return state


# session.info keys: the transaction that holds the story lock, and the marker as this transaction last wrote it
_LOCKED = "gazette_story_lock"
_MARKER = "gazette_story_marker"


def _known_marker(session: Session, *, trusted: bool = True) -> IndexMarker | None:
    """The marker as this transaction last read it (``index_marker``) or, ``trusted``, wrote it under the story
    lock (``add_membership``): no other writer can have moved it since then, so it is not read again.
    Forgotten when a savepoint rolls back."""
    known = session.info.get(_MARKER)
    if known is None or known[0] is not session.get_transaction() or (trusted and not known[2]):
        return None
    return cast(IndexMarker, known[1])


def _remember_marker(session: Session, marker: IndexMarker | None, *, trusted: bool = False) -> None:
    if marker is None:
        session.info.pop(_MARKER, None)
        return
    session.info[_MARKER] = (session.get_transaction(), marker, trusted)


@event.listens_for(Session, "after_soft_rollback")
def _forget_marker(session: Session, _previous: Any) -> None:
    """A rollback (a savepoint's too) forgets the marker this transaction knew. One listener for every session,
    which costs a session nothing until it rolls back (one on each session, added as it first remembered a
    marker, made every event of that session look through its own listeners as well)."""
    session.info.pop(_MARKER, None)


_STATE = cast(Table, StoryIndexState.__table__)
_MEMBERS = cast(Table, ArticleStory.__table__)
# Built once: the statements of every placement, run on the session's connection (no ORM work around them)
_MARKER_READ = select(_STATE.c.token, _STATE.c.epoch, _STATE.c.last_membership).where(_STATE.c.id == 1)
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def index_marker(session: Session) -> IndexMarker:
    """The current marker (one row read by its key; creates the row in a database that lacks it). Not read
    again in a transaction that wrote it under the story lock (``_known_marker``)."""
    known = _known_marker(session)
    if known is not None:
        return known
    session.flush()  # what the query's autoflush wrote before
    row = session.connection().execute(_MARKER_READ).first()
    if row is None:
        state = _state(session)
        marker = IndexMarker(state.token, int(state.epoch), int(state.last_membership))
    else:
        marker = IndexMarker(str(row[0]), int(row[1]), int(row[2]))
    _remember_marker(session, marker)
    return marker


def index_marker_with(
    session: Session, extra: Any, params: dict[str, Any]
) -> tuple[IndexMarker, tuple[Any, ...]] | None:
    """``index_marker`` read with the first row of ``extra`` (a query of its own, with ``params``) in the
    same statement, saving a round trip; its columns are None when it has no row. None when the marker is
    not read (known in this transaction already, or no state row yet): ``index_marker`` then."""
    if _known_marker(session) is not None:
        return None
    session.flush()  # what the query's autoflush wrote before
    row = session.connection().execute(_marker_with(extra), params).first()
    if row is None:
        return None
    marker = IndexMarker(str(row[0]), int(row[1]), int(row[2]))
    _remember_marker(session, marker)
    return marker, tuple(row[3:])


@functools.cache
def _marker_with(extra: Any) -> Any:
    found = extra.subquery()
    return (
        select(_STATE.c.token, _STATE.c.epoch, _STATE.c.last_membership, *found.c)
        .select_from(_STATE.outerjoin(found, true()))
        .where(_STATE.c.id == 1)
    )


def bump_epoch(session: Session) -> None:
    """Tell every story window (in any process) that memberships were rewritten wholesale."""
    _remember_marker(session, None)
    state = _state(session)
    state.epoch = int(state.epoch) + 1
    session.flush()


STORY_LOCK_KEY = 0x67617A5354  # "gazST": the PostgreSQL advisory lock that serializes story assignment


def lock_story_assignment(session: Session) -> None:
    """Serialize story assignment across processes until this transaction ends.

    Two ingest workers placing articles on the same event at once would otherwise both start a new story.
    PostgreSQL gets a transaction-scoped advisory lock; SQLite already allows one writer at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_LOCKED) is transaction:
        return  # taken already in this transaction (a savepoint's rollback does not release it)
    session.connection().execute(_LOCK, {"key": STORY_LOCK_KEY})
    session.info[_LOCKED] = session.get_transaction()


def add_membership(
    session: Session,
    article_id: int,
    story_id: int,
    similarity: float,
    fingerprint: bytes,
    features: dict[str, Any],
    *,
    marker_read: bool = False,
) -> int:
    """Write a membership row under the next id (call with the story lock held); returns that id.

    The article's earlier row, if any, is gone by now (``detach_article``): windows that read rows past their
    watermark see the new one and replace what they held for the article. ``marker_read``: ``index_marker``
    was read in this transaction with the lock held, so the state row exists and the id is taken by one
    UPDATE … RETURNING (no read first).
    """
    values: dict[str, Any] = {
        "article_id": article_id,
        "story_id": story_id,
        "similarity": similarity,
        "fingerprint": fingerprint,
        "features": features,
    }
    if marker_read:  # the row exists (index_marker made it): take the next id and write the row at once
        membership_id = _insert_next(session, values)
    else:  # many (``recluster``): the session's flush writes them together
        state = _state(session)
        state.last_membership = membership_id = int(state.last_membership) + 1
        session.add(ArticleStory(id=membership_id, **values))
    _written(session, membership_id, marker_read=marker_read)
    return membership_id


def _written(session: Session, membership_id: int, *, marker_read: bool) -> None:
    # the marker read under the lock, moved on by this row alone, is what the next placement would read
    known = _known_marker(session, trusted=False) if marker_read else None
    if known is not None and known.last_membership == membership_id - 1:
        _remember_marker(session, replace(known, last_membership=membership_id), trusted=True)
    else:
        _remember_marker(session, None)


def add_membership_with_story(
    session: Session,
    story: dict[str, Any],
    article_id: int,
    similarity: float,
    fingerprint: bytes,
    features: dict[str, Any],
) -> tuple[int, int]:
    """PostgreSQL: ``add_membership(marker_read=True)`` into a story inserted (with the columns ``story``) by
    the same statement; returns (the story's id, the membership id). ``stories`` has no insert trigger, so the
    triggers count as with the story inserted first."""
    values: dict[str, Any] = {
        "article_id": article_id,
        "similarity": similarity,
        "fingerprint": fingerprint,
        "features": features,
    }
    params = {**values, **{f"story_{k}": v for k, v in story.items()}}
    stmt = _insert_next_pg_with_story(tuple(values), tuple(story))
    membership_id, story_id = session.connection().execute(stmt, params).one()
    _written(session, int(membership_id), marker_read=True)
    return int(story_id), int(membership_id)


def _insert_next(session: Session, values: dict[str, Any]) -> int:
    """Take the next membership id (UPDATE … RETURNING) and insert the row under it, as plain statements: one
    on PostgreSQL, whose UPDATE can feed the INSERT (a data-modifying WITH), two elsewhere."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return int(connection.execute(_insert_next_pg(tuple(values)), values).scalar_one())
    membership_id = int(connection.execute(_BUMP).scalar_one())
    connection.execute(_INSERT_MEMBER, {"id": membership_id, **values})
    return membership_id


_BUMP = (
    update(_STATE)
    .where(_STATE.c.id == 1)
    .values(last_membership=_STATE.c.last_membership + 1)
    .returning(_STATE.c.last_membership)
)
_INSERT_MEMBER = insert(_MEMBERS)


@functools.cache
def _insert_next_pg(keys: tuple[str, ...]) -> Any:
    taken = _BUMP.cte("taken")
    row = select(taken.c.last_membership, *(bindparam(k, type_=_MEMBERS.c[k].type) for k in keys))
    return insert(_MEMBERS).from_select(["id", *keys], row).returning(_MEMBERS.c.id)


@functools.cache
def _insert_next_pg_with_story(keys: tuple[str, ...], story_keys: tuple[str, ...]) -> Any:
    stories = cast(Table, Story.__table__)
    story = (
        insert(stories)
        .values({k: bindparam(f"story_{k}", type_=stories.c[k].type) for k in story_keys})
        .returning(stories.c.id)
        .cte("new_story")
    )
    taken = _BUMP.cte("taken")
    row = select(
        taken.c.last_membership, story.c.id, *(bindparam(k, type_=_MEMBERS.c[k].type) for k in keys)
    ).select_from(taken.join(story, true()))
    return (
        insert(_MEMBERS)
        .from_select(["id", "story_id", *keys], row)
        .returning(_MEMBERS.c.id, _MEMBERS.c.story_id)
    )
