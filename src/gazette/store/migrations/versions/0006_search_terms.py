"""search with folded, stemmed terms computed in Python and indexed the same way on both databases

SQLite: the FTS5 table ``articles_search`` (its own copy of the terms, ``ascii`` tokenizer so that terms are
never re-split or re-folded) replaces 0002's ``articles_fts`` and its triggers; a trigger drops an entry with
its article. PostgreSQL: ``articles.search_vector`` becomes a plain ``tsvector`` column (written with the
article by ``store.search``) instead of 0002's generated one, with a GIN index. Upgrading writes the entry of
every stored article; downgrading restores 0002's index.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

from gazette.store.search import rebuild_index

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SQLITE_UP = [
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TABLE IF EXISTS articles_fts",
    """CREATE VIRTUAL TABLE IF NOT EXISTS articles_search USING fts5(
        title, body, tokenize='ascii', prefix='3'
    )""",
    """CREATE TRIGGER IF NOT EXISTS articles_search_ad AFTER DELETE ON articles BEGIN
        DELETE FROM articles_search WHERE rowid = old.id;
    END""",
]
# 0002's index, restated (a migration never imports another): unstemmed words, maintained by triggers.
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS articles_search_ad",
    "DROP TABLE IF EXISTS articles_search",
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

_PG_UP_BEFORE = [
    "DROP INDEX IF EXISTS ix_articles_fts",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE articles ADD COLUMN search_vector tsvector",
]
_PG_UP_AFTER = ["CREATE INDEX IF NOT EXISTS ix_articles_search ON articles USING gin (search_vector)"]
_PG_WORDS = "to_tsvector('simple', regexp_replace(coalesce({column}, ''), '(\\W|_)+', ' ', 'g'))"
_PG_VECTOR = (
    f"setweight({_PG_WORDS.format(column='title')}, 'A') || setweight({_PG_WORDS.format(column='text')}, 'B')"
)
_PG_DOWN = [
    "DROP INDEX IF EXISTS ix_articles_search",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
    f"ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({_PG_VECTOR}) STORED",
    "CREATE INDEX IF NOT EXISTS ix_articles_fts ON articles USING gin (search_vector)",
]


def _run(statements: list[str]) -> None:
    for sql in statements:
        op.execute(sql)


def upgrade() -> None:
    name = op.get_bind().dialect.name
    if name == "sqlite":
        _run(_SQLITE_UP)
        rebuild_index(op.get_bind())
    elif name == "postgresql":
        _run(_PG_UP_BEFORE)
        rebuild_index(op.get_bind())  # before the GIN index exists: one build instead of many updates
        _run(_PG_UP_AFTER)


def downgrade() -> None:
    name = op.get_bind().dialect.name
    if name == "sqlite":
        _run(_SQLITE_DOWN)
    elif name == "postgresql":
        _run(_PG_DOWN)
