"""Store: batched, idempotent article writes for backfills — many articles in one transaction.

``store_batch`` inserts a batch with ``INSERT … ON CONFLICT (canonical_url) DO NOTHING`` (PostgreSQL and SQLite
alike) and its locales and brief sentences with executemany, so a batch that was written before, wholly or in
part, by a run that was killed, is written again without a second copy. When the batch runs into another
constraint (two workers giving the same title the same day's slug at once), it is written again one article
at a time, each in its own savepoint, through ``articles.save_article``.
"""

from __future__ import annotations

import enum
import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slugify import slugify
from sqlalchemy import exists, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from gazette import models
from gazette.errors import StorageError
from gazette.store import articles as article_store
from gazette.store import tombstones as tombstone_store
from gazette.store.db import Database
from gazette.store.schema import Article, ArticleLocale, BriefSentenceRow, Source
from gazette.store.sources import get_or_create_source, source_slug
from gazette.store.stories import ARTICLE_TIME
from gazette.store.story_schema import ArticleStory, Duplicate

logger = logging.getLogger(__name__)

CHUNK = 500  # values per IN (…) list


class Outcome(enum.StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"  # the same text from the same source is stored under another URL
    SKIPPED = "skipped"  # the URL is stored already, or its article was unpublished


@dataclass
class BatchResult:
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # by the article's URL
    new_ids: list[int] = field(default_factory=list)


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    # Gazette's store runs on these two; ON CONFLICT DO NOTHING is spelled by each dialect's own insert().
    raise StorageError(f"backfill writes to SQLite or PostgreSQL, not {dialect}")


def known_urls(session: Session, urls: Sequence[str]) -> set[str]:
    """Which of these canonical or original URLs are stored already, or belong to an unpublished article (its
    tombstone keeps a backfill from storing it again: skipped, like a stored one)."""
    wanted = list(dict.fromkeys(urls))
    return article_store.known_urls(session, wanted) | tombstone_store.barred_urls(session, wanted)


def ensure_sources(session: Session, names: Sequence[str]) -> dict[str, int]:
    """The id of the source called each name, creating the missing ones (safe against a concurrent writer)."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    found = {
        row[0]: row[1]
        for row in session.execute(select(Source.name, Source.id).where(Source.name.in_(wanted)))
    }
    missing = [n for n in wanted if n not in found]
    if missing:
        taken = set(
            session.scalars(select(Source.slug).where(Source.slug.in_([source_slug(n) for n in missing])))
        )
        rows = []
        for name in missing:
            slug = source_slug(name)
            if slug in taken:
                slug = f"{slug}-{zlib.crc32(name.encode()) % 10_000}"
            taken.add(slug)
            rows.append({"name": name, "slug": slug, "republish_full_text": False})
        session.execute(_insert(session, Source).on_conflict_do_nothing(), rows)
        found = {
            row[0]: row[1]
            for row in session.execute(select(Source.name, Source.id).where(Source.name.in_(wanted)))
        }
        for name in wanted:
            if name not in found:  # its slug belongs to another name: the careful path finds a free one
                found[name] = get_or_create_source(session, name).id
    return found


def _same_text_stored(session: Session, pairs: set[tuple[int | None, str]]) -> set[tuple[int | None, str]]:
    hashes = sorted({h for _, h in pairs if h})
    found: set[tuple[int | None, str]] = set()
    for i in range(0, len(hashes), CHUNK):
        stmt = select(Article.source_id, Article.content_hash).where(
            Article.content_hash.in_(hashes[i : i + CHUNK])
        )
        found.update((row[0], row[1]) for row in session.execute(stmt))
    return found & pairs


# The tables a backfill fills and reads back while it runs (slugs, URLs, hashes; places and brief sentences).
FILLED_TABLES = ("articles", "article_locales", "brief_sentences", "place_articles", "tombstones")


@dataclass
class Statistics:
    """Fresh planner statistics while a backfill fills PostgreSQL: ``ANALYZE`` of ``FILLED_TABLES`` each time
    the new articles have doubled since the last one (at 1,000, 2,000, 4,000 …), and once before the story pass.

    Autovacuum would do it after enough rows changed, but it may lag a bulk load or be off (as on the test
    servers here). Without statistics the planner took a table that grew from nothing in one run for a few dozen
    rows: at 72,000 articles of one day, the slug check scanned the day's rows, 90–470 ms a statement."""

    db: Database
    next_at: int = 1_000

    def grown(self, new_articles: int) -> None:
        if new_articles >= self.next_at:
            self.analyze()
            self.next_at = 2 * new_articles

    def analyze(self) -> None:
        if self.db.engine.dialect.name != "postgresql":
            return  # SQLite's planner works from the indexes alone unless told otherwise
        with self.db.engine.begin() as connection:
            connection.execute(text("ANALYZE " + ", ".join(FILLED_TABLES)))


def _held(session: Session, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (date path, slug) pairs among ``pairs`` that a stored article holds, or that an unpublished one
    held: its permalink keeps answering 410 Gone, so it is never handed to another article.

    Asked day by day (``date_path = :day AND slug IN (…)``: one index range of uq_articles_day_slug). A row
    list, ``(date_path, slug) IN ((…), …)``, is planned by PostgreSQL as a scan of the whole day with the pairs
    as a filter: 0.47 s a statement once a day held 72,000 articles."""
    by_day: dict[str, list[str]] = {}
    for date_path, slug in pairs:
        by_day.setdefault(date_path, []).append(slug)
    held: set[tuple[str, str]] = set()
    stone = tombstone_store.Tombstone
    for date_path, slugs in sorted(by_day.items()):
        for i in range(0, len(slugs), CHUNK):
            chunk = slugs[i : i + CHUNK]
            stmt = select(Article.slug).where(Article.date_path == date_path, Article.slug.in_(chunk))
            held.update((date_path, slug) for slug in session.scalars(stmt))
            gone = select(stone.slug).where(stone.date_path == date_path, stone.slug.in_(chunk))
            held.update((date_path, slug) for slug in session.scalars(gone) if slug)
    return held


def _free_slugs(session: Session, wanted: list[tuple[str, str]]) -> list[str]:
    """A slug for each (date path, title), unique per day among the stored articles and this batch: the title's
    own slug for the first article that finds it free, then ``slug-2``, ``slug-3`` … (the least free numbers,
    in the batch's order), as ``articles.save_article`` hands them out one by one."""
    bases = [
        (date_path, slugify(title, max_length=article_store.SLUG_MAX, word_boundary=True) or "article")
        for date_path, title in wanted
    ]
    taken = _held(session, sorted(set(bases)))
    # how many numbered slugs each title needs: one for every article after the one that takes the free base
    needs: dict[tuple[str, str], int] = {}
    numbered = []
    for key in bases:
        numbered.append(key in taken)
        if key in taken:
            needs[key] = needs.get(key, 0) + 1
        else:
            taken.add(key)  # the first article with this title takes it; it is no number of another title
    numbers = _free_numbers(session, needs, taken)
    slugs = []
    for key, number in zip(bases, numbered, strict=True):
        slugs.append(f"{key[1]}-{numbers[key].pop(0)}" if number else key[1])
    return slugs


def _free_numbers(
    session: Session, needs: dict[tuple[str, str], int], taken: set[tuple[str, str]]
) -> dict[tuple[str, str], list[int]]:
    """For each (date path, base) the ``needs[key]`` least numbers n ≥ 2 whose ``base-n`` is free that day (and
    not in ``taken``). A title the desk has stored k times that day — a wire story many publishers carry —
    costs the batch a few statements in all, each asking for the next block of numbers of every such title at
    once, not a statement per number taken."""
    found: dict[tuple[str, str], list[int]] = {key: [] for key in needs}
    start = dict.fromkeys(needs, 2)
    width = {key: max(article_store.NUMBERED_FIRST, 2 * count) for key, count in needs.items()}
    pending = sorted(needs)
    while pending:
        names = [
            (key[0], f"{key[1]}-{n}") for key in pending for n in range(start[key], start[key] + width[key])
        ]
        held = _held(session, names)
        still = []
        for key in pending:
            date_path, base = key
            for n in range(start[key], start[key] + width[key]):
                if (date_path, f"{base}-{n}") not in held and (date_path, f"{base}-{n}") not in taken:
                    found[key].append(n)
                    if len(found[key]) == needs[key]:
                        break
            else:
                start[key] += width[key]
                width[key] = min(width[key] * 2, article_store.NUMBERED_MOST)
                still.append(key)
        pending = still
    return found


SLUG_LOCK_CLASS = 0x677A5344  # "gzSD": PostgreSQL advisory locks (class, day) that serialize a day's slugs


def _lock_days(session: Session, date_paths: set[str]) -> None:
    """Until this transaction ends, hold each of these days' slug lock (PostgreSQL; SQLite has one writer).

    Two backfill workers storing the same title on the same day would otherwise both read ``slug-37`` free and
    both write it: the second waits for the first to commit, fails, and writes its whole batch again one article
    at a time. With 100,000 articles a day and wire titles repeated, that was most batches of a 2-worker run.
    Taken in day order (no two batches wait for each other), outside the batch's savepoint, whose rollback would
    release it."""
    if not date_paths or session.get_bind().dialect.name != "postgresql":
        return
    for date_path in sorted(date_paths):
        key = zlib.crc32(date_path.encode()) - 2**31  # a signed 32-bit int, as pg_advisory_xact_lock takes
        session.execute(text("SELECT pg_advisory_xact_lock(:c, :k)"), {"c": SLUG_LOCK_CLASS, "k": key})


def store_batch(session: Session, batch: Sequence[tuple[models.Article, int | None]]) -> BatchResult:
    """Write (article, source id) pairs: new ones are inserted, stored URLs and same-source copies are not."""
    result = BatchResult()
    days = [_day_of(article) for article, _ in batch]
    _lock_days(session, set(days))
    try:
        with session.begin_nested():
            _store_batch(session, batch, days, result)
    except IntegrityError as exc:
        logger.info(
            "batch of %d hit a constraint (%s); writing it one article at a time", len(batch), exc.orig
        )
        result = BatchResult()
        for article, source_id in batch:
            _store_one(session, article, source_id, result)
    return result


def _day_of(article: models.Article) -> str:
    """The day path of the article's permalink: its publication day, else its fetch day (UTC)."""
    fetched = article.fetched_at or article.published_at
    if fetched is None:
        raise StorageError(f"a backfilled article needs a publication or fetch time: {article.url}")
    return article_store.date_path_for(article.published_at, fetched)


def _store_batch(
    session: Session,
    batch: Sequence[tuple[models.Article, int | None]],
    days: Sequence[str],
    result: BatchResult,
) -> None:
    known = known_urls(session, [a.canonical_url for a, _ in batch] + [a.url for a, _ in batch])
    same_text = _same_text_stored(session, {(s, a.content_hash) for a, s in batch})
    unpublished = tombstone_store.barred_pairs(session, [(s, a.content_hash) for a, s in batch])
    todo: list[tuple[models.Article, int | None]] = []
    paths: list[str] = []  # each todo article's day
    seen_urls: set[str] = set()
    for (article, source_id), day in zip(batch, days, strict=True):
        if (
            article.canonical_url in known
            or article.url in known
            or article.canonical_url in seen_urls
            or (source_id, article.content_hash) in unpublished
        ):
            result.outcomes[article.url] = Outcome.SKIPPED
        elif (source_id, article.content_hash) in same_text:
            result.outcomes[article.url] = Outcome.DUPLICATE
        else:
            todo.append((article, source_id))
            paths.append(day)
            same_text.add((source_id, article.content_hash))
        seen_urls.add(article.canonical_url)
    if not todo:
        return
    slugs = _free_slugs(session, [(p, a.title) for p, (a, _) in zip(paths, todo, strict=True)])
    rows = [
        article_store.new_article_values(
            a, source_id=s, feed_id=None, fetched_at=a.fetched_at, date_path=p, slug=slug
        )
        for (a, s), p, slug in zip(todo, paths, slugs, strict=True)
    ]
    # Inserted in the order of the unique keys, so that two workers' batches that hold a key in common (the same
    # title on the same day makes the same slug) wait for each other in one order and cannot deadlock on it.
    rows.sort(key=lambda row: (row["date_path"], row["slug"], row["canonical_url"]))
    stmt = (
        _insert(session, Article)
        .on_conflict_do_nothing(index_elements=["canonical_url"])
        .returning(Article.id, Article.canonical_url)
    )
    inserted = {row[1]: row[0] for row in session.execute(stmt, rows)}
    locale_rows: list[dict[str, Any]] = []
    brief_rows: list[dict[str, Any]] = []
    for article, _ in todo:
        article_id = inserted.get(article.canonical_url)
        if article_id is None:  # another worker stored this URL a moment ago
            result.outcomes[article.url] = Outcome.SKIPPED
            continue
        result.outcomes[article.url] = Outcome.NEW
        result.new_ids.append(article_id)
        locales, brief = article_store.enrichment_rows(article_id, article)
        locale_rows.extend(locales)
        brief_rows.extend(brief)
    if locale_rows:
        session.execute(_insert(session, ArticleLocale), locale_rows)
    if brief_rows:
        session.execute(_insert(session, BriefSentenceRow), brief_rows)


def _store_one(session: Session, article: models.Article, source_id: int | None, result: BatchResult) -> None:
    if known_urls(session, [article.canonical_url, article.url]) or tombstone_store.barred_pairs(
        session, [(source_id, article.content_hash)]
    ):
        result.outcomes[article.url] = Outcome.SKIPPED
        return
    if _same_text_stored(session, {(source_id, article.content_hash)}):
        result.outcomes[article.url] = Outcome.DUPLICATE
        return
    try:
        with session.begin_nested():
            row, _ = article_store.save_article(session, article, source_id=source_id, feed_id=None)
    except IntegrityError:
        result.outcomes[article.url] = Outcome.SKIPPED  # stored by another worker in between
        return
    result.outcomes[article.url] = Outcome.NEW
    result.new_ids.append(row.id)


def _in_a_story() -> Any:
    """Whether the article has a story: EXISTS on uq_article_stories_article. (``id NOT IN (SELECT article_id
    …)`` cannot be an anti-join in PostgreSQL, since NOT IN must heed NULLs: it was planned as a scan of the
    whole membership table per article, and the 100,000-article story pass slowed from 150 to 80 articles/s
    as the table grew.)"""
    return exists().where(ArticleStory.article_id == Article.id)


def unassigned_articles(session: Session) -> list[int]:
    """Articles not yet in a story, oldest first (by date, then id): the backfill's story pass order."""
    stmt = select(Article.id).where(~_in_a_story()).order_by(ARTICLE_TIME, Article.id)
    return list(session.scalars(stmt))


def story_texts(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str, str | None]]:
    """(title, text, language) of these articles by id: what their story features and fingerprints are made
    from, read by a backfill worker that makes them for the client's story pass."""
    found: dict[int, tuple[str, str, str | None]] = {}
    for i in range(0, len(ids), CHUNK):
        stmt = select(Article.id, Article.title, Article.text, Article.language).where(
            Article.id.in_(list(ids[i : i + CHUNK]))
        )
        found.update((row[0], (row[1], row[2], row[3])) for row in session.execute(stmt))
    return found


def duplicate_ids(session: Session, ids: Sequence[int]) -> set[int]:
    """Which of these articles are near-copies of an earlier one."""
    found: set[int] = set()
    ids = list(ids)
    for i in range(0, len(ids), CHUNK):
        found.update(
            session.scalars(select(Duplicate.article_id).where(Duplicate.article_id.in_(ids[i : i + CHUNK])))
        )
    return found


def articles_by_ids(session: Session, ids: Sequence[int], *, unassigned: bool = False) -> dict[int, Article]:
    """These articles by id; with ``unassigned``, only those in no story, for the story pass (which never
    reads their HTML, so it is left in the database)."""
    stmt = select(Article).where(Article.id.in_(list(ids)))
    if unassigned:
        stmt = stmt.where(~_in_a_story()).options(defer(Article.html))
    return {a.id: a for a in session.scalars(stmt)}
