"""place articles: one narrow row per (place, article), kept by triggers, so a place's listing is an index range

A country or region page lists the articles about a place newest first. Read through ``article_locales`` (a row
per place an article names, indexed by place and article id) it is every article of the place, fetched and
sorted for one page: ~80,000 rows for a large region at a million articles. ``place_articles`` holds, for each
place an article names, its sort key (``store.listings.SORT_KEY``: coalesce(published_at, fetched_at)) and its
id, with the primary key (place, sort_key, article_id): a page is then a short range of that key read backwards.

``place`` is the ``article_counts`` item of the place: the country code ("US") or "CC/REGION" ("US/US-CA"); an
article is listed once per place however many of its locale rows name it. Triggers keep the rows:

- a locale row inserted adds its country and region (when not there already);
- a locale row deleted removes them when no other row of that article names the place (a place correction);
- a locale row updated does both;
- an article whose published_at or fetched_at changes moves its rows to the new sort key;
- an article deleted (a takedown) takes its rows along (a foreign key ON DELETE CASCADE, and a trigger on
  SQLite, where foreign keys are a connection setting).

On PostgreSQL the triggers are statement triggers over transition tables (as in 0008), so a COPY of a million
locale rows is one grouped insert.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SORT = "coalesce({t}published_at, {t}fetched_at)"
REGION = "{t}country_code || '/' || {t}region_code"


def _places(rows: str) -> str:
    """(article_id, place) of every place the locale rows ``rows`` name, each once."""
    return (
        f"SELECT article_id, country_code AS place FROM {rows} "
        f"UNION SELECT article_id, {REGION.format(t='')} FROM {rows} WHERE region_code IS NOT NULL"
    )


# In key order, so that a place's rows lie together in the table too (a page's rows are then a few table pages,
# which matters on PostgreSQL until a vacuum lets its index-only scans skip the table).
FILL = (
    "INSERT INTO place_articles (place, sort_key, article_id) "
    f"SELECT p.place, {SORT.format(t='a.')}, a.id FROM ({_places('article_locales')}) AS p "
    "JOIN articles a ON a.id = p.article_id ORDER BY 1, 2, 3"
)

# --- SQLite: row triggers ---------------------------------------------------------------------------------


def _sq_add(row: str) -> str:
    pick = f"SELECT {{place}}, {SORT.format(t='')}, id FROM articles WHERE id = {row}.article_id"
    return (
        "INSERT OR IGNORE INTO place_articles (place, sort_key, article_id) "
        + pick.format(place=f"{row}.country_code")
        + ";"
        + " INSERT OR IGNORE INTO place_articles (place, sort_key, article_id) "
        + pick.format(place=REGION.format(t=f"{row}."))
        + f" AND {row}.region_code IS NOT NULL;"
    )


def _sq_drop(row: str) -> str:
    # After the row is gone (or changed): the place leaves the article unless another of its rows names it.
    country = (
        f"DELETE FROM place_articles WHERE article_id = {row}.article_id AND place = {row}.country_code "
        f"AND NOT EXISTS (SELECT 1 FROM article_locales l WHERE l.article_id = {row}.article_id "
        f"AND l.country_code = {row}.country_code);"
    )
    region = (
        f"DELETE FROM place_articles WHERE article_id = {row}.article_id "
        f"AND place = {REGION.format(t=f'{row}.')} "
        f"AND NOT EXISTS (SELECT 1 FROM article_locales l WHERE l.article_id = {row}.article_id "
        f"AND l.country_code = {row}.country_code AND l.region_code = {row}.region_code);"
    )
    return f"{country} {region}"


_SQLITE_UP = [
    f"CREATE TRIGGER place_articles_locale_ai AFTER INSERT ON article_locales BEGIN {_sq_add('NEW')} END",
    f"CREATE TRIGGER place_articles_locale_ad AFTER DELETE ON article_locales BEGIN {_sq_drop('OLD')} END",
    "CREATE TRIGGER place_articles_locale_au AFTER UPDATE ON article_locales BEGIN "
    f"{_sq_drop('OLD')} {_sq_add('NEW')} END",
    "CREATE TRIGGER place_articles_sort_au AFTER UPDATE OF published_at, fetched_at ON articles BEGIN "
    f"UPDATE place_articles SET sort_key = {SORT.format(t='NEW.')} WHERE article_id = NEW.id; END",
    "CREATE TRIGGER place_articles_ad AFTER DELETE ON articles BEGIN "
    "DELETE FROM place_articles WHERE article_id = OLD.id; END",
]
_SQLITE_TRIGGERS = [
    "place_articles_locale_ai",
    "place_articles_locale_ad",
    "place_articles_locale_au",
    "place_articles_sort_au",
    "place_articles_ad",
]

# --- PostgreSQL: statement triggers over transition tables --------------------------------------------------

_PG_ADD = (
    "INSERT INTO place_articles (place, sort_key, article_id) "
    f"SELECT p.place, {SORT.format(t='a.')}, a.id FROM ({_places('new_rows')}) AS p "
    "JOIN articles a ON a.id = p.article_id ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING;"
)
_PG_DROP = (
    f"DELETE FROM place_articles pa USING ({_places('old_rows')}) AS g "
    "WHERE pa.article_id = g.article_id AND pa.place = g.place "
    "AND NOT EXISTS (SELECT 1 FROM article_locales l WHERE l.article_id = g.article_id "
    f"AND (l.country_code = g.place OR {REGION.format(t='l.')} = g.place));"
)
_PG_SORT = (
    f"UPDATE place_articles pa SET sort_key = {SORT.format(t='n.')} FROM new_rows n "
    f"WHERE pa.article_id = n.id AND pa.sort_key IS DISTINCT FROM {SORT.format(t='n.')};"
)
_PG_TRANSITION = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}


def _pg_function(name: str, body: str) -> str:
    return f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN {body} RETURN NULL; END $$ LANGUAGE plpgsql"


_PG_UP = [
    _pg_function("gz_place_articles_insert", _PG_ADD),
    _pg_function("gz_place_articles_update", f"{_PG_DROP} {_PG_ADD}"),
    _pg_function("gz_place_articles_delete", _PG_DROP),
    _pg_function("gz_place_articles_sort", _PG_SORT),
    *(
        f"CREATE TRIGGER place_articles_locale_{e.lower()} AFTER {e} ON article_locales "
        f"REFERENCING {_PG_TRANSITION[e]} FOR EACH STATEMENT EXECUTE FUNCTION gz_place_articles_{e.lower()}()"
        for e in ("INSERT", "UPDATE", "DELETE")
    ),
    "CREATE TRIGGER place_articles_sort AFTER UPDATE ON articles REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION gz_place_articles_sort()",
]
_PG_DOWN = [
    *(
        f"DROP TRIGGER IF EXISTS place_articles_locale_{e} ON article_locales"
        for e in ("insert", "update", "delete")
    ),
    "DROP TRIGGER IF EXISTS place_articles_sort ON articles",
    *(f"DROP FUNCTION IF EXISTS gz_place_articles_{e}()" for e in ("insert", "update", "delete", "sort")),
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "place_articles",
        sa.Column("place", sa.String(length=20), nullable=False),
        sa.Column("sort_key", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.PrimaryKeyConstraint("place", "sort_key", "article_id"),
    )
    op.execute(FILL)
    op.create_index("ix_place_articles_article", "place_articles", ["article_id", "place"])
    for sql in _SQLITE_UP if dialect == "sqlite" else _PG_UP if dialect == "postgresql" else []:
        op.execute(sql)
    if dialect == "postgresql":
        op.execute("ANALYZE place_articles")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        for sql in _PG_DOWN:
            op.execute(sql)
    op.drop_index("ix_place_articles_article", table_name="place_articles")
    op.drop_table("place_articles")
