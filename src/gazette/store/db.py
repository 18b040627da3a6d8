"""Store: engines, sessions and migrations — the only place that knows which database is behind the URL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker  # Session: publish/ names the type from here

from gazette.errors import StorageError, StorageRejected, StorageUnavailable

logger = logging.getLogger(__name__)

__all__ = [
    "Database",
    "Session",
    "migrate",
    "ping",
    "storage_error",
]  # Session: publish/ names the type from here

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Statement and savepoint journals in memory: storing one article (its row, index entry and places, each
    # statement journalled within the article's transaction) spilled them into a temporary file, made, read
    # and written ~110 times a page and unlinked again in every transaction (bench/pipeline.py's pages).
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the URL; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 10})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def alembic_config(engine: Engine | None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, *, failure: str = "migration failed") -> None:
    """Bring the schema to the newest Alembic revision; ``failure`` opens the one-line error if it cannot."""
    try:
        command.upgrade(alembic_config(engine), "head")
    except SQLAlchemyError as exc:
        raise storage_error(exc, failure) from exc
    except CommandError as exc:  # e.g. a revision this version does not know: the database is newer than us
        raise StorageError(f"{failure}: {exc}") from exc


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None: a database Gazette has never set up)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@cache
def head_revision() -> str | None:
    """The newest revision this version of Gazette knows."""
    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def describe_db_error(exc: SQLAlchemyError) -> str:
    """One line naming what the database said (e.g. "database is locked"), not SQLAlchemy's wrapper text."""
    orig = getattr(exc, "orig", None)
    said = str(orig) if orig is not None else str(exc)
    lines = [line.strip() for line in said.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def storage_error(exc: SQLAlchemyError, context: str = "") -> StorageError:
    """The one place a SQLAlchemy error becomes ours: ``StorageRejected`` when the row is bad (a constraint, a
    value the column cannot hold), ``StorageUnavailable`` when the database is (locked, full, unreachable, the
    connection dropped), plain ``StorageError`` for the rest (a bug in our SQL). Raise it ``from exc``."""
    message = describe_db_error(exc)
    if context:
        message = f"{context}: {message}"
    if isinstance(exc, IntegrityError | DataError):
        return StorageRejected(message)
    if isinstance(exc, OperationalError | InterfaceError) and not _is_wrong_statement(exc):
        return StorageUnavailable(message)
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return StorageUnavailable(message)
    return StorageError(message)


SQLITE_ERROR = 1  # sqlite3 reports a syntax error or a missing table as OperationalError with this code


def _is_wrong_statement(exc: SQLAlchemyError) -> bool:
    """SQLite's generic error is our statement's fault, not the database's: retrying it cannot help."""
    return getattr(getattr(exc, "orig", None), "sqlite_errorcode", None) == SQLITE_ERROR


def ping(session: Session) -> None:
    """Ask the database for nothing: fails (a ``StorageError`` out of ``Database.session()``) when it cannot
    answer."""
    session.execute(text("SELECT 1"))


class Database:
    """An engine plus a session factory; built once per process from ``settings.database_url``."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def init(self) -> None:
        migrate(self.engine)

    def ensure_initialized(self) -> None:
        """Bring the database to the newest schema: a new one is created, an older one is upgraded (Alembic
        ``upgrade head``), one already at the head is left alone (only its revision is read)."""
        try:
            current = current_revision(self.engine)
        except SQLAlchemyError as exc:
            raise storage_error(exc, "cannot read the schema revision") from exc
        if current != head_revision():
            if current is not None:
                logger.info("upgrading the database schema from revision %s", current)
            self.init()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            raise storage_error(exc) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
