"""store/articles.py: the idempotent article upsert, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from gazette import models
from gazette.store import articles as article_store
from gazette.store import bulk as bulk_store
from gazette.store import subscriptions as feed_store
from gazette.store.db import Database
from gazette.store.schema import Article, ArticleLocale
from gazette.urls import canonicalize_url


def _article(url: str = "https://news.example/a/1", text: str = "Body text.", **kw: object) -> models.Article:
    base: dict[str, object] = dict(
        url=url,
        canonical_url=url,
        title="Caracas releases prisoners",
        text=text,
        html=f"<p>{text}</p>",
        published_at=datetime(2026, 2, 20, 9, 30, tzinfo=UTC),
        content_hash=f"h-{text}",
        locales=[
            models.Locale(name="Aragua", kind="region", country_code="VE", region_code="VE-D", spans=[(0, 6)])
        ],
        section=models.SectionAssignment("Politics and Government", "politics-government", 0.9, "classifier"),
    )
    base.update(kw)
    return models.Article(**base)  # type: ignore[arg-type]


def test_save_twice_stores_once(db: Database) -> None:
    with db.session() as s:
        feed = feed_store.add_feed(
            s, "https://news.example/feed.xml", source="Example News", section="health"
        )
        source_id, feed_id = feed.source_id, feed.id
    for _ in range(2):
        with db.session() as s:
            article_store.save_article(s, _article(), source_id=source_id, feed_id=feed_id)
    with db.session() as s:
        assert s.scalar(select(func.count(Article.id))) == 1
        assert s.scalar(select(func.count(ArticleLocale.id))) == 1
        row = s.scalar(select(Article))
        assert row is not None
        assert row.path == "/content/2026/02/20/caracas-releases-prisoners.html"
        assert row.published_at == datetime(2026, 2, 20, 9, 30, tzinfo=UTC)
        assert row.section == "politics-government"


def test_changed_article_is_updated_not_duplicated(db: Database) -> None:
    with db.session() as s:
        _, first = article_store.save_article(s, _article(), source_id=None, feed_id=None)
    with db.session() as s:
        _, second = article_store.save_article(
            s, _article(text="Corrected body."), source_id=None, feed_id=None
        )
    with db.session() as s:
        rows = list(s.scalars(select(Article)))
    assert (first, second) == (article_store.SaveResult.NEW, article_store.SaveResult.UPDATED)
    assert len(rows) == 1 and rows[0].text == "Corrected body."
    assert rows[0].updated_at is not None


def test_same_title_same_day_gets_distinct_slugs(db: Database) -> None:
    with db.session() as s:
        a, _ = article_store.save_article(
            s, _article("https://a.example/1", "one"), source_id=None, feed_id=None
        )
        b, _ = article_store.save_article(
            s, _article("https://b.example/2", "two"), source_id=None, feed_id=None
        )
        assert a.slug != b.slug and a.date_path == b.date_path


def test_a_title_stored_many_times_a_day_numbers_its_slugs_in_few_statements(db: Database) -> None:
    """A wire story syndicated by many publishers: one title, one day. Each writer hands out base, base-2, …
    in order, skips a number an unpublished article held (its permalink answers 410 Gone), and finds the
    next free number in a few statements, not one statement per number already taken."""
    from sqlalchemy import event

    from gazette.store import tombstones as tombstone_store

    def copy(n: int) -> models.Article:
        return _article(
            f"https://wire{n}.example/story",
            f"copy {n}",
            locales=[],
            fetched_at=datetime(2026, 2, 20, 10, 0, tzinfo=UTC),
        )

    with db.session() as s:
        for n in range(1, 31):
            article_store.save_article(s, copy(n), source_id=None, feed_id=None)
        gone = s.scalar(select(Article).where(Article.slug == "caracas-releases-prisoners-7"))
        assert gone is not None
        tombstone_store.unpublish(s, gone, "legal")
    statements: list[str] = []

    def count(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if "slug" in sql:
            statements.append(sql)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as s:
            row, _ = article_store.save_article(s, copy(31), source_id=None, feed_id=None)
            one_by_one = row.slug
        one_by_one_statements = len(statements)
        statements.clear()
        with db.session() as s:
            batch = bulk_store.store_batch(s, [(copy(n), None) for n in (32, 33, 34)])
            assert len(batch.new_ids) == 3
        batch_statements = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    with db.session() as s:
        slugs = set(s.scalars(select(Article.slug)))
    base = "caracas-releases-prisoners"
    # 30 stored (base, base-2 … base-30), base-7 unpublished: the next ones are base-31 … base-34
    assert one_by_one == f"{base}-31"
    assert slugs == {base} | {f"{base}-{n}" for n in range(2, 35)} - {f"{base}-7"}
    # one by one: the check of the title's own slug, 16 then 32 numbers at a time, the INSERT; the batch: its
    # titles' slugs (articles and tombstones), then 16 and 32 numbers of each title at once, the INSERT
    assert one_by_one_statements <= 4, one_by_one_statements
    assert batch_statements <= 8, batch_statements


def test_a_batch_numbers_its_own_copies_around_a_title_that_reads_like_a_number(db: Database) -> None:
    """In one batch: three copies of a title, and another title whose slug is the first copy's number."""
    fetched = datetime(2026, 2, 20, 10, 0, tzinfo=UTC)
    titles = ["Caracas releases prisoners"] * 3 + ["Caracas releases prisoners 2"]
    batch = [
        (_article(f"https://b{n}.example/x", f"text {n}", title=t, fetched_at=fetched, locales=[]), None)
        for n, t in enumerate(titles)
    ]
    with db.session() as s:
        assert len(bulk_store.store_batch(s, batch).new_ids) == 4
    with db.session() as s:
        slugs = dict(s.execute(select(Article.canonical_url, Article.slug)).all())
    base = "caracas-releases-prisoners"
    assert [slugs[f"https://b{n}.example/x"] for n in range(4)] == [
        base,
        f"{base}-3",
        f"{base}-4",
        f"{base}-2",
    ]


