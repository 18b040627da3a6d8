"""Backfill throughput: synthetic WARC articles into PostgreSQL with 1 and then 2 Dask workers, side by side.

``bench/make_corpus.py`` writes the corpus; each run backfills it into a fresh PostgreSQL schema on the server at
127.0.0.1:5432 (``GAZETTE_TEST_PG_URL`` to change it) through a local Dask cluster — the same tasks as
``gazette backfill`` (``pipeline.backfill_range`` per record range, batched upserts) — then the story pass on
the client, the workers making each chunk's story features ahead of it. Each worker loads its models before
the clock starts (a one-off cost of seconds per worker). Printed per run: records/s of the worker phase,
articles/s of the story pass, and of the whole; then the speed-up of 2 workers over 1 (target ≥ 1.7× on 2 cores,
for the worker phase that the workers run).

Usage: ``python bench/backfill.py [--articles N]`` (quick default 500; the full run is 100,000).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import make_corpus  # noqa: E402

from gazette.config import Settings, load_settings  # noqa: E402
from gazette.ingest.warc import WarcRange, plan_ranges  # noqa: E402
from gazette.pipeline import BackfillCounts, Pipeline, backfill_range, dask_story_inputs  # noqa: E402
from gazette.store.bulk import Statistics  # noqa: E402
from gazette.store.db import Database  # noqa: E402

PG_ADMIN_URL = os.environ.get("GAZETTE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BATCH = 250


@dataclass
class Run:
    workers: int
    counts: BackfillCounts
    worker_seconds: float
    story_seconds: float

    @property
    def records_per_second(self) -> float:
        return self.counts.records / self.worker_seconds

    @property
    def total_per_second(self) -> float:
        return self.counts.records / (self.worker_seconds + self.story_seconds)


def _warm(settings: Settings) -> None:
    """Load the models of this worker process (what its first task would otherwise pay)."""
    from gazette import models
    from gazette.pipeline import _backfill_resources, process_page

    _, enricher = _backfill_resources(settings)
    uri = "http://warm-up.invalid/"
    page = b"<html><body><article>" + b"<p>The council of Lisbon met on Monday about schools.</p>" * 10
    doc = models.FetchedDocument(
        url=uri, final_url=uri, status=200, content=page + b"</article></body></html>"
    )
    process_page(enricher, doc, None, feed_section=None, source_country=None)


def backfill_once(ranges: list[WarcRange], workers: int) -> Run:
    from distributed import Client, LocalCluster, as_completed

    schema = f"gz_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    settings = load_settings(env={}, overrides={"database_url": url})
    db = Database(url)
    db.init()
    try:
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address="127.0.0.1:0",  # its status server on a free port, never 8787
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            client.run(_warm, settings)
            started = time.perf_counter()
            futures = [
                client.submit(backfill_range, settings, r, batch_size=min(BATCH, r.count), pure=False)
                for r in ranges
            ]
            counts = BackfillCounts()
            statistics = Statistics(db)  # as `gazette backfill` does: the server here runs no autovacuum
            for future in as_completed(futures):
                counts.add(future.result())
                statistics.grown(counts.new)
            worker_seconds = time.perf_counter() - started
            # the story pass as `gazette backfill` runs it: the workers make the features, the client places
            started = time.perf_counter()
            statistics.analyze()
            with Pipeline(settings, db, processes=1) as pipeline:
                pipeline.assign_stories(prepare=dask_story_inputs(client, settings))
            story_seconds = time.perf_counter() - started
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return Run(workers, counts, worker_seconds, story_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Backfill synthetic articles with 1 and 2 Dask workers.")
    parser.add_argument(
        "--articles", type=int, default=500, help="Synthetic articles (default 500; the full run: 100000)."
    )
    args = parser.parse_args(argv)
    logging.getLogger("distributed").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_corpus(args.articles, Path(tmp), per_file=max(1, min(10_000, args.articles // 4)))
        # at least 16 tasks, so that two workers finish together even at the quick size
        per_range = min(BATCH * 4, max(10, args.articles // 16))
        ranges = [r for p in paths for r in plan_ranges(p, per_range)]
        print(
            f"backfill of {args.articles:,} synthetic articles into PostgreSQL ({os.cpu_count()} CPUs), "
            f"{len(ranges)} tasks"
        )
        print(
            f"{'workers':>8} {'new':>7} {'copies':>6} {'skip':>5} {'fail':>5} {'workers s':>10} "
            f"{'records/s':>10} {'stories s':>10} {'overall/s':>10}",
            flush=True,
        )
        runs = []
        # each row as its run ends: a long run's first half is not lost with the second
        for workers in (1, 2):
            run = backfill_once(ranges, workers)
            runs.append(run)
            c = run.counts
            print(
                f"{run.workers:>8} {c.new:>7} {c.duplicates:>6} {c.skipped:>5} {c.failed:>5} "
                f"{run.worker_seconds:>10.1f} {run.records_per_second:>10.1f} {run.story_seconds:>10.1f} "
                f"{run.total_per_second:>10.1f}",
                flush=True,
            )
    one, two = runs
    print(
        f"speed-up with 2 workers: {two.records_per_second / one.records_per_second:.2f}x for the workers' phase "
        f"(target >= 1.7x), {two.total_per_second / one.total_per_second:.2f}x overall with the story pass"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
