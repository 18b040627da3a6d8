"""Store: stories and near-duplicates — which story an article is in, a story's articles, recent stories.

It also keeps the marker that changes when memberships are rewritten (``index_marker``), which an in-process
story window checks to stay right across processes (the members it reads are in ``story_members``), and the
redirects that keep a story's URL after it is merged or split.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, exists, func, insert, literal_column, select, update
from sqlalchemy.orm import Session, selectinload

from gazette.store.rows import persistent, title_slug
from gazette.store.schema import Article, Source
from gazette.store.story_index import STORY_LOCK_KEY as STORY_LOCK_KEY
from gazette.store.story_index import IndexMarker as IndexMarker
from gazette.store.story_index import add_membership as add_membership
from gazette.store.story_index import add_membership_with_story, index_marker_with
from gazette.store.story_index import bump_epoch as bump_epoch
from gazette.store.story_index import index_marker as index_marker
from gazette.store.story_index import lock_story_assignment as lock_story_assignment
from gazette.store.story_schema import ArticleStory, Duplicate, Story, StoryRedirect

logger = logging.getLogger(__name__)

SLUG_MAX = 80
# An article's date for stories: when it was published, else when we fetched it (as listings sort).
ARTICLE_TIME = func.coalesce(Article.published_at, Article.fetched_at)


def article_time(article: Article) -> datetime:
    return article.published_at or article.fetched_at


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


def originals_of(session: Session, article_ids: list[int]) -> dict[int, int]:
    """For each of ``article_ids`` that is a near-duplicate: the id of the article it copies."""
    found: dict[int, int] = {}
    for i in range(0, len(article_ids), 500):
        stmt = select(Duplicate.article_id, Duplicate.original_id).where(
            Duplicate.article_id.in_(article_ids[i : i + 500])
        )
        found.update({row[0]: row[1] for row in session.execute(stmt)})
    return found


def membership(session: Session, article_id: int) -> ArticleStory | None:
    return session.scalar(select(ArticleStory).where(ArticleStory.article_id == article_id))


def duplicate_row(session: Session, article_id: int) -> Duplicate | None:
    return session.scalar(select(Duplicate).where(Duplicate.article_id == article_id))


class _Unread:
    """``marker_and_same_hash``'s answer when it did not look for the same hash (``earliest_same_hash`` then)."""


UNREAD = _Unread()
SameHash = tuple[int, int, int | None] | None


def marker_and_same_hash(session: Session, article: Article) -> tuple[IndexMarker, SameHash | _Unread]:
    """``index_marker`` and ``earliest_same_hash`` in one statement (call with the story lock held, so that no
    other writer moves either before the article is placed); ``UNREAD`` for the second when the marker was
    known in this transaction already, so that nothing was read."""
    if not article.content_hash:
        return index_marker(session), None
    params = {"content_hash": article.content_hash, "article_id": article.id}
    found = index_marker_with(session, _EARLIEST_SAME_HASH, params)
    if found is None:
        return index_marker(session), UNREAD
    marker, (same_id, story_id, original_id) = found
    if same_id is None:
        return marker, None
    return marker, (int(same_id), int(story_id), None if original_id is None else int(original_id))


def earliest_same_hash(session: Session, article: Article) -> tuple[int, int, int | None] | None:
    """The oldest other article with exactly the same content hash that is already in a story:
    (its id, its story, the original it copies or None), in one indexed query."""
    if not article.content_hash:
        return None
    session.flush()  # what the query's autoflush wrote before
    row = (
        session.connection()
        .execute(_EARLIEST_SAME_HASH, {"content_hash": article.content_hash, "article_id": article.id})
        .first()
    )
    return None if row is None else (int(row[0]), int(row[1]), None if row[2] is None else int(row[2]))


_ARTICLES = cast(Table, Article.__table__)
_STORIES = cast(Table, Story.__table__)
_MEMBERS = cast(Table, ArticleStory.__table__)
_DUPLICATES = cast(Table, Duplicate.__table__)
_REDIRECTS = cast(Table, StoryRedirect.__table__)
# Built once, run on the session's connection: the statements of every placement
_EARLIEST_SAME_HASH = (
    select(_ARTICLES.c.id, _MEMBERS.c.story_id, _DUPLICATES.c.original_id)
    .join(_MEMBERS, _MEMBERS.c.article_id == _ARTICLES.c.id)
    .outerjoin(_DUPLICATES, _DUPLICATES.c.article_id == _ARTICLES.c.id)
    .where(_ARTICLES.c.content_hash == bindparam("content_hash"), _ARTICLES.c.id != bindparam("article_id"))
    .order_by(func.coalesce(_ARTICLES.c.published_at, _ARTICLES.c.fetched_at), _ARTICLES.c.id)
    .limit(1)
)