def test_unknown_date_uses_fetch_day_and_keeps_null(db: Database) -> None:
    fetched = datetime(2026, 11, 3, 23, 59, tzinfo=UTC)
    with db.session() as s:
        row, _ = article_store.save_article(
            s, _article(published_at=None, fetched_at=fetched), source_id=None, feed_id=None
        )
        assert row.published_at is None
        assert row.date_path == "2026/11/03"


def test_a_permalink_is_read_from_a_path_or_a_url_under_the_base_path() -> None:
    where = ("2026/02/10", "harbour-opens")
    assert article_store.permalink_of("/content/2026/02/10/harbour-opens.html") == where
    assert article_store.permalink_of(" /content/2026/02/10/harbour-opens.html#top ") == where
    absolute = "https://news.example/desk/content/2026/02/10/harbour-opens.html?view=print"
    assert article_store.permalink_of(absolute, "https://news.example/desk") == where
    assert article_store.permalink_of(absolute, "https://news.example/other") is None
    assert article_store.permalink_of("/content/2026/02/10/harbour-opens.html/extra") is None
    assert article_store.permalink_of("https://publisher.example/2026/02/10/harbour-opens") is None


def test_url_candidates_are_the_url_as_given_then_canonicalized() -> None:
    given = "https://Publisher.example/news/item?utm_source=feed"
    found = article_store.url_candidates(f"  {given} ")
    assert found[0] == given
    assert found[1:] == [canonicalize_url(given)] and canonicalize_url(given) != given
    assert article_store.url_candidates("/content/2026/02/10/x.html") == ["/content/2026/02/10/x.html"]


