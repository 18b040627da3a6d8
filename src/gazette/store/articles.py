"""Store: articles — the idempotent upsert on the canonical URL, and single-article reads.

Only the canonical URL identifies an article for an update. The content hash finds a copy of an article the same
publisher stored under another URL (GUIDs and links rewritten), and such a copy is recorded as a duplicate, never
written over the stored row: a feed must not retitle or re-point an article it did not publish.
"""

from __future__ import annotations

import enum
import functools
import logging
import re
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import Table, and_, bindparam, exists, func, insert, null, or_, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from gazette import models
from gazette.store import corrections, search
from gazette.store.listings import article_by_path
from gazette.store.rows import persistent, title_slug
from gazette.store.schema import Article, ArticleLocale, BriefSentenceRow
from gazette.urls import canonicalize_url, is_http_url

logger = logging.getLogger(__name__)

SLUG_MAX = 80
_PERMALINK = re.compile(r"/content/([0-9]{4}/[0-9]{2}/[0-9]{2})/([^/]+)\.html")


class SaveResult(enum.StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"  # the same text stored by the same source under another URL; nothing written


def date_path_for(published_at: datetime | None, fetched_at: datetime) -> str:
    when = (published_at or fetched_at).astimezone(UTC)
    return when.strftime("%Y/%m/%d")


def _slug_of(title: str) -> str:
    return title_slug(title, SLUG_MAX) or "article"


@functools.cache
def _slug_check() -> Any:
    """(the article holding a slug that day, whether an unpublished article had it): one statement, built once."""
    from gazette.store.tombstones import Tombstone

    articles, tombstones = _ARTICLES, cast(Table, Tombstone.__table__)
    stored = (
        select(articles.c.id)
        .where(articles.c.date_path == bindparam("date_path"), articles.c.slug == bindparam("slug"))
        .limit(1)
    )
    buried = exists().where(
        tombstones.c.date_path == bindparam("date_path"), tombstones.c.slug == bindparam("slug")
    )
    return stored.scalar_subquery(), buried


def _slug_free(found: int | None, taken_down: bool, exclude_id: int | None) -> bool:
    return (found is None or found == exclude_id) and not taken_down


def _unique_slug(
    session: Session, date_path: str, title: str, exclude_id: int | None = None, *, base_taken: bool = False
) -> str:
    """A slug free that day: no stored article has it, and no unpublished one had it (its permalink keeps
    answering 410 Gone rather than showing another article). ``base_taken``: the title's own slug is known
    taken already (``_existing_or_same`` looked), so the tries start after it."""
    base = _slug_of(title)
    session.flush()  # what the query's autoflush wrote before
    connection = session.connection()
    if not base_taken:
        stored, buried = _slug_check()
        found, taken_down = connection.execute(
            select(stored, buried), {"date_path": date_path, "slug": base}
        ).one()
        if _slug_free(found, taken_down, exclude_id):
            return base
    return first_free_numbered(connection, date_path, base, exclude_id=exclude_id)


# Numbered slugs asked for in one statement, the first time; each further statement asks for twice as many.
NUMBERED_FIRST = 16
NUMBERED_MOST = 1024


@functools.cache
def _numbered_check() -> Any:
    """(slug, the article holding it or NULL for a tombstone) for the day's slugs among ``slugs``."""
    from gazette.store.tombstones import Tombstone

    articles, tombstones = _ARTICLES, cast(Table, Tombstone.__table__)
    wanted: Any = bindparam("slugs", expanding=True)
    held = select(articles.c.slug, articles.c.id).where(
        articles.c.date_path == bindparam("date_path"), articles.c.slug.in_(wanted)
    )
    buried = select(tombstones.c.slug, null()).where(
        tombstones.c.date_path == bindparam("date_path"), tombstones.c.slug.in_(wanted)
    )
    return held.union_all(buried)


def first_free_numbered(
    connection: Any,
    date_path: str,
    base: str,
    *,
    exclude_id: int | None = None,
) -> str:
    """``base-n`` for the least n ≥ 2 whose slug is free that day (as ``_unique_slug`` means it). A wire
    story syndicated by many publishers gives many articles one title on one day: the tries go in blocks, each
    an index lookup per slug inside one statement, so that the k-th copy costs a few statements rather than k
    (the backfill's batches do the same for all their titles at once: ``bulk._free_numbers``)."""
    stmt = _numbered_check()
    n, width = 2, NUMBERED_FIRST
    while True:
        names = [f"{base}-{i}" for i in range(n, n + width)]
        held: dict[str, list[int | None]] = {}
        for slug, article_id in connection.execute(stmt, {"date_path": date_path, "slugs": names}):
            held.setdefault(slug, []).append(article_id)
        for name in names:
            owners = held.get(name, ())
            if all(owner is not None and owner == exclude_id for owner in owners):
                return name
        n, width = n + width, min(width * 2, NUMBERED_MOST)


def find_existing(session: Session, article: models.Article) -> Article | None:
    """The stored row with this article's canonical URL (the only match that may update it)."""
    return session.scalar(select(Article).where(Article.canonical_url == article.canonical_url))


def _same_content(article: models.Article, *, source_id: int | None, feed_id: int | None) -> Any:
    """The condition ``find_same_content`` looks for, or None when there can be no such article."""
    if not article.content_hash or (source_id is None and feed_id is None):
        return None
    publisher = (
        Article.source_id == source_id
        if source_id is not None
        else and_(Article.source_id.is_(None), Article.feed_id == feed_id)
    )
    return and_(Article.content_hash == article.content_hash, publisher)


def find_same_content(
    session: Session, article: models.Article, *, source_id: int | None, feed_id: int | None
) -> Article | None:
    """A stored article with the same content hash from the same publisher: the same source, or, for a feed
    with no source, the same feed. A hash match never crosses publishers, and with neither known there is none."""
    same = _same_content(article, source_id=source_id, feed_id=feed_id)
    if same is None:
        return None
    return session.scalars(select(Article).where(same).order_by(Article.id).limit(1)).first()


_ARTICLES = cast(Table, Article.__table__)


@functools.cache
def _lookup(publisher: str | None) -> Any:
    """The statement of ``_existing_or_same``: the article stored under the canonical URL, the first the same
    publisher (``source``: by source id; ``feed``: a feed with no source) stored with the same text, and the
    answers of the slug check for the title's own slug — one row, built once per kind of publisher."""
    a = _ARTICLES
    url_id = select(a.c.id).where(a.c.canonical_url == bindparam("url")).scalar_subquery()
    stored, buried = _slug_check()
    if publisher is None:
        return select(url_id, null(), stored, buried)
    owner = (
        a.c.source_id == bindparam("source_id")
        if publisher == "source"
        else and_(a.c.source_id.is_(None), a.c.feed_id == bindparam("feed_id"))
    )
    same_id = (
        select(a.c.id)
        .where(a.c.content_hash == bindparam("content_hash"), owner)
        .order_by(a.c.id)
        .limit(1)
        .scalar_subquery()
    )
    return select(url_id, same_id, stored, buried)


def _existing_or_same(
    session: Session,
    article: models.Article,
    *,
    source_id: int | None,
    feed_id: int | None,
    date_path: str,
    slug: str,
) -> tuple[Article | None, Article | None, bool]:
    """``find_existing`` and, when it finds nothing, ``find_same_content``, with whether ``slug`` is free that
    day (``_unique_slug``'s first try), in one query; a row found is read whole by its id (none is read when
    the session holds it already)."""
    publisher = None
    if article.content_hash and (source_id is not None or feed_id is not None):
        publisher = "source" if source_id is not None else "feed"
    params: dict[str, Any] = {"url": article.canonical_url, "date_path": date_path, "slug": slug}
    if publisher is not None:
        params.update(content_hash=article.content_hash, source_id=source_id, feed_id=feed_id)
    session.flush()  # what the query's autoflush wrote before
    url_id, same_id, found, taken_down = session.connection().execute(_lookup(publisher), params).one()
    if url_id is not None:
        return session.get(Article, url_id), None, False
    if same_id is not None:
        return None, session.get(Article, same_id), False
    return None, None, _slug_free(found, taken_down, None)


def known_urls(session: Session, urls: list[str]) -> set[str]:
    """Which of these canonical or original URLs are stored already."""
    if not urls:
        return set()
    found: set[str] = set()
    for i in range(0, len(urls), 500):
        chunk = urls[i : i + 500]
        found.update(session.scalars(select(Article.canonical_url).where(Article.canonical_url.in_(chunk))))
        found.update(session.scalars(select(Article.original_url).where(Article.original_url.in_(chunk))))
    return found


def file_in_declared_section(session: Session, urls: list[str], slug: str) -> int:
    """Stored articles (by canonical or original URL) that a section-declaring feed lists again: its section
    replaces one the classifier chose, so the outcome does not depend on which feed was read first."""
    changed = 0
    for i in range(0, len(urls), 500):
        chunk = urls[i : i + 500]
        stmt = select(Article).where(
            (Article.canonical_url.in_(chunk)) | (Article.original_url.in_(chunk)),
            (Article.section_method.is_(None)) | (Article.section_method != "feed"),
        )
        for row in session.scalars(stmt):
            overrides = corrections.lift(session, row)
            if row.section_method == "feed" and row.section == slug:
                corrections.restore(session, row, overrides, places_rewritten=False)
                continue  # an editor's section over the same declared one: nothing to file
            row.section, row.section_confidence, row.section_method = slug, 1.0, "feed"
            corrections.restore(session, row, overrides, places_rewritten=False)
            changed += 1
    return changed


def enrichment_rows(
    article_id: int, article: models.Article
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An article's place rows and brief sentence rows, as values to insert (the same as ``_set_enrichment``
    puts on a row)."""
    locales = [
        {"article_id": article_id, "position": i, **loc.as_json()} for i, loc in enumerate(article.locales)
    ]
    brief = [
        {
            "article_id": article_id,
            "position": b.position,
            "text": b.text,
            "source_start": b.source_start,
            "source_end": b.source_end,
            "kind": b.kind,
            "check": b.check,
        }
        for b in article.brief
    ]
    return locales, brief


def new_article_values(
    article: models.Article,
    *,
    source_id: int | None,
    feed_id: int | None,
    fetched_at: datetime | None,
    date_path: str,
    slug: str,
) -> dict[str, Any]:
    """The columns of a new article row, for a plain INSERT (one article, or a batch's executemany)."""
    section = article.section
    return {
        "canonical_url": article.canonical_url,
        "original_url": article.url,
        "guid": article.guid,
        "source_id": source_id,
        "feed_id": feed_id,
        "title": article.title,
        "author": article.author,
        "site": article.site,
        "language": article.language,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "fetched_at": fetched_at,
        "text": article.text,
        "html": article.html or "",  # the column's default, which a plain INSERT does not apply
        "content_hash": article.content_hash,
        "section": section.slug if section is not None else None,
        "section_confidence": section.confidence if section is not None else None,
        "section_method": section.method if section is not None else None,
        "slug": slug,
        "date_path": date_path,
    }


def _insert_enrichment(
    session: Session, article_id: int, article: models.Article, *, brief_written: bool = False
) -> None:
    """A new row's places and brief (``brief_written``: inserted with the row already): one executemany each,
    where the ORM would insert them one by one to read each new id back (SQLite cannot return the ids of a
    many-row insert in order)."""
    locales, brief = enrichment_rows(article_id, article)
    # Core statements on the session's connection: every row has the same columns (a None is written as
    # NULL), so each goes in one executemany, without the ORM's bulk path around it
    connection = session.connection()
    if locales:
        connection.execute(_insert_of(ArticleLocale), locales)
    if brief and not brief_written:
        connection.execute(_insert_of(BriefSentenceRow), brief)


@functools.cache
def _insert_of(model: type[Any]) -> Any:
    return insert(cast(Table, model.__table__))


_INSERT_ARTICLE = insert(_ARTICLES).returning(_ARTICLES.c.id)
_BRIEF = cast(Table, BriefSentenceRow.__table__)
_BRIEF_COLUMNS = ("position", "text", "source_start", "source_end", "kind", "check")


@functools.cache
def _insert_with_brief(keys: tuple[str, ...]) -> Any:
    """PostgreSQL: the article row (columns ``keys``) and its brief sentences in one statement, a data-modifying
    WITH whose sentences come as one array per column (``brief_<column>``, unnested in order), returning the
    row's id: a round trip fewer. ``brief_sentences`` has no trigger, so the counts and versions the
    triggers keep move as with two statements."""
    a = _ARTICLES
    new = (
        insert(a)
        .values({k: bindparam(k, type_=a.c[k].type) for k in keys})
        .returning(a.c.id)
        .cte("new_article")
    )
    arrays = [bindparam(f"brief_{c}", type_=ARRAY(_BRIEF.c[c].type)) for c in _BRIEF_COLUMNS]
    rows = func.unnest(*arrays).table_valued(*_BRIEF_COLUMNS, with_ordinality="n").render_derived(name="b")
    fill = insert(_BRIEF).from_select(
        ["article_id", *_BRIEF_COLUMNS],
        select(new.c.id, *(rows.c[c] for c in _BRIEF_COLUMNS))
        .select_from(new.join(rows, true()))
        .order_by(rows.c.n),
    )
    return select(new.c.id).add_cte(fill.cte("new_brief"))


def _brief_arrays(article: models.Article) -> dict[str, list[Any]]:
    """The brief's sentences as ``_insert_with_brief`` takes them: one list per column, in order."""
    return {f"brief_{column}": [getattr(b, column) for b in article.brief] for column in _BRIEF_COLUMNS}


def _insert_new(
    session: Session,
    values: dict[str, Any],
    index_entry: search.PreparedEntry | None,
    article: models.Article,
) -> tuple[Article, bool]:
    """Insert a new article row and its search index entry as plain statements (what the ORM's flush and
    ``search``'s insert event write, without the unit of work around them), on PostgreSQL with its brief;
    return the row as the session's persistent object, and whether the brief was written."""
    connection = session.connection()
    with_brief = connection.dialect.name == "postgresql"
    if with_brief:
        stmt = _insert_with_brief(tuple(values))
        article_id = connection.execute(stmt, {**values, **_brief_arrays(article)}).scalar_one()
    else:
        article_id = connection.execute(_INSERT_ARTICLE, values).scalar_one()
    search.write_entries(
        connection,
        [(article_id, values["title"] or "", values["text"] or "", values["language"])],
        index_entry,
        new=True,
    )
    return persistent(session, Article, {"id": article_id, **values}), with_brief


def _set_section(row: Article, article: models.Article) -> None:
    if article.section is not None:
        row.section = article.section.slug
        row.section_confidence = article.section.confidence
        row.section_method = article.section.method


def _set_enrichment(row: Article, article: models.Article) -> None:
    _set_section(row, article)
    row.locales = [ArticleLocale(position=i, **loc.as_json()) for i, loc in enumerate(article.locales)]
    row.brief = [
        BriefSentenceRow(
            position=b.position,
            text=b.text,
            source_start=b.source_start,
            source_end=b.source_end,
            kind=b.kind,
            check=b.check,
        )
        for b in article.brief
    ]


def save_article(
    session: Session,
    article: models.Article,
    *,
    source_id: int | None,
    feed_id: int | None,
    now: datetime | None = None,
    index_entry: search.PreparedEntry | None = None,
) -> tuple[Article, SaveResult]:
    """Insert or update one article keyed on its canonical URL; nothing is ever stored twice.

    ``index_entry`` is the article's search index terms analysed beforehand (``search.prepare_entry``, in an
    ingest worker); the index is written from it when the row is written with that title and text.

    An article under a new URL whose text the same publisher already stored (``find_same_content``) is a
    ``DUPLICATE``: the stored row is returned untouched. The same text from another publisher is a new row
    (story assignment then links it to the earlier one as a copy).
    """
    now = now or datetime.now(UTC)
    fetched_at = article.fetched_at or now
    date_path = date_path_for(article.published_at, fetched_at)
    first_slug = _slug_of(article.title)
    row, same, slug_free = _existing_or_same(
        session, article, source_id=source_id, feed_id=feed_id, date_path=date_path, slug=first_slug
    )
    if row is None:
        if same is not None:
            logger.info(
                "%s has the text of stored article %s; recorded as a duplicate, nothing overwritten",
                article.canonical_url,
                same.id,
                extra={"article_id": same.id, "url": article.canonical_url},
            )
            return same, SaveResult.DUPLICATE
    if row is None:
        slug = first_slug if slug_free else _unique_slug(session, date_path, article.title, base_taken=True)
        values = new_article_values(
            article,
            source_id=source_id,
            feed_id=feed_id,
            fetched_at=fetched_at,
            date_path=date_path,
            slug=slug,
        )
        row, brief_written = _insert_new(session, values, index_entry, article)
        _insert_enrichment(session, row.id, article, brief_written=brief_written)
        return row, SaveResult.NEW
    # An editor's correction outlives the refresh: compared and updated as extracted, then put back on top.
    overrides = corrections.lift(session, row)
    result, rewritten = _refresh(row, article, fetched_at, now)
    corrections.restore(session, row, overrides, places_rewritten=rewritten)
    if result is SaveResult.UPDATED:
        search.use_prepared_entry(row, index_entry)
        session.flush()
    return row, result


def _refresh(
    row: Article, article: models.Article, fetched_at: datetime, now: datetime
) -> tuple[SaveResult, bool]:
    """Update a stored article from a fetched one (its extracted values on the row); the flag says whether its
    text and enrichment (places included) were written anew."""
    if row.content_hash == article.content_hash and row.title == article.title:
        declared = article.section
        if declared is not None and declared.method == "feed" and row.section_method != "feed":
            # A feed that declares its section outranks the classifier, whichever feed came first.
            row.section = declared.slug
            row.section_confidence = declared.confidence
            row.section_method = declared.method
            return SaveResult.UPDATED, False
        return SaveResult.UNCHANGED, False
    row.title = article.title
    row.text = article.text
    row.html = article.html
    row.author = article.author or row.author
    row.site = article.site or row.site
    row.language = article.language or row.language
    row.content_hash = article.content_hash
    row.fetched_at = fetched_at
    row.updated_at = article.updated_at or now
    if article.published_at and row.published_at is None:
        row.published_at = article.published_at
    _set_enrichment(row, article)
    return SaveResult.UPDATED, True


def get_article(session: Session, article_id: int) -> Article | None:
    return session.get(Article, article_id)


def get_article_by_path(session: Session, date_path: str, slug: str) -> Article | None:
    stmt = select(Article).where(Article.date_path == date_path, Article.slug == slug)
    return session.scalar(stmt)


def count_articles(session: Session) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count(Article.id))) or 0


