"""store/db.py: the schema brought to the newest revision, old databases upgraded, on SQLite and PostgreSQL.

How the store sorts database errors (``storage_error``) is tested with the tree in tests/test_errors.py.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from gazette.store import articles as article_store
from gazette.store import subscriptions as feed_store
from gazette.store.db import Database, alembic_config, current_revision, head_revision


def test_migrations_are_idempotent(db: Database) -> None:
    db.init()  # a second upgrade to head changes nothing and does not fail
    with db.session() as s:
        assert article_store.count_articles(s) == 0


def test_an_old_database_is_upgraded_to_the_newest_schema(db_url: str) -> None:
    """A desk created by Gazette at revision 0005 (before search terms, counts and feed care) keeps its rows and
    gains everything since, the first time a command opens it."""
    old = Database(db_url)
    try:
        command.upgrade(alembic_config(old.engine), "0005")
        assert current_revision(old.engine) == "0005"
        assert "paused" not in {c["name"] for c in inspect(old.engine).get_columns("feeds")}  # added by 0009
        with old.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO feeds (url, error_count) VALUES ('https://old.example/feed.xml', 0)")
            )
    finally:
        old.dispose()
    reopened = Database(db_url)
    try:
        reopened.ensure_initialized()
        assert current_revision(reopened.engine) == head_revision() != "0005"
        with reopened.session() as s:
            feed = feed_store.get_feed(s, "https://old.example/feed.xml")
            assert feed is not None and feed.paused is False
        reopened.ensure_initialized()  # at the head already: nothing to do, nothing lost
        with reopened.session() as s:
            assert len(feed_store.list_feeds(s)) == 1
    finally:
        reopened.dispose()


def test_a_new_database_is_created_at_the_newest_schema(db_url: str) -> None:
    fresh = Database(db_url)
    try:
        assert current_revision(fresh.engine) is None
        fresh.ensure_initialized()
        assert current_revision(fresh.engine) == head_revision()
    finally:
        fresh.dispose()
