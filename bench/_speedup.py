"""Ingest speed-up on every core: the same feed ingested with 1 worker process and with 2, side by side.

The 181 pages of the article-extraction benchmark (``article-extraction-benchmark/html``) are served over local
HTTP as one RSS feed; each run ingests it into a fresh SQLite file through ``Pipeline`` (fetch, extract, enrich,
brief, stories, store), with ``[pipeline] workers`` set to 1 (the baseline: everything in one process) and then
2. The models are loaded and the worker processes started before the clock starts in both runs (a one-off cost
of a few seconds per process start, which ``gazette run`` pays once), so the figures compare articles per
second once running.

Other jobs share this machine and its load changes from minute to minute: the two runs are repeated in turn
(1, 2, then 2, 1, …) and each round gives its own speed-up, of runs taken back to back; the median of the rounds
is the figure. The CPU time of each run is taken too (this process's, and its reaped worker processes'): with 2
workers, ``idle cores`` is the most the run's own CPU time allows on two idle cores, the 1-worker run's CPU time
over the larger of the storing process's and half of all (a figure the other jobs move much less than the wall
time). Beside each round, ``machine`` is the speed-up that two busy loops in two processes get over one
at that moment: the most any two processes could get then (2.0 on two idle cores; less when other jobs hold
them).

Usage: ``python bench/_speedup.py [--pages N] [--rounds N]``; ``measure_speedup()`` is what
``bench/pipeline.py`` calls.
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from _datasets import datasets_dir

from gazette.config import load_settings
from gazette.pipeline import Pipeline, process_page
from gazette.store import subscriptions as feed_store
from gazette.store.db import Database


@dataclass
class SpeedupResult:
    """One round: the feed ingested with 1 worker and with 2, back to back."""

    pages: int
    seconds_1: float
    seconds_2: float
    stored_1: int
    stored_2: int
    cpu_1: float = 0.0  # CPU seconds of the 1-worker run
    main_2: float = 0.0  # CPU seconds of the storing process with 2 workers
    workers_2: float = 0.0  # CPU seconds of the 2 worker processes
    load: float = 0.0  # the 1-minute load average after the round
    machine: float = 0.0  # what two busy processes get over one at that moment (``machine_speedup``)

    @property
    def rate_1(self) -> float:
        return self.stored_1 / self.seconds_1

    @property
    def rate_2(self) -> float:
        return self.stored_2 / self.seconds_2

    @property
    def speedup(self) -> float:
        return self.rate_2 / self.rate_1

    @property
    def idle_cores(self) -> float:
        """The speed-up the CPU times allow on two idle cores: work spread evenly, the storing process apart."""
        return self.cpu_1 / max(self.main_2, (self.main_2 + self.workers_2) / 2)


def load_pages(limit: int | None = None) -> dict[str, bytes]:
    folder = datasets_dir() / "article-extraction-benchmark" / "html"
    files = sorted(folder.glob("*.html.gz"))[:limit]
    return {f.name.removesuffix(".html.gz"): gzip.decompress(f.read_bytes()) for f in files}


@contextmanager
def serve_feed(pages: dict[str, bytes]) -> Iterator[str]:
    """Serve the pages and an RSS feed listing them on a free 127.0.0.1 port; yields the feed URL."""
    holder: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = holder.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            kind = "application/rss+xml" if self.path == "/feed.xml" else "text/html; charset=utf-8"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    items = "".join(
        f"<item><title>{escape(key)}</title><link>{base}/{key}.html</link><guid>{key}</guid></item>"
        for key in pages
    )
    holder["/feed.xml"] = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Benchmark</title><link>{base}/</link>'
        f"{items}</channel></rss>"
    ).encode()
    holder.update({f"/{key}.html": body for key, body in pages.items()})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{base}/feed.xml"
    finally:
        server.shutdown()
        server.server_close()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ingest_once(feed_url: str, workers: int, folder: Path) -> tuple[float, int, float, float]:
    """Seconds to ingest the feed into a fresh SQLite file with ``workers`` processes, articles stored, and the
    CPU seconds of this process and of the worker processes (reaped when the pipeline closes) meanwhile."""
    settings = load_settings(
        env={},
        overrides={
            "database_url": f"sqlite:///{folder}/w{workers}.db",
            "fetch": {"allow_hosts": ["127.0.0.1"], "delay_seconds": 0.0, "max_items": 1000},
            "pipeline": {"workers": workers},
        },
    )
    db = Database(settings.database_url)
    db.init()
    with db.session() as s:
        feed_store.add_feed(s, feed_url)
    try:
        with Pipeline(settings, db) as pipeline:
            if hasattr(pipeline, "warm_up"):
                pipeline.warm_up()
            else:  # a checkout from before: its models load on a page of its own; its workers with the first page
                from gazette import models

                uri = "http://warm-up.invalid/"
                warm = models.FetchedDocument(
                    url=uri, final_url=uri, status=200, content=b"<html><p>warm</p></html>"
                )
                process_page(pipeline.enricher, warm, None, feed_section=None, source_country=None)
                pipeline.enricher.enrich(
                    models.Article(
                        url=uri, canonical_url=uri, title="Warm-up", text="Lisbon council met. " * 30
                    ),
                    feed_section=None,
                    source_country=None,
                )
            children = _children_cpu()
            started, cpu = time.perf_counter(), time.process_time()
            report = pipeline.ingest(force=True)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        db.dispose()
    return seconds, report.new, cpu, _children_cpu() - children


def _spin(seconds: float) -> int:
    """A busy loop of ``seconds`` of CPU; returns the rounds it made."""
    rounds, end = 0, time.process_time() + seconds
    while time.process_time() < end:
        rounds += 1
    return rounds


def machine_speedup(seconds: float = 0.5) -> float:
    """Rounds of a busy loop per wall second in two processes at once, over one process alone."""
    import multiprocessing

    started = time.perf_counter()
    one = _spin(seconds) / (time.perf_counter() - started)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        started = time.perf_counter()
        both = sum(pool.map(_spin, [seconds, seconds], chunksize=1)) / (time.perf_counter() - started)
    return both / one


def measure_speedup(pages: int | None = None, rounds: int = 3) -> list[SpeedupResult]:
    """Ingest the benchmark feed with 1 worker and with 2, ``rounds`` times in turn (1, 2; 2, 1; …); returns
    each round's times, counts and speed-up."""
    loaded = load_pages(pages)
    results = []
    with serve_feed(loaded) as feed_url:
        for round_ in range(rounds):
            seconds: dict[int, tuple[float, int, float, float]] = {}
            for workers in (1, 2) if round_ % 2 == 0 else (2, 1):
                with tempfile.TemporaryDirectory() as tmp:
                    seconds[workers] = ingest_once(feed_url, workers, Path(tmp))
            (seconds_1, stored_1, cpu_1, _), (seconds_2, stored_2, main_2, workers_2) = seconds[1], seconds[2]
            load, machine = os.getloadavg()[0], machine_speedup()
            results.append(
                SpeedupResult(
                    len(loaded),
                    seconds_1,
                    seconds_2,
                    stored_1,
                    stored_2,
                    cpu_1,
                    main_2,
                    workers_2,
                    load,
                    machine,
                )
            )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--pages", type=int, default=None, help="Use only the first N pages (default: all 181)."
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of 1 and 2 workers back to back (default: 3)"
    )
    args = parser.parse_args(argv)
    results = measure_speedup(args.pages, args.rounds)
    print(
        f"ingest of {results[0].pages} benchmark pages served over local HTTP as one feed ({os.cpu_count()} CPUs),"
        f" {len(results)} rounds of 1 and 2 workers in turn"
    )
    print(
        f"{'round':>5} {'stored':>7} {'1 worker s':>11} {'art/s':>6} {'2 workers s':>12} {'art/s':>6}"
        f" {'speed-up':>9} {'load':>5} {'machine':>8} {'CPU s 1':>8} {'2: main+workers':>16}"
        f" {'idle cores':>11}"
    )
    for number, r in enumerate(results, 1):
        print(
            f"{number:>5} {r.stored_1:>7} {r.seconds_1:>11.1f} {r.rate_1:>6.2f} {r.seconds_2:>12.1f}"
            f" {r.rate_2:>6.2f} {r.speedup:>8.2f}x {r.load:>5.2f} {r.machine:>7.2f}x {r.cpu_1:>8.1f}"
            f" {f'{r.main_2:.1f}+{r.workers_2:.1f}':>16} {r.idle_cores:>10.2f}x"
        )
    speedup = statistics.median(r.speedup for r in results)
    print(f"speed-up with 2 workers, median of the rounds: {speedup:.2f}x (target >= 1.7x)")
    idle = statistics.median(r.idle_cores for r in results)
    print(f"at most on 2 idle cores by the runs' CPU time, median: {idle:.2f}x")
    print(f"RESULT ingest_speedup_2_workers {speedup:.2f} >=1.7")
    return 0


if __name__ == "__main__":
    sys.exit(main())
