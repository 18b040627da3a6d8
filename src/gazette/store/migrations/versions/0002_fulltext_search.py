"""full-text search over article title and text

SQLite: an FTS5 table with the articles table as external content, kept in sync by triggers.
PostgreSQL: a stored generated ``tsvector`` column ``search_vector`` (title weighted A, text B, each after
every run of characters that are not letters or digits is turned into a space, since PostgreSQL's parser
would otherwise keep "U.S." or "3.5" whole where FTS5 splits them) with a GIN index. Both tokenize without
stemming, so the two backends return the same result set for the same words.

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

# PostgreSQL's parser keeps "U.S." or "3.5" whole where FTS5 splits them, so every run of characters that are
# not letters or digits becomes a space first. The vector is a stored generated column (computed once per
# write, not on every search and every ranking), title weighted above text; store.listings.PG_TS_COLUMN reads it.
_PG_WORDS = "to_tsvector('simple', regexp_replace(coalesce({column}, ''), '(\\W|_)+', ' ', 'g'))"
_PG_VECTOR = (
    f"setweight({_PG_WORDS.format(column='title')}, 'A') || setweight({_PG_WORDS.format(column='text')}, 'B')"
)
_PG_UP = [
    f"ALTER TABLE articles ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS ({_PG_VECTOR}) STORED",
    "CREATE INDEX IF NOT EXISTS ix_articles_fts ON articles USING gin (search_vector)",
]

_PG_DOWN = [
    "DROP INDEX IF EXISTS ix_articles_fts",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
]


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
