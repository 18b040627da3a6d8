"""Ingest on every core: pages extracted and enriched in worker processes store what one process stores."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gazette import models
from gazette.config import load_settings
from gazette.demo.publisher import DemoPublisher
from gazette.pipeline import _WARM_UP_PAGE, Enricher, InFlight, Pipeline, Processed, _PageWork, process_page
from gazette.store import subscriptions as feed_store
from gazette.store.db import Database
from gazette.store.schema import Article, ArticleLocale, BriefSentenceRow
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def publisher() -> Iterator[DemoPublisher]:
    with DemoPublisher() as pub:
        yield pub


def _ingest(url: str, publisher: DemoPublisher, processes: int) -> tuple[list[tuple[object, ...]], set[int]]:
    """Ingest the demo feeds; returns the stored articles and the ids of the processes that did the work."""
    settings = make_settings(url, pipeline={"workers": processes})
    db = Database(url)
    db.init()
    with db.session() as s:
        for f in publisher.feeds():
            feed_store.add_feed(s, f.url, section=f.section, source=f.source)
    pids: set[int] = set()
    try:
        with Pipeline(settings, db) as pipeline:
            report = pipeline.ingest(force=True)
            assert report.new >= 25 and not report.failures
            if pipeline._pool is not None:
                pids = {p for p in pipeline._pool._processes}  # type: ignore[attr-defined]
        with db.session() as s:
            rows = s.execute(
                select(
                    Article.canonical_url,
                    Article.title,
                    Article.content_hash,
                    Article.section,
                    Article.language,
                    select(func.count(ArticleLocale.id))
                    .where(ArticleLocale.article_id == Article.id)
                    .scalar_subquery(),
                    select(func.count(BriefSentenceRow.id))
                    .where(BriefSentenceRow.article_id == Article.id)
                    .scalar_subquery(),
                )
            ).all()
    finally:
        db.dispose()
    return sorted(tuple(r) for r in rows), pids


def test_two_worker_processes_store_what_one_process_stores(tmp_path: Path, publisher: DemoPublisher) -> None:
    alone, no_pids = _ingest(f"sqlite:///{tmp_path}/one.db", publisher, 1)
    together, pids = _ingest(f"sqlite:///{tmp_path}/two.db", publisher, 2)
    assert no_pids == set()  # one worker: everything in this process
    assert len(pids) == 2 and os.getpid() not in pids
    assert together == alone


def test_workers_default_to_one_per_core_and_can_be_set() -> None:
    cores = len(os.sched_getaffinity(0))
    assert load_settings(env={}).pipeline.workers == cores
    assert load_settings(env={"GAZETTE_PIPELINE_WORKERS": "3"}).pipeline.workers == 3
    from gazette.errors import ConfigError

    with pytest.raises(ConfigError, match="pipeline.workers"):
        load_settings(env={"GAZETTE_PIPELINE_WORKERS": "0"})


def test_a_page_whose_worker_died_is_processed_in_the_ingesting_process() -> None:
    """A worker killed (out of memory, kill -9) breaks the pool; its pages are not lost but done here."""
    settings = make_settings("sqlite://")
    page_html = (
        Path(__file__).resolve().parents[1] / "extract" / "fixtures" / "news_chrome.html"
    ).read_bytes()
    url = "https://news.example.com/world/prisoner-releases"
    page = models.FetchedDocument(url=url, final_url=url, status=200, content=page_html)
    broken: Future[Processed] = Future()
    broken.set_exception(BrokenProcessPool("a worker died"))
    released = []
    work = _PageWork(page, models.FeedEntry(url=url), None, None, broken, lambda: released.append(1))
    processed = work.result(Enricher(settings))
    assert (
        processed.article is not None
        and processed.article.title == "Prisoner releases prove slower than promised"
    )
    assert processed.article.section is not None and processed.article.brief
    assert released == [1]  # its place among the pages in flight is given back


def test_the_warm_up_page_reaches_every_model_a_page_needs() -> None:
    """Workers are forked after the warm-up, so it must load what a real page loads: a page that extraction
    rejects (too few words) would leave the language identifier, classifier and gazetteer to every worker."""
    uri = "http://warm-up.invalid/"
    page = models.FetchedDocument(url=uri, final_url=uri, status=200, content=_WARM_UP_PAGE)
    processed = process_page(
        Enricher(make_settings("sqlite://")), page, None, feed_section=None, source_country=None
    )
    article = processed.article
    assert article is not None, processed.reason
    assert article.language == "en" and article.section is not None and article.brief
    assert [loc.name for loc in article.locales][:1] == ["Lisbon"]
    assert processed.story is not None and processed.index_entry is not None


def test_pages_in_flight_are_bounded_by_count_and_bytes_but_one_always_passes() -> None:
    limit = InFlight(pages=3, size=100)
    assert limit.acquire(500, timeout=0)  # larger than the byte limit, but nothing is in flight
    assert not limit.acquire(1, timeout=0)  # the bytes are spent
    limit.release(500)
    assert limit.acquire(40, timeout=0) and limit.acquire(40, timeout=0)
    assert not limit.acquire(40, timeout=0)  # 120 bytes > 100
    assert limit.acquire(20, timeout=0)
    assert not limit.acquire(0, timeout=0)  # 3 pages
    limit.release(40)
    assert limit.acquire(0, timeout=0)
