"""Store: full-text search — the index written in each article's own transaction, and ranked queries over it.

The index (migration 0006) is an FTS5 table ``articles_search`` on SQLite and a ``tsvector`` column
``articles.search_vector`` with a GIN index on PostgreSQL. Both hold the terms ``store.textindex`` computes,
written by the mapper events below in the same flush, on the same connection, as the article row: a
transaction that stores an article stores its index entry, and one rolled back (or killed) stores neither.
Deleting an article drops its entry (a trigger on SQLite; the column goes with the row on PostgreSQL).

A query matches articles holding every word (``OR`` groups and phrases as the reader wrote them, ``-word``
excluded). When fewer than ``RELAX_BELOW`` articles hold them all, articles holding only some of the words
follow, marked ``partial``: those with any of the query's distinctive words (each matching fewer than
``COMMON_MATCHES`` articles, counted identically on both databases), so that the list stays short and cheap
to rank at any archive size. Ranking is BM25 on SQLite (FTS5's ``bm25()``) and ``ts_rank`` over the stored
vector on PostgreSQL, titles weighted above text, times a mild preference for recent articles; ties go to
the newer article. The result set is the same on both databases; the order may differ.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Float,
    Integer,
    Select,
    bindparam,
    case,
    cast,
    event,
    extract,
    false,
    func,
    inspect,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Mapper, Session, selectinload

from gazette.store import textindex
from gazette.store.schema import Article

logger = logging.getLogger(__name__)

SQLITE_TABLE = "articles_search"
PG_COLUMN = "articles.search_vector"
# Fewer matches than this for every word, and articles with some of the words follow them: a reader who
# types a long query still gets a page of results.
RELAX_BELOW = 10
# Only the query's distinctive words (clauses) take part in that second list: a clause matching this many
# articles or more ("city", "said") says little about which story is meant, and an OR over it would rank a
# large part of the archive. The count stops at this cap, so deciding costs at most this many index rows.
COMMON_MATCHES = 250
TITLE_WEIGHT = 3.0  # FTS5 bm25() column weight of the title against the text's 1.0
PG_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # ts_rank weights of D, C, B (text), A (title)
# ts_rank (term frequency, divided by 1 + log of the length: normalization 1) rather than ts_rank_cd (cover
# density): on bench/search.py's Multi-News queries, MRR@10 0.693 / recall@10 0.702 against 0.508 / 0.624
# (measured 2026-12-06); cover density rewards words close together, which a reader's words seldom are.
PG_NORMALIZATION = 1
# Recency: the relevance is multiplied by 1 + BOOST * HALF / (HALF + age in days), so a story of today
# counts 1.25 times, one a month old 1.125 times and one a year old 1.02 times its relevance.
RECENCY_BOOST = 0.25
RECENCY_HALF_DAYS = 30.0
_SORT_KEY = func.coalesce(Article.published_at, Article.fetched_at)
_INDEXED = ("title", "text", "language")


@dataclass
class SearchHit:
    article: Article
    snippet_html: str  # escaped text with <mark> around matches
    rank: float
    partial: bool = False  # holds only some of the query's words


# --- writing the index -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedEntry:
    """An article's index terms analysed before it is stored (in an ingest worker), with what they were
    analysed from: used only while the row still has that title, text and language."""

    title: str
    text: str
    language: str | None
    document: textindex.Document

    def matches(self, title: str, body: str, language: str | None) -> bool:
        return self.language == language and self.title == title and self.text == body


def prepare_entry(title: str, text: str, language: str | None) -> PreparedEntry:
    """The index terms of an article about to be stored (pure: no database)."""
    return PreparedEntry(title, text, language, textindex.analyse_article(title, text, language))


# Rows about to be written, with their prepared entries (gone with the row object).
_PREPARED: weakref.WeakKeyDictionary[Article, PreparedEntry] = weakref.WeakKeyDictionary()


def use_prepared_entry(row: Article, entry: PreparedEntry | None) -> None:
    """Index ``row`` from ``entry`` when it is next written, if it still has the text the entry was made from."""
    if entry is not None:
        _PREPARED[row] = entry


def write_entries(
    connection: Connection,
    rows: Iterable[tuple[int, str, str, str | None]],
    prepared: PreparedEntry | None = None,
    *,
    new: bool = False,
) -> int:
    """(Re)write the index entries of (id, title, text, language) rows on ``connection``; returns the count.
    A ``prepared`` entry made from a row's title, text and language is used instead of analysing it again.
    ``new``: rows just inserted, which have no entry but where a stray one is left under their id (SQLite
    hands out a deleted row's id again): written in one statement that replaces such an entry."""
    sqlite = connection.dialect.name == "sqlite"
    params: list[dict[str, Any]] = []
    ids: list[dict[str, Any]] = []
    for article_id, title, body, language in rows:
        if prepared is not None and prepared.matches(title, body, language):
            doc = prepared.document
        else:
            doc = textindex.analyse_article(title, body, language)
        if sqlite:
            head, rest = doc.fts_columns()
            params.append({"id": article_id, "title": head, "body": rest})
            ids.append({"id": article_id})
        else:
            params.append({"id": article_id, "vector": doc.tsvector()})
    if not params:
        return 0
    if sqlite and new:
        connection.execute(_SQLITE_INSERT_NEW, params)
    elif sqlite:
        connection.execute(_SQLITE_DELETE, ids)
        connection.execute(_SQLITE_INSERT, params)
    else:
        connection.execute(_PG_UPDATE, params)
    return len(params)


_SQLITE_DELETE = text(f"DELETE FROM {SQLITE_TABLE} WHERE rowid = :id")
_SQLITE_INSERT = text(f"INSERT INTO {SQLITE_TABLE} (rowid, title, body) VALUES (:id, :title, :body)")
_SQLITE_INSERT_NEW = text(
    f"INSERT OR REPLACE INTO {SQLITE_TABLE} (rowid, title, body) VALUES (:id, :title, :body)"
)
_PG_UPDATE = text("UPDATE articles SET search_vector = CAST(:vector AS tsvector) WHERE id = :id")


def rebuild_index(connection: Connection, batch: int = 500) -> int:
    """Write the index entry of every stored article (migration 0006 and a changed analyser call this)."""
    done, last = 0, 0
    while True:
        rows = connection.execute(
            text("SELECT id, title, text, language FROM articles WHERE id > :last ORDER BY id LIMIT :batch"),
            {"last": last, "batch": batch},
        ).all()
        if not rows:
            return done
        done += write_entries(connection, [(r[0], r[1] or "", r[2] or "", r[3]) for r in rows])
        last = rows[-1][0]


def unindexed_articles(session: Session) -> list[int]:
    """Ids of articles whose index entry is missing, and of entries whose article is gone (both empty when
    the index and the articles agree)."""
    if session.get_bind().dialect.name == "sqlite":
        missing = session.scalars(
            text(f"SELECT id FROM articles WHERE id NOT IN (SELECT rowid FROM {SQLITE_TABLE})")
        ).all()
        stray = session.scalars(
            text(f"SELECT rowid FROM {SQLITE_TABLE} WHERE rowid NOT IN (SELECT id FROM articles)")
        ).all()
        return sorted([*missing, *stray])
    return list(session.scalars(text("SELECT id FROM articles WHERE search_vector IS NULL ORDER BY id")))


@event.listens_for(Article, "after_insert")
def _index_inserted(_mapper: Mapper[Article], connection: Connection, target: Article) -> None:
    write_entries(
        connection,
        [(target.id, target.title or "", target.text or "", target.language)],
        _PREPARED.pop(target, None),
    )


@event.listens_for(Article, "after_update")
def _index_updated(_mapper: Mapper[Article], connection: Connection, target: Article) -> None:
    state = inspect(target)
    prepared = _PREPARED.pop(target, None)
    if any(state.attrs[name].history.has_changes() for name in _INDEXED):
        write_entries(
            connection, [(target.id, target.title or "", target.text or "", target.language)], prepared
        )


# --- querying ------------------------------------------------------------------------------------------------


class _Backend:
    """The dialect-specific pieces of a search: which rows match a query, and how relevant each is."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"

    def matching(self, query: textindex.Query) -> Any:
        """A selectable of matching article ids (column ``rowid``)."""
        if self.sqlite:
            return (
                text(f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH :m")
                .bindparams(bindparam("m", textindex.fts_match(query), unique=True))
                .columns(rowid=Integer)
            )
        vector: Any = literal_column(PG_COLUMN)
        return select(Article.id.label("rowid")).where(vector.op("@@")(self._tsquery(query)))

    def ranked(self, query: textindex.Query) -> tuple[Select[Any], Any]:
        """A select of (Article, relevance) over the matching articles, and its relevance column."""
        if self.sqlite:
            fts = (
                text(
                    f"SELECT rowid AS rowid, bm25({SQLITE_TABLE}, :tw, 1.0) AS bm FROM {SQLITE_TABLE} "
                    f"WHERE {SQLITE_TABLE} MATCH :rm"
                )
                .bindparams(rm=textindex.fts_match(query), tw=TITLE_WEIGHT)
                .columns(rowid=Integer, bm=Float)
                .subquery("fts")
            )
            relevance: Any = -fts.c.bm
            return select(Article, relevance).join(fts, fts.c.rowid == Article.id), relevance
        vector: Any = literal_column(PG_COLUMN)
        tsq = self._tsquery(query)
        weights: Any = literal_column(f"'{PG_WEIGHTS}'::float4[]")
        relevance = func.ts_rank(weights, vector, tsq, PG_NORMALIZATION)
        return select(Article, relevance).where(vector.op("@@")(tsq)), relevance

    def capped_counts(self, connection: Any, groups: list[list[textindex.Clause]], cap: int) -> list[int]:
        """How many articles match each group (its clauses joined by OR), counting no further than ``cap``;
        one statement for all the groups."""
        parts: list[str] = []
        params: dict[str, Any] = {"cap": cap}
        for i, group in enumerate(groups):
            one = textindex.Query([group])
            if self.sqlite:
                parts.append(
                    f"(SELECT count(*) FROM (SELECT rowid FROM {SQLITE_TABLE} "
                    f"WHERE {SQLITE_TABLE} MATCH :q{i} LIMIT :cap))"
                )
                params[f"q{i}"] = textindex.fts_match(one)
            else:
                parts.append(
                    "(SELECT count(*) FROM (SELECT 1 FROM articles "
                    f"WHERE search_vector @@ CAST(:q{i} AS tsquery) LIMIT :cap) AS capped{i})"
                )
                params[f"q{i}"] = textindex.tsquery(one)
        row = connection.execute(text("SELECT " + ", ".join(parts)), params).one()
        return [int(n) for n in row]

    def age_days(self, now: datetime) -> Any:
        if self.sqlite:
            stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            return func.julianday(literal(stamp)) - func.julianday(_SORT_KEY)
        return extract("epoch", bindparam("now", now, type_=DateTime(timezone=True)) - _SORT_KEY) / 86400.0

    @staticmethod
    def _tsquery(query: textindex.Query) -> Any:
        return cast(literal(textindex.tsquery(query)), TSQUERY)


def _relaxed(session: Session, backend: _Backend, query: textindex.Query) -> textindex.Query | None:
    """The query for articles with some of the words: any clause of its distinctive groups (exclusions kept);
    None when the query has one group only or no distinctive group.

    A group (a word, a phrase, or words joined by OR) is distinctive when it matches fewer than
    COMMON_MATCHES articles. Every full match holds a clause of each group, so it is in this set too."""
    if not query.is_relaxable:
        return None
    counts = backend.capped_counts(session.connection(), query.groups, COMMON_MATCHES)
    rare = [
        clause
        for group, n in zip(query.groups, counts, strict=True)
        if n < COMMON_MATCHES
        for clause in group
    ]
    if not rare:
        return None
    return textindex.Query([rare], list(query.excluded))


def article_matches(session: Session, query: str, flt: Any, article_id: int) -> bool:
    """Whether the stored article ``article_id`` is a full match of ``query`` (every word, as ``/search``
    ranks first) within the listing filter ``flt`` — a topic watch's test, run in the article's own
    transaction after its index entry is written. Partial matches (some of the words) never count."""
    parsed = textindex.parse_query(query)
    if not parsed:
        return False
    backend = _Backend(session.get_bind().dialect.name)
    stmt = select(Article.id).where(Article.id == article_id, Article.id.in_(backend.matching(parsed)))
    if flt is not None:
        stmt = flt.apply(stmt)
    return session.scalar(stmt) is not None


def _count(session: Session, stmt: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def search_articles(
    session: Session,
    query: str,
    flt: Any = None,
    *,
    limit: int = 20,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[SearchHit], int]:
    """Ranked full-text search with the listing filter ``flt`` (a ``listings.ArticleFilter``); (hits, total).

    The reader's text never reaches the database as syntax: it is parsed here and only index terms, quoted,
    go into the MATCH expression or the tsquery, so no query is an error.
    """
    parsed = textindex.parse_query(query)
    if not parsed:
        return [], 0
    backend = _Backend(session.get_bind().dialect.name)

    def filtered(stmt: Select[Any]) -> Select[Any]:
        return flt.apply(stmt) if flt is not None else stmt

    strict_ids = backend.matching(parsed)
    strict_total = _count(session, filtered(select(Article.id).where(Article.id.in_(strict_ids))))
    relaxed = _relaxed(session, backend, parsed) if strict_total < RELAX_BELOW else None
    relax = relaxed is not None
    stmt, relevance = backend.ranked(relaxed if relaxed is not None else parsed)
    stmt = filtered(stmt)
    total = _count(session, stmt.with_only_columns(Article.id)) if relax else strict_total
    whole: Any = case((Article.id.in_(backend.matching(parsed)), True), else_=False) if relax else false()
    # Ages count from the start of today (UTC): the same query gives the same ranks, and ETags, all day.
    today = (now or datetime.now(UTC)).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    age = backend.age_days(today)
    recency = 1.0 + RECENCY_BOOST * RECENCY_HALF_DAYS / (RECENCY_HALF_DAYS + case((age > 0, age), else_=0.0))
    score = (relevance * recency).label("score")
    order = [whole.desc()] if relax else []
    page = (
        stmt.with_only_columns(Article, score, whole.label("whole"))
        .order_by(*order, score.desc(), _SORT_KEY.desc(), Article.id.desc())
        .limit(limit)
        .offset(offset)
        .options(selectinload(Article.source), selectinload(Article.locales), selectinload(Article.brief))
    )
    hits = []
    highlighter = textindex.Highlighter(parsed)
    for article, rank, all_words in session.execute(page):
        snippet = highlighter.snippet_html(article.text or "", article.language)
        hits.append(SearchHit(article, snippet, float(rank or 0.0), partial=relax and not all_words))
    return hits, total
