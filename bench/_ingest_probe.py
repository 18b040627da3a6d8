"""Ingest into a loaded store beside an empty one: what storing and placing one article costs at volume.

``bench/scale.py`` loads N articles and then calls ``run_probe``: the 181 pages of the article-extraction
benchmark are extracted and enriched once (``pipeline.process_page``, as an ingest worker does), then stored one
article per transaction, as ``gazette ingest`` stores them — the tombstone check, ``save_article``, story and
near-duplicate assignment (``assign_story`` under a savepoint), topic watches, commit — into the loaded store
and into an empty one with the same migrations, the two taking turns article by article (the one that goes
first on an article goes second on the next). The articles come from the loaded store's busiest source and are
dated after its newest article, as the next hours of a running desk would be. The first articles warm each
store's story window (its first load reads every member the window holds) and are not timed.

It prints, per database, this process's CPU time and the wall time per article (median and mean) in each store,
and the ratio loaded / empty of the means. PostgreSQL's own work is in the wall time, not in the CPU time.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

WARM_UP = 10


@dataclass
class Timings:
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)


def prepared_articles(limit: int) -> list[Any]:
    """``Processed`` results (article, story input, search terms) of up to ``limit`` benchmark pages."""
    from _datasets import datasets_dir
    from pipeline import load_pages

    from gazette import models
    from gazette.config import Settings
    from gazette.pipeline import Enricher, process_page

    enricher = Enricher(Settings())
    out = []
    for page in load_pages(datasets_dir()):
        doc = models.FetchedDocument(
            url=page.url,
            final_url=page.url,
            status=200,
            content=page.html,
            headers={"content-type": "text/html"},
        )
        done = process_page(enricher, doc, None, feed_section=None, source_country=None)
        if done.article is not None:
            out.append(done)
        if len(out) >= limit:
            break
    return out


class Store:
    """One database the probe writes into, with the source its articles come from."""

    def __init__(self, url: str, source_name: str, *, create: bool) -> None:
        from sqlalchemy import select

        from gazette.store.db import Database
        from gazette.store.schema import Source
        from gazette.store.sources import get_or_create_source

        self.db = Database(url)
        if create:
            self.db.init()
        with self.db.session() as s:
            found = s.scalar(select(Source.id).where(Source.name == source_name))
            self.source_id = found if found is not None else get_or_create_source(s, source_name).id
        self.timings = Timings()

    def ingest(self, processed: Any, when: datetime) -> None:
        """One article in one transaction, the calls ``Pipeline._store_article`` makes."""
        from gazette.pipeline import assign_story, match_watches
        from gazette.store import articles as article_store
        from gazette.store import tombstones as tombstone_store

        article = processed.article
        article.published_at = article.fetched_at = when
        with self.db.session() as s:
            if tombstone_store.is_barred(
                s,
                urls=[article.canonical_url, article.url],
                content_hash=article.content_hash,
                source_id=self.source_id,
            ):
                raise RuntimeError(f"{article.url} is barred in the probe's store")
            row, result = article_store.save_article(
                s, article, source_id=self.source_id, feed_id=None, index_entry=processed.index_entry
            )
            if result in (article_store.SaveResult.NEW, article_store.SaveResult.UPDATED):
                with s.begin_nested():
                    assign_story(
                        s, row, prepared=processed.story, new_row=result is article_store.SaveResult.NEW
                    )
            if result is article_store.SaveResult.NEW:
                match_watches(s, row.id, when)

    def timed(self, processed: Any, when: datetime) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.ingest(processed, when)
        self.timings.cpu.append(time.process_time() - cpu)
        self.timings.wall.append(time.perf_counter() - wall)


def newest_time(url: str) -> datetime:
    from sqlalchemy import func, select

    from gazette.store.db import Database
    from gazette.store.schema import Article

    db = Database(url)
    try:
        with db.session() as s:
            newest = s.scalar(select(func.max(func.coalesce(Article.published_at, Article.fetched_at))))
    finally:
        db.dispose()
    if newest is None:
        raise RuntimeError("the loaded store holds no article")
    return newest  # type: ignore[no-any-return]


def run_probe(
    label: str,
    loaded_url: str,
    empty_url: str,
    source_name: str,
    held: int,
    articles: list[Any],
    report: Callable[[str], None] = print,
) -> float:
    """Store ``articles`` into both stores in turns; report the figures and return loaded/empty (CPU means)."""
    start = newest_time(loaded_url) + timedelta(minutes=5)
    loaded = Store(loaded_url, source_name, create=False)
    empty = Store(empty_url, source_name, create=True)
    try:
        for i, processed in enumerate(articles):
            when = start + timedelta(minutes=i)
            pair = (loaded, empty) if i % 2 == 0 else (empty, loaded)
            for store in pair:
                if i < WARM_UP:
                    store.ingest(processed, when)
                else:
                    store.timed(processed, when)
    finally:
        loaded.db.dispose()
        empty.db.dispose()
    n = len(loaded.timings.cpu)

    def ms(values: list[float]) -> str:
        p90 = statistics.quantiles(values, n=10)[-1]
        return " ".join(
            f"{1000 * v:6.2f}"
            for v in (statistics.median(values), p90, max(values), statistics.fmean(values))
        )

    report(
        f"{label}: storing and placing one article (tombstone check, save, story, watches, commit), "
        f"{n} articles of one source, ms: median, p90, max, mean"
    )
    report(f"  {'store':<28} {'CPU':>27} {'wall':>27}")
    report(f"  {f'loaded ({held:,} articles)':<28} {ms(loaded.timings.cpu)} {ms(loaded.timings.wall)}")
    report(f"  {'empty':<28} {ms(empty.timings.cpu)} {ms(empty.timings.wall)}")
    cpu_ratio = statistics.fmean(loaded.timings.cpu) / statistics.fmean(empty.timings.cpu)
    wall_ratio = statistics.fmean(loaded.timings.wall) / statistics.fmean(empty.timings.wall)
    report(f"  loaded / empty: CPU {cpu_ratio:.2f}x, wall {wall_ratio:.2f}x (means)")
    report(f"RESULT {label}.ingest_cpu_ratio {cpu_ratio:.3f} -")
    report(f"RESULT {label}.ingest_wall_ratio {wall_ratio:.3f} -")
    return cpu_ratio
