"""Store: copying a whole desk to another database (SQLite ↔ PostgreSQL), checked row by row at the end.

1. The source is brought to the newest schema; the target must hold no articles, and gets the same schema from
   the Alembic migrations (so its search index, triggers and generated columns are its own dialect's).
2. Every table the source holds (reflected, so tables added by later migrations come along) is copied in
   foreign-key order, ids kept, in chunks; PostgreSQL sequences are then moved past the highest id.
   The search index is each database's own (an FTS5 table on SQLite, ``articles.search_vector`` on
   PostgreSQL): it is never copied but written anew in the target from the copied articles.
   ``article_counts`` is kept by triggers (migration 0008), which count the rows as they are copied; the
   target's counts are then replaced by the source's rows, copied last, so that they are neither counted twice
   nor renumbered (their change versions stay those the source's readers saw). ``place_articles`` (migration
   0014) is kept by triggers too and is likewise replaced by the source's rows, copied last.
3. The copy is checked: the row count of every table, and a SHA-256 of every article's stored fields.

Dates are handed over as UTC: SQLite keeps them without a zone, PostgreSQL with one.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, MetaData, Table, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from gazette.errors import CopyRefused, StorageError
from gazette.store.db import make_engine, migrate, storage_error
from gazette.store.search import rebuild_index

logger = logging.getLogger(__name__)

CHUNK = 1000
# Tables a database keeps for itself, never copied: the migration version, SQLite's own tables, and SQLite's
# full-text index with its FTS5 shadow tables (``articles_search_data`` ...; writing those directly corrupts
# the index), which is rebuilt in the target instead. ``articles_fts`` is migration 0002's index.
_OWN_TABLES = ("alembic_version", "articles_fts", "articles_search", "sqlite_")
# Columns written from other columns, rebuilt in the target rather than copied: PostgreSQL's search vector.
_DERIVED_COLUMNS = {"articles": frozenset({"search_vector"})}
# Tables kept by triggers on the others: copied after them, over whatever the triggers wrote meanwhile.
_COPIED_LAST = ("article_counts", "place_articles")
# Migration 0008 indexes expressions (coalesce(published_at, fetched_at)), which reflection skips with this
# warning; the copy needs only the tables' columns, and the target builds its own indexes from the migrations.
_EXPRESSION_INDEX_WARNING = "Skipped unsupported reflection of expression-based index"
ARTICLE_FIELDS = (
    "id",
    "canonical_url",
    "original_url",
    "source_id",
    "title",
    "author",
    "language",
    "published_at",
    "fetched_at",
    "text",
    "html",
    "content_hash",
    "section",
    "slug",
    "date_path",
)

Progress = Callable[[str, int, int], None]  # (table, rows copied so far, rows in the table)


@dataclass
class CopyReport:
    tables: dict[str, int] = field(default_factory=dict)  # rows copied per table
    articles_checked: int = 0


def masked(url: str) -> str:
    """The URL as it may be printed: any password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: show only its scheme
        return url.split("://", 1)[0] + "://…"


def _copied_tables(metadata: MetaData) -> list[Table]:
    """The tables to copy, in the order to copy them: foreign-key order, trigger-kept tables last."""
    tables = [t for t in metadata.sorted_tables if not t.name.startswith(_OWN_TABLES)]
    return [t for t in tables if t.name not in _COPIED_LAST] + [t for t in tables if t.name in _COPIED_LAST]


def _reflect(metadata: MetaData, engine: Engine) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_EXPRESSION_INDEX_WARNING)
        metadata.reflect(engine)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Table(table, MetaData()))).scalar() or 0)


def _to_target(value: Any, dialect: str) -> Any:
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect == "sqlite" else value
    return value


def _rows(engine: Engine, table: Table, columns: list[str]) -> Iterator[list[dict[str, Any]]]:
    order = list(table.primary_key.columns) or [table.c[columns[0]]]
    stmt = select(*(table.c[c] for c in columns)).order_by(*order)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(stmt)
        for part in result.partitions(CHUNK):
            yield [dict(zip(columns, row, strict=True)) for row in part]


def article_digests(engine: Engine) -> Iterator[tuple[int, str]]:
    """(id, SHA-256 of the stored fields) of every article, by id — the same on any backend for the same row."""
    metadata = MetaData()
    with warnings.catch_warnings():  # see _EXPRESSION_INDEX_WARNING
        warnings.filterwarnings("ignore", message=_EXPRESSION_INDEX_WARNING)
        articles = Table("articles", metadata, autoload_with=engine)
    stmt = select(*(articles.c[c] for c in ARTICLE_FIELDS)).order_by(articles.c.id)
    with engine.connect() as conn:
        for row in conn.execution_options(stream_results=True, yield_per=CHUNK).execute(stmt):
            digest = hashlib.sha256()
            for value in row:
                if isinstance(value, datetime):
                    value = _to_target(value, "postgresql").isoformat()
                digest.update(repr(value).encode("utf-8"))
                digest.update(b"\x1f")
            yield int(row[0]), digest.hexdigest()


