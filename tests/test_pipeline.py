"""End to end: the demo publisher over real HTTP → pipeline → store, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gazette import models
from gazette.demo.publisher import DemoPublisher
from gazette.enrich.stories import story_input
from gazette.pipeline import Enricher, Pipeline, process_page
from gazette.store import subscriptions as feed_store
from gazette.store.db import Database
from gazette.store.schema import Article, Feed
from gazette.store.search import prepare_entry
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def publisher() -> Iterator[DemoPublisher]:
    with DemoPublisher() as pub:
        yield pub


def _subscribe(db: Database, publisher: DemoPublisher, extra: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    urls = []
    with db.session() as s:
        for f in publisher.feeds():
            feed_store.add_feed(s, f.url, section=f.section, source=f.source)
            urls.append(f.url)
        for url in extra:
            feed_store.add_feed(s, url, source="Broken Source")
            urls.append(url)
    return urls


def _count(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count(Article.id))) or 0)


def test_demo_ingests_once_and_twice_is_idempotent(db: Database, publisher: DemoPublisher) -> None:
    settings = make_settings(db.url)
    broken = f"{publisher.base_url}/no-such-feed.xml"
    urls = _subscribe(db, publisher, [broken])
    with Pipeline(settings, db) as pipeline:
        first = pipeline.ingest(urls, force=True)
    stored = _count(db)
    expected = {a.url.split("?")[0] for a in publisher.articles()}
    assert first.new == stored
    assert stored == len(expected) >= 25
    assert first.feeds_failed == 1 and any(f.url == broken for f in first.failures)

    with Pipeline(settings, db) as pipeline:
        second = pipeline.ingest(urls, force=True)
    assert _count(db) == stored
    assert second.new == 0

    with db.session() as s:
        feed = s.scalar(select(Feed).where(Feed.url == broken))
        assert feed is not None and feed.error_count == 2 and "404" in (feed.last_error or "")
        good = s.scalar(select(Feed).where(Feed.url == urls[0]))
        assert good is not None and good.error_count == 0 and good.lease_until is None
        rows = list(s.scalars(select(Article)))
        # every article is enriched and filed
        assert all(r.section for r in rows)
        assert all(r.brief for r in rows if len(r.text) > 400)
        # Windows-1252 page without charset is stored correctly, and no mojibake anywhere
        assert any("Bolívar" in r.text for r in rows)
        assert not any("Ã" in r.text or "Ă" in r.text or "â€" in r.text for r in rows)
        # hostile markup never reaches the stored html
        assert not any("<script" in r.html.lower() or "onerror" in r.html.lower() for r in rows)
        assert not any("javascript:" in r.html.lower() for r in rows)
        # an article without any date keeps a NULL date ("date unknown" on the page)
        assert any(r.published_at is None for r in rows)
        # the article listed in two feeds (once with tracking parameters) is stored once
        assert len({r.canonical_url for r in rows}) == len(rows)
        assert not any("utm_" in r.canonical_url for r in rows)


def test_each_feed_is_reported_once_as_ok_not_modified_or_failed(
    sqlite_url: str, publisher: DemoPublisher
) -> None:
    """The run's events: one "feed" event per feed (ok or not), entries counted, each article said; a second
    run gets 304 for the feeds that did not change."""
    db = Database(sqlite_url)
    db.init()
    try:
        settings = make_settings(db.url)
        broken = f"{publisher.base_url}/no-such-feed.xml"
        urls = _subscribe(db, publisher, [broken])
        events: list[tuple[str, dict[str, object]]] = []
        with Pipeline(settings, db, progress=lambda kind, data: events.append((kind, data))) as pipeline:
            first = pipeline.ingest(urls, force=True)
        feed_events = [data for kind, data in events if kind == "feed"]
        assert sorted(str(d["url"]) for d in feed_events) == sorted(urls)
        assert [d["url"] for d in feed_events if not d["ok"]] == [broken]
        assert (first.feeds_ok, first.feeds_not_modified, first.feeds_failed) == (len(urls) - 1, 0, 1)
        entries = sum(int(d["count"]) for kind, d in events if kind == "entries")  # type: ignore[call-overload]
        assert entries >= first.new > 0
        assert sum(1 for kind, d in events if kind == "article" and d["ok"]) >= first.new

        with Pipeline(settings, db) as pipeline:
            second = pipeline.ingest(urls, force=True)
        assert second.feeds_failed == 1 and second.new == 0
        assert second.feeds_not_modified >= 1
        assert second.feeds_ok + second.feeds_not_modified == len(urls) - 1
    finally:
        db.dispose()


def test_feed_default_section_catches_what_the_classifier_is_unsure_of(
    db: Database, publisher: DemoPublisher
) -> None:
    """Over real HTTP: below ``sections.threshold`` a feed's default section is used; a declared section
    still wins; a feed without either gets ``sections.default``."""
    # A high threshold puts most undeclared articles below it (the shipped model is sure of a few).
    threshold = 0.995
    settings = make_settings(db.url, sections={"threshold": threshold, "default": "society"})
    feeds = publisher.feeds()
    declared = next(f for f in feeds if f.section)
    # feeds of other publishers than the declaring feed's, so that no article is listed in two of them
    undeclared = [f for f in feeds if not f.section and f.source != declared.source]
    assert len(undeclared) >= 2, "the demo publisher needs two other publishers' feeds without a section"
    with_default, without_default = undeclared[0], undeclared[1]
    with db.session() as s:
        feed_store.add_feed(s, declared.url, section=declared.section, default_section="environment")
        feed_store.add_feed(s, with_default.url, default_section="health")
        feed_store.add_feed(s, without_default.url)
    urls = [declared.url, with_default.url, without_default.url]
    with Pipeline(settings, db) as pipeline:
        report = pipeline.ingest(urls, force=True)
    assert report.new > 0
    filed: dict[str, list[tuple[str | None, str | None, float | None]]] = {}
    with db.session() as s:
        for row in s.scalars(select(Article)):
            feed = s.get(Feed, row.feed_id)
            assert feed is not None
            filed.setdefault(feed.url, []).append((row.section, row.section_method, row.section_confidence))
    assert {(slug, method) for slug, method, _ in filed[declared.url]} == {(declared.section, "feed")}
    for url, fallback in (
        (with_default.url, ("health", "feed-default")),
        (without_default.url, ("society", "default")),
    ):
        rows = filed[url]
        unsure = [(slug, method) for slug, method, conf in rows if conf is not None and conf < threshold]
        assert unsure and set(unsure) == {fallback}, url
        # what the classifier was sure of stays where it put it
        assert all(
            method == "classifier" for _, method, conf in rows if conf is not None and conf >= threshold
        )


def test_the_worker_makes_what_the_storing_side_would(tmp_path: Path) -> None:
    """Story features, fingerprint and search terms come back with the processed page (made in the worker),
    equal to what the storing side would make from the stored title and text; a backfill leaves them out."""
    settings = make_settings(f"sqlite:///{tmp_path}/w.db")
    enricher = Enricher(settings)
    fixture = Path(__file__).parent / "extract" / "fixtures" / "spanish_utf8.html"
    url = "http://127.0.0.1/spanish.html"
    page = models.FetchedDocument(
        url=url,
        final_url=url,
        status=200,
        content=fixture.read_bytes(),
        headers={"content-type": "text/html"},
    )
    processed = process_page(enricher, page, None, feed_section=None, source_country=None)
    article = processed.article
    assert article is not None and processed.story is not None and processed.index_entry is not None
    max_chars = settings.enrich.max_chars
    assert processed.story == story_input(article.title, article.text, article.language, max_chars=max_chars)
    assert processed.index_entry == prepare_entry(article.title, article.text, article.language)
    bare = process_page(enricher, page, None, feed_section=None, source_country=None, prepare_store=False)
    assert bare.article is not None and bare.story is None and bare.index_entry is None


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_an_enriching_process_and_the_workers_it_forks_keep_blas_to_one_thread(tmp_path: Path) -> None:
    """Pages are spread over processes; BLAS threads on one article's small matrices only spin."""
    import multiprocessing

    from threadpoolctl import threadpool_limits

    assert _blas_threads(), "numpy loads a BLAS"
    with threadpool_limits(limits=2, user_api="blas"):  # as numpy starts on a machine of 2 or more cores
        Enricher(make_settings(f"sqlite:///{tmp_path}/b.db"))
        assert set(_blas_threads()) == {1}
        with multiprocessing.get_context("fork").Pool(1) as pool:
            assert set(pool.apply(_blas_threads)) == {1}