def url_candidates(url: str) -> list[str]:
    """The stored URLs that ``url`` may be: as given, then canonicalized (when that reads it and differs)."""
    url = url.strip()
    found = [url]
    if is_http_url(url):
        try:
            canonical = canonicalize_url(url)
        except Exception:  # not a URL canonicalize_url can read: only the text as given is looked up
            logger.debug("cannot canonicalize %r", url)
        else:
            if canonical != url:
                found.append(canonical)
    return found


def permalink_of(url: str, base_url: str | None = None) -> tuple[str, str] | None:
    """(date path, slug) when ``url`` is a Gazette permalink: a path, or an absolute URL whose path (under
    ``base_url``'s path, when one is given) is ``/content/YYYY/MM/DD/<slug>.html``."""
    url = url.strip()
    path = urlsplit(url).path if "://" in url else url.split("?", 1)[0].split("#", 1)[0]
    prefix = urlsplit(base_url).path.rstrip("/") if base_url else ""
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    match = _PERMALINK.fullmatch(path)
    return (match.group(1), match.group(2)) if match else None


def find_by_url(session: Session, url: str, base_url: str | None = None) -> Article | None:
    """The article that ``url`` names — the one lookup of ``correct``, ``history``, ``unpublish`` …: its
    original or canonical URL (as given, then canonicalized), else Gazette's permalink (``permalink_of``)."""
    for candidate in url_candidates(url):
        found = session.scalars(
            select(Article)
            .where(or_(Article.canonical_url == candidate, Article.original_url == candidate))
            .order_by(Article.id)
            .limit(1)
        ).first()
        if found is not None:
            return found
    where = permalink_of(url, base_url)
    return article_by_path(session, *where) if where is not None else None
