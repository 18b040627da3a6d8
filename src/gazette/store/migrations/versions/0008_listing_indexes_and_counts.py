"""listing indexes, and article counts kept by triggers (counts and change versions for the read side)

Indexes: every listing is read newest first by (coalesce(published_at, fetched_at), id) — the expression
``store.listings.SORT_KEY`` — so the whole site, each section and each source get an index on that key (a page
is then an index range, not a sort of the table); place filters get (country_code, article_id) and
(region_code, article_id).

``article_counts`` holds one row per (kind, item): ``all`` (the whole site), ``section``, ``source`` (the
source id), ``day`` (date_path), ``country`` (country code), ``region`` ("CC/REGION"), ``story`` (story id)
and ``sources`` (any change to the sources table). Triggers on articles, article_locales, article_stories,
stories and sources keep in each row:

- ``n``: how many articles the listing holds (a place counts an article once, however often it names it);
- ``changed``: the newest fetch or update time of any article that has been in it (Last-Modified);
- ``label``: the greatest country or region name seen (the place's display name);
- ``version``: the site-wide change counter (the ``all`` row's) when the row last changed, so a reader that
  remembers the last version it saw can ask which listings changed since — the response cache does.

Every write goes through the ``all`` row, so on PostgreSQL concurrent writers queue on it until they commit;
that also makes the versions commit in order, which is what lets a reader trust "nothing below V is new".

Revision ID: 0008
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

SORT = "coalesce(published_at, fetched_at)"
INDEXES = [
    ("ix_articles_sort", "articles", f"{SORT}, id"),
    ("ix_articles_section_sort", "articles", f"section, {SORT}, id"),
    ("ix_articles_source_sort", "articles", f"source_id, {SORT}, id"),
    ("ix_articles_day_sort", "articles", f"date_path, {SORT}, id"),
    ("ix_article_locales_country_article", "article_locales", "country_code, article_id"),
    ("ix_article_locales_region_article", "article_locales", "region_code, country_code, article_id"),
]

# --- SQLite: triggers written out statement by statement -------------------------------------------------

_SQ_ALL_VERSION = "(SELECT version FROM article_counts WHERE kind = 'all' AND item = '')"


def _sq_all(delta: str, changed: str) -> str:
    return (
        f"UPDATE article_counts SET version = version + 1, n = n + ({delta}), "
        f"changed = CASE WHEN {changed} IS NULL THEN changed WHEN changed IS NULL OR {changed} > changed "
        f"THEN {changed} ELSE changed END WHERE kind = 'all' AND item = '';"
    )


def _sq_bump(kind: str, item: str, delta: str, changed: str, label: str = "NULL", when: str = "1") -> str:
    """Add ``delta`` to the (kind, item) row, creating it, and stamp it with a new site-wide version."""
    return (
        _sq_all("0", "NULL") + f" INSERT INTO article_counts (kind, item, n, version, changed, label) "
        f"SELECT '{kind}', {item}, {delta}, {_SQ_ALL_VERSION}, {changed}, {label} "
        f"WHERE {item} IS NOT NULL AND ({when}) "
        "ON CONFLICT (kind, item) DO UPDATE SET n = n + excluded.n, version = excluded.version, "
        "changed = CASE WHEN excluded.changed IS NULL THEN changed "
        "WHEN changed IS NULL OR excluded.changed > changed THEN excluded.changed ELSE changed END, "
        "label = CASE WHEN excluded.label IS NULL THEN label "
        "WHEN label IS NULL OR excluded.label > label THEN excluded.label ELSE label END;"
    )


def _sq_article(row: str, sign: str) -> str:
    changed = (
        "NULL" if sign == "-1" else f"max({row}.fetched_at, coalesce({row}.updated_at, {row}.fetched_at))"
    )
    return " ".join(
        [
            _sq_bump("section", f"{row}.section", sign, changed),
            _sq_bump("source", f"CAST({row}.source_id AS TEXT)", sign, changed),
            _sq_bump("day", f"{row}.date_path", sign, changed),
        ]
    )


_SQ_ARTICLE_TIME = (
    "(SELECT max(fetched_at, coalesce(updated_at, fetched_at)) FROM articles WHERE id = {row}.article_id)"
)


def _sq_locale(row: str, sign: str) -> str:
    # The place counts an article once: only its first row for a country (or region) adds, its last removes.
    other_country = (
        f"NOT EXISTS (SELECT 1 FROM article_locales o WHERE o.article_id = {row}.article_id "
        f"AND o.country_code = {row}.country_code AND o.id != {row}.id)"
    )
    other_region = (
        f"NOT EXISTS (SELECT 1 FROM article_locales o WHERE o.article_id = {row}.article_id "
        f"AND o.country_code = {row}.country_code AND o.region_code = {row}.region_code AND o.id != {row}.id)"
    )
    changed = "NULL" if sign == "-1" else _SQ_ARTICLE_TIME.format(row=row)
    region = f"{row}.country_code || '/' || {row}.region_code"
    return " ".join(
        [
            _sq_bump(
                "country",
                f"{row}.country_code",
                f"CASE WHEN {other_country} THEN {sign} ELSE 0 END",
                changed,
                label=f"nullif({row}.country_name, '')" if sign == "1" else "NULL",
            ),
            _sq_bump(
                "region",
                region,
                f"CASE WHEN {other_region} THEN {sign} ELSE 0 END",
                changed,
                label=f"{row}.region_name" if sign == "1" else "NULL",
            ),
        ]
    )


def _sq_touch_places_and_story() -> str:
    # An article that changes changes its place pages and its story page too (their rows get a new version).
    return (
        _sq_all("0", "NULL") + f" UPDATE article_counts SET version = {_SQ_ALL_VERSION}, "
        "changed = CASE WHEN changed IS NULL OR max(NEW.fetched_at, coalesce(NEW.updated_at, NEW.fetched_at)) "
        "> changed THEN max(NEW.fetched_at, coalesce(NEW.updated_at, NEW.fetched_at)) ELSE changed END "
        "WHERE (kind = 'country' AND item IN (SELECT country_code FROM article_locales WHERE article_id = NEW.id)) "
        "OR (kind = 'region' AND item IN (SELECT country_code || '/' || region_code FROM article_locales "
        "WHERE article_id = NEW.id AND region_code IS NOT NULL)) "
        "OR (kind = 'story' AND item IN (SELECT CAST(story_id AS TEXT) FROM article_stories "
        "WHERE article_id = NEW.id));"
    )


_SQLITE_UP = [
    f"""CREATE TRIGGER article_counts_ai AFTER INSERT ON articles BEGIN
        {_sq_all("1", "max(NEW.fetched_at, coalesce(NEW.updated_at, NEW.fetched_at))")}
        {_sq_article("NEW", "1")}
    END""",
    f"""CREATE TRIGGER article_counts_ad AFTER DELETE ON articles BEGIN
        {_sq_all("-1", "NULL")}
        {_sq_article("OLD", "-1")}
    END""",
    f"""CREATE TRIGGER article_counts_au AFTER UPDATE ON articles BEGIN
        {_sq_all("0", "max(NEW.fetched_at, coalesce(NEW.updated_at, NEW.fetched_at))")}
        {_sq_article("OLD", "-1")}
        {_sq_article("NEW", "1")}
        {_sq_touch_places_and_story()}
    END""",
    f"""CREATE TRIGGER article_counts_locale_ai AFTER INSERT ON article_locales BEGIN
        {_sq_locale("NEW", "1")}
    END""",
    f"""CREATE TRIGGER article_counts_locale_ad AFTER DELETE ON article_locales BEGIN
        {_sq_locale("OLD", "-1")}
    END""",
    f"""CREATE TRIGGER article_counts_locale_au AFTER UPDATE ON article_locales BEGIN
        {_sq_locale("OLD", "-1")}
        {_sq_locale("NEW", "1")}
    END""",
    f"""CREATE TRIGGER article_counts_story_ai AFTER INSERT ON article_stories BEGIN
        {_sq_bump("story", "CAST(NEW.story_id AS TEXT)", "1", _SQ_ARTICLE_TIME.format(row="NEW"))}
    END""",
    f"""CREATE TRIGGER article_counts_story_ad AFTER DELETE ON article_stories BEGIN
        {_sq_bump("story", "CAST(OLD.story_id AS TEXT)", "-1", "NULL")}
    END""",
    f"""CREATE TRIGGER article_counts_story_au AFTER UPDATE ON article_stories BEGIN
        {_sq_bump("story", "CAST(OLD.story_id AS TEXT)", "-1", "NULL")}
        {_sq_bump("story", "CAST(NEW.story_id AS TEXT)", "1", _SQ_ARTICLE_TIME.format(row="NEW"))}
    END""",
    f"""CREATE TRIGGER article_counts_stories_au AFTER UPDATE ON stories BEGIN
        {_sq_bump("story", "CAST(NEW.id AS TEXT)", "0", "NULL")}
    END""",
    f"""CREATE TRIGGER article_counts_stories_ad AFTER DELETE ON stories BEGIN
        {_sq_bump("story", "CAST(OLD.id AS TEXT)", "0", "NULL")}
    END""",
    *(
        f"""CREATE TRIGGER article_counts_sources_{suffix} AFTER {event} ON sources BEGIN
        {_sq_bump("sources", "''", "0", "NULL")}
    END"""
        for suffix, event in (("ai", "INSERT"), ("au", "UPDATE"), ("ad", "DELETE"))
    ),
]

_SQLITE_TRIGGERS = [
    "article_counts_ai",
    "article_counts_ad",
    "article_counts_au",
    "article_counts_locale_ai",
    "article_counts_locale_ad",
    "article_counts_locale_au",
    "article_counts_story_ai",
    "article_counts_story_ad",
    "article_counts_story_au",
    "article_counts_stories_au",
    "article_counts_stories_ad",
    "article_counts_sources_ai",
    "article_counts_sources_au",
    "article_counts_sources_ad",
]

# --- PostgreSQL: the same rules as plpgsql functions ------------------------------------------------------

# PostgreSQL keeps the counts with statement triggers over transition tables: a COPY of a million rows, or one
# INSERT of an article's place rows (row triggers fire after the whole statement there), is one grouped update
# and one version, not a million updates of the ``all`` row (which, in one transaction, would each walk the
# chain of that row's earlier versions). A place counts an article once however many rows name it: for each
# (article, place) the statement touched, the count moves by [a row names it after] - [a row named it before],
# "before" being the old rows plus the rows the statement left alone.
_PG_TRANSITION = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}
_PG_APPLY = """
    DECLARE v bigint;
    BEGIN
        UPDATE article_counts SET version = version + 1, n = n + ({all_delta}),
            changed = GREATEST(changed, ({all_changed}))
        WHERE kind = 'all' AND item = '' RETURNING version INTO v;
        INSERT INTO article_counts (kind, item, n, version, changed, label)
        SELECT d.kind, d.item, sum(d.delta), v, max(d.ch), max(d.label) FROM ({deltas}) AS d
        WHERE d.item IS NOT NULL GROUP BY d.kind, d.item
        ON CONFLICT (kind, item) DO UPDATE SET n = article_counts.n + EXCLUDED.n, version = EXCLUDED.version,
            changed = GREATEST(article_counts.changed, EXCLUDED.changed),
            label = GREATEST(article_counts.label, EXCLUDED.label);{extra}
        RETURN NULL;
    END"""


def _pg_function(name: str, all_delta: str, all_changed: str, deltas: list[str], extra: str = "") -> str:
    body = _PG_APPLY.format(
        all_delta=all_delta, all_changed=all_changed, deltas=" UNION ALL ".join(deltas), extra=extra
    )
    return f"CREATE FUNCTION {name}() RETURNS trigger AS $${body} $$ LANGUAGE plpgsql"


def _pg_article_deltas(rows: str, sign: str) -> list[str]:
    ch = "NULL::timestamptz" if sign == "-1" else "GREATEST(r.fetched_at, r.updated_at)"
    return [
        f"SELECT '{kind}'::text AS kind, {column} AS item, {sign} AS delta, {ch} AS ch, NULL::text AS label "
        f"FROM {rows} AS r"
        for kind, column in (
            ("section", "r.section"),
            ("source", "r.source_id::text"),
            ("day", "r.date_path"),
        )
    ]


_PG_TOUCH = """
        UPDATE article_counts SET version = v, changed = GREATEST(changed, t.ch)
        FROM (SELECT 'country'::text AS kind, l.country_code AS item, GREATEST(n.fetched_at, n.updated_at) AS ch
              FROM new_rows n JOIN article_locales l ON l.article_id = n.id
              UNION ALL SELECT 'region', l.country_code || '/' || l.region_code, GREATEST(n.fetched_at, n.updated_at)
              FROM new_rows n JOIN article_locales l ON l.article_id = n.id WHERE l.region_code IS NOT NULL
              UNION ALL SELECT 'story', s.story_id::text, GREATEST(n.fetched_at, n.updated_at)
              FROM new_rows n JOIN article_stories s ON s.article_id = n.id) AS t
        WHERE article_counts.kind = t.kind AND article_counts.item = t.item;"""

_PG_NONE = "(SELECT * FROM article_locales WHERE false)"


def _pg_place_deltas(event: str) -> list[str]:
    # Counted by groups, never row by row against the transition tables (which have no index): for each
    # (article, place) the statement touched, rows now (an index lookup on article_id), rows it added and rows it
    # removed; the place held the article before when now - added + removed > 0.
    old = "old_rows" if event != "INSERT" else _PG_NONE
    new = "new_rows" if event != "DELETE" else _PG_NONE
    out = []
    for kind, column, label, cond in (
        ("country", "{t}country_code", "nullif(country_name, '')", "true"),
        ("region", "{t}country_code || '/' || {t}region_code", "region_name", "region_code IS NOT NULL"),
    ):
        key, c_key = column.format(t=""), column.format(t="c.")
        out.append(
            f"""(WITH o AS (SELECT article_id, {key} AS item, count(*) AS k FROM {old} AS o_rows WHERE {cond}
                        GROUP BY 1, 2),
                 nw AS (SELECT article_id, {key} AS item, count(*) AS k, max({label}) AS label
                        FROM {new} AS n_rows WHERE {cond} GROUP BY 1, 2),
                 g AS (SELECT article_id, item FROM o UNION SELECT article_id, item FROM nw),
                 cur AS (SELECT g.article_id, g.item, (SELECT count(*) FROM article_locales c
                         WHERE c.article_id = g.article_id AND {c_key} = g.item) AS k FROM g)
            SELECT '{kind}'::text AS kind, cur.item,
                (cur.k > 0)::int - ((cur.k - coalesce(nw.k, 0) + coalesce(o.k, 0)) > 0)::int AS delta,
                CASE WHEN nw.k IS NOT NULL THEN GREATEST(a.fetched_at, a.updated_at) END AS ch,
                nw.label
            FROM cur LEFT JOIN nw ON nw.article_id = cur.article_id AND nw.item = cur.item
                     LEFT JOIN o ON o.article_id = cur.article_id AND o.item = cur.item
                     LEFT JOIN articles a ON a.id = cur.article_id)"""
        )
    return out


def _pg_story_deltas(event: str) -> list[str]:
    out = []
    if event != "INSERT":
        out.append(
            "SELECT 'story'::text AS kind, o.story_id::text AS item, -1 AS delta, NULL::timestamptz AS ch, "
            "NULL::text AS label FROM old_rows o"
        )
    if event != "DELETE":
        out.append(
            "SELECT 'story'::text AS kind, n.story_id::text AS item, 1 AS delta, "
            "GREATEST(a.fetched_at, a.updated_at) AS ch, NULL::text AS label "
            "FROM new_rows n JOIN articles a ON a.id = n.article_id"
        )
    return out


_EVENTS = ("INSERT", "UPDATE", "DELETE")
_PG_UP = [
    _pg_function(
        "gz_articles_counts_insert",
        "(SELECT count(*) FROM new_rows)",
        "SELECT max(GREATEST(fetched_at, updated_at)) FROM new_rows",
        _pg_article_deltas("new_rows", "1"),
    ),
    _pg_function(
        "gz_articles_counts_update",
        "0",
        "SELECT max(GREATEST(fetched_at, updated_at)) FROM new_rows",
        _pg_article_deltas("old_rows", "-1") + _pg_article_deltas("new_rows", "1"),
        _PG_TOUCH,
    ),
    _pg_function(
        "gz_articles_counts_delete",
        "-(SELECT count(*) FROM old_rows)",
        "NULL::timestamptz",
        _pg_article_deltas("old_rows", "-1"),
    ),
    *(
        _pg_function(f"gz_locale_counts_{e.lower()}", "0", "NULL::timestamptz", _pg_place_deltas(e))
        for e in _EVENTS
    ),
    *(
        _pg_function(f"gz_story_counts_{e.lower()}", "0", "NULL::timestamptz", _pg_story_deltas(e))
        for e in _EVENTS
    ),
    _pg_function(
        "gz_stories_changed",
        "0",
        "NULL::timestamptz",
        [
            "SELECT 'story'::text AS kind, o.id::text AS item, 0 AS delta, NULL::timestamptz AS ch, NULL::text AS label "
            "FROM old_rows o"
        ],
    ),
    _pg_function(
        "gz_sources_changed",
        "0",
        "NULL::timestamptz",
        [
            "SELECT 'sources'::text AS kind, ''::text AS item, 0 AS delta, NULL::timestamptz AS ch, NULL::text AS label"
        ],
    ),
    *(
        f"CREATE TRIGGER article_counts_{table}_{e.lower()} AFTER {e} ON {table} REFERENCING {_PG_TRANSITION[e]} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}_{e.lower()}()"
        for table, function in (
            ("articles", "gz_articles_counts"),
            ("article_locales", "gz_locale_counts"),
            ("article_stories", "gz_story_counts"),
        )
        for e in _EVENTS
    ),
    *(
        f"CREATE TRIGGER article_counts_stories_{e.lower()} AFTER {e} ON stories REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION gz_stories_changed()"
        for e in ("UPDATE", "DELETE")
    ),
    "CREATE TRIGGER article_counts_sources AFTER INSERT OR UPDATE OR DELETE ON sources "
    "FOR EACH STATEMENT EXECUTE FUNCTION gz_sources_changed()",
]

_PG_DOWN = [
    *(
        f"DROP TRIGGER IF EXISTS article_counts_{table}_{e.lower()} ON {table}"
        for table in ("articles", "article_locales", "article_stories")
        for e in _EVENTS
    ),
    "DROP TRIGGER IF EXISTS article_counts_stories_update ON stories",
    "DROP TRIGGER IF EXISTS article_counts_stories_delete ON stories",
    "DROP TRIGGER IF EXISTS article_counts_sources ON sources",
    *(
        f"DROP FUNCTION IF EXISTS {function}_{e.lower()}()"
        for function in ("gz_articles_counts", "gz_locale_counts", "gz_story_counts")
        for e in _EVENTS
    ),
    "DROP FUNCTION IF EXISTS gz_stories_changed()",
    "DROP FUNCTION IF EXISTS gz_sources_changed()",
]


def _fill(dialect: str) -> None:
    """Count what is already stored (the triggers keep the counts from here on)."""
    greatest = "max" if dialect == "sqlite" else "GREATEST"
    as_text = "CAST({} AS TEXT)"
    changed = f"max({greatest}(fetched_at, coalesce(updated_at, fetched_at)))"
    art_time = f"{greatest}(a.fetched_at, coalesce(a.updated_at, a.fetched_at))"
    statements = [
        f"INSERT INTO article_counts (kind, item, n, version, changed) "
        f"SELECT 'all', '', count(*), 0, {changed} FROM articles",
        f"INSERT INTO article_counts (kind, item, n, version, changed) SELECT 'section', section, count(*), 0, "
        f"{changed} FROM articles WHERE section IS NOT NULL GROUP BY section",
        f"INSERT INTO article_counts (kind, item, n, version, changed) SELECT 'source', "
        f"{as_text.format('source_id')}, count(*), 0, {changed} FROM articles WHERE source_id IS NOT NULL "
        "GROUP BY source_id",
        f"INSERT INTO article_counts (kind, item, n, version, changed) SELECT 'day', date_path, count(*), 0, "
        f"{changed} FROM articles GROUP BY date_path",
        f"INSERT INTO article_counts (kind, item, n, version, changed, label) SELECT 'country', l.country_code, "
        f"count(DISTINCT l.article_id), 0, max({art_time}), max(nullif(l.country_name, '')) "
        "FROM article_locales l JOIN articles a ON a.id = l.article_id GROUP BY l.country_code",
        f"INSERT INTO article_counts (kind, item, n, version, changed, label) SELECT 'region', "
        f"l.country_code || '/' || l.region_code, count(DISTINCT l.article_id), 0, max({art_time}), "
        "max(l.region_name) FROM article_locales l JOIN articles a ON a.id = l.article_id "
        "WHERE l.region_code IS NOT NULL GROUP BY l.country_code, l.region_code",
        f"INSERT INTO article_counts (kind, item, n, version, changed) SELECT 'story', "
        f"{as_text.format('s.story_id')}, count(*), 0, max({art_time}) "
        "FROM article_stories s JOIN articles a ON a.id = s.article_id GROUP BY s.story_id",
        "INSERT INTO article_counts (kind, item, n, version) VALUES ('sources', '', 0, 0)",
    ]
    for sql in statements:
        op.execute(sql)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, columns in INDEXES:
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")
    op.create_table(
        "article_counts",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("changed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("kind", "item"),
    )
    op.create_index("ix_article_counts_version", "article_counts", ["version"])
    _fill(dialect)
    for sql in _SQLITE_UP if dialect == "sqlite" else _PG_UP if dialect == "postgresql" else []:
        op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        for sql in _PG_DOWN:
            op.execute(sql)
    op.drop_index("ix_article_counts_version", table_name="article_counts")
    op.drop_table("article_counts")
    for name, _table, _columns in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