def test_an_article_without_html_is_stored_with_empty_html_by_both_writers(db: Database) -> None:
    """The one-by-one writer and the backfill's batch writer use plain INSERTs, which do not apply the
    column's default: an article with no HTML (a feed entry's text alone) must still be stored, with ''."""

    def bare(url: str) -> models.Article:
        return models.Article(
            url=url,
            canonical_url=url,
            title=f"Bare entry {url[-1]}",
            text="A feed entry's own text, with no page behind it.",
            html=None,
            published_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
            content_hash=f"bare-{url[-1]}",
        )

    with db.session() as s:
        _, result = article_store.save_article(
            s, bare("https://bare.example/1"), source_id=None, feed_id=None
        )
        assert result is article_store.SaveResult.NEW
        batch = bulk_store.store_batch(s, [(bare("https://bare.example/2"), None)])
        assert len(batch.new_ids) == 1
    with db.session() as s:
        stored = dict(s.execute(select(Article.canonical_url, Article.html)).all())
    assert stored == {"https://bare.example/1": "", "https://bare.example/2": ""}


def test_a_backfill_refreshes_planner_statistics_as_the_articles_double(db: Database) -> None:
    """bulk.Statistics: ANALYZE at 1,000 new articles, then at twice the count of the last time (PostgreSQL;
    SQLite has nothing to refresh). Without it, a server with autovacuum off or lagging planned the slug check
    of a fresh 72,000-article day as a scan of the whole day."""
    from sqlalchemy import text

    statistics = bulk_store.Statistics(db)

    def analyzed() -> bool:
        if db.engine.dialect.name != "postgresql":
            return False
        with db.engine.connect() as connection:
            stamp = connection.execute(
                text("SELECT last_analyze FROM pg_stat_user_tables WHERE relid = 'articles'::regclass")
            ).scalar()
        return stamp is not None

    statistics.grown(999)
    assert statistics.next_at == 1_000 and not analyzed()
    statistics.grown(1_300)
    assert statistics.next_at == 2_600
    assert analyzed() == (db.engine.dialect.name == "postgresql")
    statistics.grown(2_000)
    assert statistics.next_at == 2_600


def test_the_same_text_lookup_reads_the_hash_index_not_the_whole_source(tmp_path: Path) -> None:
    """``save_article`` asks for the same text from the same publisher on every new article. SQLite, without
    statistics, answered it by the index on ``source_id``: every article of the source read, a cost that grew
    with what the source had published. Migration 0016 indexes (content_hash, source_id) together."""
    from sqlalchemy import text
    from sqlalchemy.dialects import sqlite

    db = Database(f"sqlite:///{tmp_path}/plan.db")
    db.init()
    try:
        with db.session() as s:
            feed = feed_store.add_feed(s, "https://news.example/feed.xml", source="Example News")
            source_id, feed_id = feed.source_id, feed.id
        with db.session() as s:
            for i in range(50):
                article_store.save_article(
                    s,
                    _article(f"https://news.example/a/{i}", f"Body {i}."),
                    source_id=source_id,
                    feed_id=feed_id,
                )
        with db.engine.connect() as connection:
            for publisher in ("source", "feed"):
                compiled = article_store._lookup(publisher).compile(dialect=sqlite.dialect())
                params = {**compiled.params, "url": "u", "date_path": "2026/12/01", "slug": "s"}
                params.update(content_hash="h", source_id=source_id, feed_id=feed_id)
                plan = [
                    row[-1]
                    for row in connection.exec_driver_sql(
                        f"EXPLAIN QUERY PLAN {compiled}", tuple(params[k] for k in compiled.positiontup or ())
                    )
                ]
                same_text = [step for step in plan if "content_hash" in step or "source_id" in step]
                assert len(same_text) == 1, (publisher, plan)  # the feed's also reads feed_id from the row
                assert same_text[0].startswith("SEARCH articles USING"), (publisher, plan)
                assert same_text[0].endswith("ix_articles_hash_source (content_hash=? AND source_id=?)")
            assert connection.execute(text("SELECT count(*) FROM articles")).scalar() == 50
    finally:
        db.dispose()