def preflight(source_url: str, target_url: str) -> None:
    """Refuse a copy that must not start — same database, unreachable, no desk, or a target holding articles —
    before anything is written."""
    if make_url(source_url) == make_url(target_url):
        raise CopyRefused("the target is the source database")
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        _preflight(source, target)
    finally:
        source.dispose()
        target.dispose()


def _preflight(source: Engine, target: Engine) -> None:
    for engine in (source, target):
        try:
            with engine.connect():
                pass
        except SQLAlchemyError as exc:
            raise storage_error(exc, f"cannot connect to {masked(str(engine.url))}") from exc
    try:
        if not inspect(source).has_table("articles"):
            raise CopyRefused(f"{masked(str(source.url))} holds no Gazette desk")
        if inspect(target).has_table("articles") and _count(target, "articles"):
            raise CopyRefused(
                f"{masked(str(target.url))} already holds articles; copy into an empty database"
            )
    except SQLAlchemyError as exc:
        raise storage_error(exc) from exc


def copy_database(source_url: str, target_url: str, *, on_progress: Progress | None = None) -> CopyReport:
    """Copy every table of the desk at ``source_url`` into the empty database at ``target_url``, then check it."""
    if make_url(source_url) == make_url(target_url):
        raise CopyRefused("the target is the source database")
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        _preflight(source, target)
        return _copy(source, target, on_progress or (lambda table, done, total: None))
    except SQLAlchemyError as exc:
        raise storage_error(exc) from exc
    finally:
        source.dispose()
        target.dispose()


def _copy(source: Engine, target: Engine, progress: Progress) -> CopyReport:
    for engine in (source, target):
        migrate(engine, failure=f"cannot create the schema in {masked(str(engine.url))}")
    src_meta, tgt_meta = MetaData(), MetaData()
    _reflect(src_meta, source)
    _reflect(tgt_meta, target)
    dialect = target.dialect.name
    report = CopyReport()
    tables = [t for t in _copied_tables(src_meta) if t.name in tgt_meta.tables]
    for table in _copied_tables(src_meta):
        if table.name not in tgt_meta.tables:
            logger.warning("table %s has no counterpart in the target; not copied", table.name)
    with target.begin() as conn:
        # The target's migrations seed rows (story_index_state's, article_counts' "all" and "sources"): gone,
        # the source's take their place. The counts stay until they are copied: their triggers update them.
        for table in reversed(tables):
            if table.name not in _COPIED_LAST:
                conn.execute(tgt_meta.tables[table.name].delete())
    for table in tables:
        target_table = tgt_meta.tables[table.name]
        derived = _DERIVED_COLUMNS.get(table.name, frozenset())
        columns = [
            c.name
            for c in table.columns
            if c.name in target_table.c and target_table.c[c.name].computed is None and c.name not in derived
        ]
        total = _count(source, table.name)
        done = 0
        progress(table.name, 0, total)
        with target.begin() as conn:
            if table.name in _COPIED_LAST:  # what the triggers counted while the other tables were copied
                conn.execute(target_table.delete())
            for chunk in _rows(source, table, columns):
                conn.execute(
                    target_table.insert(),
                    [{k: _to_target(v, dialect) for k, v in row.items()} for row in chunk],
                )
                done += len(chunk)
                progress(table.name, done, total)
        report.tables[table.name] = done
        if table.name == "articles":
            with target.begin() as conn:
                rebuild_index(conn)
    if dialect == "postgresql":
        _move_sequences(target, tables)
    _check(source, target, report)
    return report


def _move_sequences(target: Engine, tables: list[Table]) -> None:
    """Copied ids were given explicitly, so each id sequence must start after the highest one."""
    with target.begin() as conn:
        for table in tables:
            pk = list(table.primary_key.columns)
            if len(pk) != 1 or pk[0].name != "id":
                continue
            sequence = conn.execute(
                text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
            ).scalar()
            if sequence:
                conn.execute(
                    text(f'SELECT setval(:s, coalesce((SELECT max(id) FROM "{table.name}"), 0) + 1, false)'),
                    {"s": sequence},
                )


def _check(source: Engine, target: Engine, report: CopyReport) -> None:
    for name, copied in report.tables.items():
        if _count(source, name) != copied or _count(target, name) != copied:
            raise StorageError(
                f"copy check failed: table {name} has {_count(target, name)} rows, not {copied}"
            )
    checked = 0
    for left, right in zip(article_digests(source), article_digests(target), strict=False):
        if left != right:
            raise StorageError(f"copy check failed: article {left[0]} differs in the target")
        checked += 1
    if checked != report.tables.get("articles", 0):
        raise StorageError("copy check failed: the target does not hold every article")
    report.articles_checked = checked
