"""full-text search over article title and text

SQLite: an FTS5 table with the articles table as external content, kept in sync by triggers.
PostgreSQL: a GIN index on the expression ``store.listings.search_articles`` queries:
``to_tsvector('simple', title || ' ' || text)`` after every run of characters that are not letters or
digits is turned into a space (PostgreSQL's parser would otherwise keep "U.S." or "3.5" whole where FTS5
splits them). Both tokenize without stemming, so the two backends return the same result set for the
same words.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_SQLITE_UP = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
        title, text, content='articles', content_rowid='id', tokenize='unicode61 remove_diacritics 0'
    )""",
    """CREATE TRIGGER IF NOT EXISTS articles_fts_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS articles_fts_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]

_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TABLE IF EXISTS articles_fts",
]

# The same expression as ``store.listings.PG_TS_DOCUMENT`` (the planner uses the index only on an exact match).
_PG_DOCUMENT = (
    "to_tsvector('simple', regexp_replace("
    "coalesce(articles.title, '') || ' ' || coalesce(articles.text, ''), '(\\W|_)+', ' ', 'g'))"
)
_PG_UP = [f"CREATE INDEX IF NOT EXISTS ix_articles_fts ON articles USING gin (({_PG_DOCUMENT}))"]

_PG_DOWN = ["DROP INDEX IF EXISTS ix_articles_fts"]


def _run(statements: list[str]) -> None:
    for sql in statements:
        op.execute(sql)


def upgrade() -> None:
    name = op.get_bind().dialect.name
    if name == "sqlite":
        _run(_SQLITE_UP)
    elif name == "postgresql":
        _run(_PG_UP)


def downgrade() -> None:
    name = op.get_bind().dialect.name
    if name == "sqlite":
        _run(_SQLITE_DOWN)
    elif name == "postgresql":
        _run(_PG_DOWN)