@functools.cache
def _insert_story(sqlite: bool) -> Any:
    """A story row inserted, returning its id. On SQLite under an id no story or redirect ever had, taken in
    the same statement: SQLite gives a new row the highest id plus one, which is a deleted story's id when that
    story was the newest; PostgreSQL's sequence never goes back, so it picks the id itself."""
    stmt = insert(_STORIES)
    if sqlite:
        highest = select(func.coalesce(func.max(_STORIES.c.id), 0)).scalar_subquery()
        redirected = select(func.coalesce(func.max(_REDIRECTS.c.old_id), 0)).scalar_subquery()
        stmt = stmt.values(id=func.max(highest, redirected) + 1)
    return stmt.returning(_STORIES.c.id)


def _story_values(title: str, when: datetime, first: Article | None) -> dict[str, Any]:
    return {
        "title": title,
        "slug": title_slug(title, SLUG_MAX) or "story",
        "first_seen": when,
        "updated_at": when,
        "article_count": 0 if first is None else 1,
        "source_count": 0 if first is None or first.source_id is None else 1,
    }


def create_story(session: Session, title: str, when: datetime, first: Article | None = None) -> Story:
    """A new story, empty, or counting ``first`` as its one member already (what ``count_new_member`` would
    make of it, without updating the row just inserted). Inserted as one plain statement (what the ORM's
    flush writes, without its unit of work) and returned as the session's persistent object."""
    values = _story_values(title, when, first)
    session.flush()  # what was pending is written first, as the flush that inserted the story did
    connection = session.connection()
    story_id = connection.execute(_insert_story(connection.dialect.name == "sqlite"), values).scalar_one()
    return persistent(session, Story, {"id": story_id, **values})


def start_story(
    session: Session,
    first: Article,
    when: datetime,
    similarity: float,
    fingerprint: bytes,
    features: dict[str, Any],
) -> tuple[Story, int]:
    """A new story named after ``first`` and counting it, and ``first``'s membership row in it: ``create_story``
    then ``add_membership(marker_read=True)`` (call it as that one is called: the story lock held, the marker
    read), in one statement on PostgreSQL. Returns the story and the membership id."""
    if session.get_bind().dialect.name != "postgresql":
        story = create_story(session, first.title, when, first=first)
        return story, add_membership(
            session, first.id, story.id, similarity, fingerprint, features, marker_read=True
        )
    values = _story_values(first.title, when, first)
    session.flush()  # what was pending is written first, as create_story does
    story_id, membership_id = add_membership_with_story(
        session, values, first.id, similarity, fingerprint, features
    )
    return persistent(session, Story, {"id": story_id, **values}), membership_id


def _same_source_member(story_id: int, article: Article) -> Any:
    """Whether another member of the story comes from the article's source (an indexed lookup).

    The story's members are found by the story (a few rows), then each is read by its id. The source is
    compared as ``source_id + 0``, which no index answers: SQLite, which keeps no statistics, otherwise walked
    the source's index instead — every article the source ever published (25–30 ms a placement at 1,000,000
    articles from 60 sources, ``bench/scale.py``'s ingest probe)."""
    return exists(
        select(ArticleStory.id)
        .join(Article, Article.id == ArticleStory.article_id)
        .where(
            ArticleStory.story_id == story_id,
            Article.source_id + literal_column("0") == article.source_id,
            Article.id != article.id,
        )
    )


def story_for_member(session: Session, story_id: int, article: Article) -> tuple[Story | None, bool | None]:
    """The story an article is about to join, and whether another of its members comes from the article's
    source (None when the article has no source): what ``count_new_member`` needs, in one statement."""
    if article.source_id is None:
        return session.get(Story, story_id), None
    row = session.execute(
        select(Story, _same_source_member(story_id, article)).where(Story.id == story_id)
    ).first()
    return (None, None) if row is None else (row[0], bool(row[1]))


def count_new_member(
    session: Session,
    story: Story,
    article: Article,
    when: datetime,
    *,
    only_member: bool = False,
    same_source: bool | None = None,
) -> None:
    """Update a story's counts and dates for one article just added to it (one indexed lookup, where
    ``refresh_story`` would aggregate over every member; none when ``only_member``: a story just made for it,
    nor when ``same_source`` was looked up already by ``story_for_member``)."""
    if article.source_id is None or only_member:
        same_source = False
    elif same_source is None:
        with session.no_autoflush:  # the article's own pending rows are not what it looks for
            same_source = bool(session.scalar(select(_same_source_member(story.id, article))))
    story.article_count = (story.article_count or 0) + 1
    story.source_count = (story.source_count or 0) + (0 if same_source or article.source_id is None else 1)
    if story.first_seen is None or when < story.first_seen:
        story.first_seen = when
    if story.updated_at is None or when > story.updated_at:
        story.updated_at = when


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
        # the id is never handed out again; its URL leads on once the article's new story is known
        session.merge(StoryRedirect(old_id=story.id, slug=story.slug, story_id=None))
        session.delete(story)
        session.flush()
        return None
    story.article_count, story.source_count = int(count), int(sources)
    first_seen, updated = as_datetime(first), as_datetime(last)
    if first_seen is not None:
        story.first_seen = first_seen
    if updated is not None:
        story.updated_at = updated
    session.flush()
    return story


def as_datetime(value: object) -> datetime | None:
    # SQLite hands back aggregate dates as text (the column type is lost by min/max)
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def detach_article(session: Session, article_id: int) -> int | None:
    """Take an article out of its story and drop its duplicate link (the story goes when it empties).

    Returns the story's id when it emptied (its URL then redirects; see ``point_redirects``).
    """
    member = membership(session, article_id)
    session.execute(delete(Duplicate).where(Duplicate.article_id == article_id))
    if member is None:
        return None
    story_id = member.story_id
    session.delete(member)
    session.flush()
    return None if refresh_story(session, story_id) is not None else story_id


def take_out_lone(session: Session, member: ArticleStory) -> Story | None:
    """Take an article out of a story it is the only member of, keeping the story (its counts emptied), so
    that a re-fetched article placed alone again goes on under the same id and URL. Returns the story, or
    None (nothing done) when the story has other members; the caller places the article, then puts it back
    in this story or, when it joins another, lets this one go (``refresh_story``) and redirects its URL."""
    story = session.get(Story, member.story_id)
    if story is None or (story.article_count or 0) != 1:
        return None
    session.execute(delete(Duplicate).where(Duplicate.article_id == member.article_id))
    session.delete(member)
    story.article_count, story.source_count = 0, 0  # its dates are the article's again when it returns
    session.flush()
    return story


def retitle_story(session: Session, story_id: int, *, unless: str) -> bool:
    """Name a story after its earliest article when its title is ``unless`` (the title of an article taken out
    of it for good, which must not go on naming it, in its heading or its URL). Returns whether it changed."""
    story = session.get(Story, story_id)
    if story is None or story.title != unless:
        return False
    members = articles_of(session, story_id)
    if not members:
        return False
    story.title = members[0].title
    story.slug = title_slug(story.title, SLUG_MAX) or "story"
    session.flush()
    return True


def follow_title(session: Session, article_id: int, old: str, new: str) -> bool:
    """An editor's title correction (or its revert) of an article: the story named after the article's old title
    takes the new one as its heading. Its slug stays, as the article's own does, so that its URL is permanent
    (a takedown, which must drop a title from URLs too, renames through ``retitle_story``). Returns whether the
    story's title changed."""
    member = membership(session, article_id)
    if member is None or old == new:
        return False
    story = session.get(Story, member.story_id)
    if story is None or story.title != old:
        return False
    story.title = new
    session.flush()
    return True


def point_redirects(session: Session, targets: Mapping[int, int | None]) -> None:
    """Point old story ids at the stories that now hold their articles, and re-point chains through them."""
    for old_id, target in targets.items():
        if target == old_id:
            session.execute(delete(StoryRedirect).where(StoryRedirect.old_id == old_id))
            continue
        session.execute(update(StoryRedirect).where(StoryRedirect.old_id == old_id).values(story_id=target))
        session.execute(update(StoryRedirect).where(StoryRedirect.story_id == old_id).values(story_id=target))
    session.flush()


def redirect_target(session: Session, story_id: int) -> Story | None:
    """The story an old story id now leads to (following re-pointed chains), or None."""
    seen: set[int] = set()
    current: int | None = story_id
    while current is not None and current not in seen:
        seen.add(current)
        story = session.get(Story, current) if current != story_id else None
        if story is not None:
            return story
        current = session.scalar(select(StoryRedirect.story_id).where(StoryRedirect.old_id == current))
    return None


def redirects(session: Session) -> list[tuple[int, str, Story]]:
    """Every old story URL that leads somewhere: (old id, old slug, the story it leads to), by old id."""
    stmt = (
        select(StoryRedirect.old_id, StoryRedirect.slug, Story)
        .join(Story, Story.id == StoryRedirect.story_id)
        .order_by(StoryRedirect.old_id)
    )
    return [(int(row[0]), str(row[1]), row[2]) for row in session.execute(stmt)]


def memberships(session: Session) -> dict[int, int]:
    """article id → story id, for every placed article (what ``gazette recluster`` compares against)."""
    return {
        int(a): int(s) for a, s in session.execute(select(ArticleStory.article_id, ArticleStory.story_id))
    }


def story_slugs(session: Session) -> dict[int, str]:
    return {int(i): str(slug) for i, slug in session.execute(select(Story.id, Story.slug))}


def clear_memberships(session: Session) -> None:
    """Forget every membership and duplicate link, keeping the stories (their ids stay taken while
    ``gazette recluster`` rebuilds; ``renumber_stories`` then gives kept ones back their old ids)."""
    session.execute(delete(Duplicate))
    session.execute(delete(ArticleStory))
    bump_epoch(session)
    session.flush()


def renumber_stories(session: Session, kept: Mapping[int, int], redirected: Mapping[int, int]) -> None:
    """After a rebuild: move each new story's articles to the old id it keeps (the old story keeps its title
    and slug, so its URL stays), delete the new rows, and turn every other old story into a redirect."""
    if kept:
        table = cast(Table, ArticleStory.__table__)
        session.connection().execute(
            update(table).where(table.c.story_id == bindparam("new_id")).values(story_id=bindparam("old_id")),
            [{"new_id": new, "old_id": old} for new, old in kept.items()],
        )
        session.execute(delete(Story).where(Story.id.in_(list(kept))))
    final = {old: kept.get(new, new) for old, new in redirected.items()}
    slugs = story_slugs(session)
    for old_id in final:
        session.merge(StoryRedirect(old_id=old_id, slug=slugs.get(old_id, "story"), story_id=None))
    session.execute(delete(Story).where(Story.id.in_(list(final))))
    session.flush()
    point_redirects(session, final)
    for old_id in kept.values():  # an id kept again stops redirecting
        session.execute(delete(StoryRedirect).where(StoryRedirect.old_id == old_id))
    session.flush()


def stories_without_members(session: Session, ids: Iterable[int]) -> list[int]:
    wanted = list(ids)
    used = set(session.scalars(select(ArticleStory.story_id).where(ArticleStory.story_id.in_(wanted))))
    return [i for i in wanted if i not in used]


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
        # NOT EXISTS, an anti-join on uq_duplicates_article; NOT IN (SELECT …) hashed every copy of the desk
        stmt = stmt.where(~exists().where(Duplicate.article_id == Article.id))
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


def tellers(
    session: Session, story_ids: Iterable[int]
) -> dict[int, list[tuple[str | None, str | None, str]]]:
    """(source name, site, original URL) of each story's articles, oldest first, near-copies included — three
    narrow columns in one query for a page of stories, never the articles' text."""
    wanted = list(story_ids)
    out: dict[int, list[tuple[str | None, str | None, str]]] = {i: [] for i in wanted}
    if not wanted:
        return out
    rows = session.execute(
        select(ArticleStory.story_id, Source.name, Article.site, Article.original_url)
        .join(Article, Article.id == ArticleStory.article_id)
        .outerjoin(Source, Source.id == Article.source_id)
        .where(ArticleStory.story_id.in_(wanted))
        .order_by(ArticleStory.story_id, ARTICLE_TIME, Article.id)
    )
    for story_id, name, site, url in rows:
        out[story_id].append((name, site, url))
    return out


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


def add_duplicate(
    session: Session, article_id: int, original_id: int, similarity: float, *, at_once: bool = False
) -> None:
    """Record a near-copy: ``at_once`` as a plain INSERT now (one article placed), else for the session's
    next flush, written with the others (``recluster``)."""
    values = {"article_id": article_id, "original_id": original_id, "similarity": similarity}
    if at_once:
        session.execute(insert(cast(Table, Duplicate.__table__)), values)
    else:
        session.add(Duplicate(**values))
