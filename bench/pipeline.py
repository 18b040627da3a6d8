"""The cost of one article: Gazette's whole per-article path beside ``trafilatura.extract`` alone.

Part 1 runs the 181 pages of the article-extraction benchmark (``article-extraction-benchmark/html``) in one
process pinned to one core, side by side in one loop, (a) and (b) taking turns page by page (the one that goes
first on a page goes second on the next):

- (a) ``trafilatura.extract`` on each page, nothing else;
- (b) Gazette's path: extract (``extract_article``), enrich (section and locales), brief, the story features,
  fingerprint and search terms (``story_input``, ``search.prepare_entry``: made once where the article is
  enriched, as an ingest worker does), then in one transaction per article the store write (``save_article``)
  and story + near-duplicate assignment (``assign_story``), into SQLite and again into PostgreSQL (a fresh
  schema, dropped after). Against a checkout from before those, the store and story steps make them
  themselves, once per store.

It prints articles/s, CPU ms per article per stage, the ratio b/a of CPU time per article (target ≤ 1.5) and
each stage's share of that budget. CPU time is this process's (``time.process_time``): PostgreSQL's own
server work is not in it, SQLite's is. (a) used to be timed in a loop of its own before (b): hot caches and a
heap without Gazette's models made it 5–20 % cheaper than beside (b), and Gazette's extraction looked 1.5×
(a) where ``bench/extract.py``, which takes turns too, measures 1.2×.

Part 2 prints the CPU cost of placing one article (story and near-duplicate assignment, ``Clusterer.place`` +
``add`` + eviction) at the 1,000th, 100,000th and 1,000,000th article of a synthetic stream of 100,000 articles
a day. The window before each checkpoint is loaded in bulk through ``Clusterer.add_many`` (the same window as
``add`` one by one) — every article a 100,000/day stream would still hold with the shipped window and slack (4
days: up to 400,000) — then the next articles are placed one by one and timed. Each later checkpoint is timed
side by side with a fresh copy of the first one's window, batches in turn, and its ratio is to the first as
measured alongside it. Target: the last at most 1.2× the first. The stream: Zipf-drawn
words from a 50,000-stem vocabulary (150–300 words an article), events of 8 articles sharing names and
topic words (8 articles an event), 10% Spanish, 7% near-copies of an earlier article.

Usage: ``python bench/pipeline.py`` (quick: stream checkpoints 1,000 / 10,000 / 30,000; ``--full`` for
1,000 / 100,000 / 1,000,000; ``--stream N,N,N`` for others; ``--no-pages`` or ``--no-stream`` to skip a part;
``--pg-url`` for PostgreSQL, default $GAZETTE_TEST_PG_URL or the local test server; ``--live-dates`` dates the
pages as a live desk receives them, instead of by their own dates, which lie years apart, so that most of them
are older than the kept window reaches and are placed on a window of their own, kept for the next ones).
Data from $GAZETTE_DATASETS or ../shared/datasets.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from _datasets import datasets_dir

TARGET_RATIO = 1.5
TARGET_STREAM = 1.2
PER_DAY = 100_000
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pin_one_core(core: int | None) -> str:
    if hasattr(os, "sched_setaffinity"):
        allowed = os.sched_getaffinity(0)
        chosen = core if core is not None and core in allowed else max(allowed)
        os.sched_setaffinity(0, {chosen})
        return f"pinned to core {chosen}"
    return "not pinned (no sched_setaffinity here)"


@dataclass(frozen=True)
class Page:
    url: str
    html: bytes


def load_pages(root: Path) -> list[Page]:
    base = root / "article-extraction-benchmark"
    truth = json.loads((base / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth):
        path = base / "html" / f"{key}.html.gz"
        pages.append(Page(truth[key]["url"], gzip.decompress(path.read_bytes())))
    return pages


@dataclass
class Clock:
    """CPU seconds by stage."""

    cpu: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.process_time()
        try:
            yield
        finally:
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - start


class Baseline:
    """(a): ``trafilatura.extract`` on a page, nothing else; CPU and wall seconds summed over the pages."""

    def __init__(self, pages: list[Page]) -> None:
        import trafilatura

        self.extract = trafilatura.extract
        self.extract(pages[0].html)  # warm-up: imports and caches, as a long-running process has them
        self.cpu = self.wall = 0.0
        self.found = 0

    def run(self, page: Page) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        found = self.extract(page.html, url=page.url)
        self.cpu += time.process_time() - cpu
        self.wall += time.perf_counter() - wall
        self.found += bool(found)


def run_gazette(
    pages: list[Page], db_urls: dict[str, str], baseline: Baseline, live_dates: bool = False
) -> tuple[Clock, float, int, dict[str, int]]:
    from gazette import models
    from gazette.config import Settings
    from gazette.enrich import briefs, locales, sections
    from gazette.errors import GazetteError
    from gazette.extract.article import extract_article

    try:
        from gazette.pipeline import assign_story
    except ImportError:  # a checkout from before the story window (to measure the baseline)
        from gazette.enrich.stories import assign_story  # type: ignore[attr-defined,no-redef]
    from gazette.store import articles as article_store
    from gazette.store.db import Database
    from gazette.store.sources import get_or_create_source

    try:  # made once per article where it is enriched (a worker), and reused by every store
        from gazette.enrich.stories import story_input
        from gazette.store.search import prepare_entry
    except ImportError:  # a checkout from before: the storing side computes them, once per store
        story_input = prepare_entry = None  # type: ignore[assignment]

    try:  # as an enriching process does (pipeline.Enricher)
        from gazette.pipeline import limit_blas_threads
    except ImportError:  # a checkout from before
        pass
    else:
        limit_blas_threads()
    settings = Settings()
    classifier = sections.load_classifier(settings.sections)
    databases = {name: Database(url) for name, url in db_urls.items()}
    source_ids = {}
    for name, db in databases.items():
        db.init()
        with db.session() as s:
            source_ids[name] = get_or_create_source(s, "Bench").id

    arrived = iter(range(10**9))

    def one(page: Page, clock: Clock, suffix: str = "") -> bool:
        doc = models.FetchedDocument(
            url=page.url + suffix,
            final_url=page.url + suffix,
            status=200,
            content=page.html,
            headers={"content-type": "text/html"},
        )
        with clock.stage("extract"):
            try:
                article = extract_article(doc, None)
            except GazetteError:
                return False
        article.fetched_at = datetime(2026, 12, 1, tzinfo=UTC)
        if live_dates:  # as a live desk sees them: published as they arrive, 100,000 a day
            article.fetched_at += timedelta(seconds=next(arrived) * 86_400 / PER_DAY)
            article.published_at = article.fetched_at
        with clock.stage("enrich"):
            article.section = sections.assign_section(
                article.title,
                article.text,
                feed_section=None,
                classifier=classifier,
                settings=settings.sections,
                language=article.language,
            )
            article.locales = locales.tag_locales(article.text, title=article.title, source_country=None)
        with clock.stage("brief"):
            article.brief = briefs.make_brief(
                article.text, settings.brief, language=article.language, title=article.title
            )
        story_kwargs, store_kwargs = {}, {}
        if story_input is not None:
            with clock.stage("worker: story features, fingerprint, search terms"):
                story_kwargs["prepared"] = story_input(article.title, article.text, article.language)
                store_kwargs["index_entry"] = prepare_entry(article.title, article.text, article.language)
        for name, db in databases.items():
            with clock.stage(f"store ({name})"):
                session_cm = db.session()
                s = session_cm.__enter__()
                row, result = article_store.save_article(
                    s, article, source_id=source_ids[name], feed_id=None, **store_kwargs
                )
            with clock.stage(f"stories ({name})"):
                if result is not article_store.SaveResult.UNCHANGED:
                    if story_kwargs:
                        story_kwargs["new_row"] = result is article_store.SaveResult.NEW
                    with s.begin_nested():
                        assign_story(s, row, **story_kwargs)
            with clock.stage(f"store ({name})"):
                session_cm.__exit__(None, None, None)  # commit
        return True

    one(pages[0], Clock(), suffix="#warm-up")  # models and windows load once per process
    try:  # and are frozen out of the garbage collector's sight, as an enriching process does (pipeline.Enricher)
        from gazette.heap import settle_heap
    except ImportError:  # a checkout from before
        pass
    else:
        settle_heap()
    clock = Clock()
    wall, ok = 0.0, 0
    for n, page in enumerate(pages):  # (a) and (b) take turns, the one first on a page second on the next
        if n % 2 == 0:
            baseline.run(page)
        started = time.perf_counter()
        ok += one(page, clock)
        wall += time.perf_counter() - started
        if n % 2 == 1:
            baseline.run(page)
    counts = {}
    try:
        from gazette.pipeline import story_window
    except ImportError:
        story_window = None  # type: ignore[assignment]
    for name, db in databases.items():
        if story_window is not None:
            with db.session() as s:
                window = story_window(s)
                counts[f"story window: loads ({name})"] = window.loads
                counts[
                    f"story window: articles older than its reach, placed on a window of their own ({name})"
                ] = window.stragglers
                # a checkout from before the kept straggler windows reads one per straggler
                kept = getattr(window, "straggler_windows", None)
                if kept is not None:
                    counts[f"story window: straggler windows read whole ({name})"] = kept.loads
                    counts[f"story window: straggler member rows read whole ({name})"] = kept.rows_read
        db.dispose()
    return clock, wall, ok, counts


@contextmanager
def pg_schema(url: str) -> Iterator[str | None]:
    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(url, connect_args={"connect_timeout": 3})
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - the bench goes on without PostgreSQL, saying so
        print(f"PostgreSQL not reachable ({type(exc).__name__}); its rows are left out", file=sys.stderr)
        yield None
        return
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def pages_part(root: Path, pg_url: str, live_dates: bool = False) -> list[str]:
    pages = load_pages(root)
    failures = []
    baseline = Baseline(pages)
    with tempfile.TemporaryDirectory() as tmp, pg_schema(pg_url) as pg:
        urls = {"sqlite": f"sqlite:///{tmp}/bench.db"}
        if pg is not None:
            urls["postgresql"] = pg
        clock, b_wall, ok, counts = run_gazette(pages, urls, baseline, live_dates)
    a_cpu, a_wall, a_found = baseline.cpu, baseline.wall, baseline.found
    n = len(pages)
    dates = "dated as a live stream (--live-dates)" if live_dates else "with the dates the pages carry"
    print(f"{n} pages, {dates}; (a) trafilatura.extract found text in {a_found}, (b) Gazette stored {ok}")
    print(f"{'path':<40} {'articles/s':>10} {'CPU ms/article':>15}")
    print(f"{'(a) trafilatura.extract alone':<40} {n / a_wall:10.1f} {1000 * a_cpu / n:15.1f}")
    print(
        f"{'(b) Gazette, every stage below':<40} {n / b_wall:10.1f} {1000 * sum(clock.cpu.values()) / n:15.1f}"
    )
    print()
    budget = TARGET_RATIO * a_cpu
    print(f"{'stage':<40} {'CPU ms/article':>15} {'× (a)':>7} {'share of budget':>16}")
    for stage, secs in clock.cpu.items():
        print(f"{stage:<40} {1000 * secs / n:15.1f} {secs / a_cpu:7.2f} {100 * secs / budget:15.0f}%")
    print(f"(budget: {TARGET_RATIO}× (a) = {1000 * budget / n:.1f} ms/article)")
    for name in urls:
        own = sum(v for k, v in clock.cpu.items() if "(" not in k or k.endswith(f"({name})"))
        ratio = own / a_cpu
        print(f"ratio b/a, one article stored into {name}: {ratio:.2f} (target ≤ {TARGET_RATIO})")
    for key, value in counts.items():
        print(f"{key}: {value}")
    return failures


# --- part 2: the synthetic stream ----------------------------------------------------------------------


class Stream:
    """A reproducible synthetic article stream (see the module docstring)."""

    VOCABULARY = 50_000
    NAMES = 200_000

    def __init__(self, seed: int = 2026) -> None:
        self.rng = np.random.default_rng(seed)
        ranks = np.arange(1, self.VOCABULARY + 1, dtype=np.float64)
        self.word_cdf = np.cumsum(1 / ranks) / np.sum(1 / ranks)
        self.words = np.array([f"w{i}" for i in range(self.VOCABULARY)], dtype=object)
        self.start = datetime(2026, 1, 1, tzinfo=UTC)

    def event_of(self, i: int) -> int:
        """Events of 8 articles, each spread over 64 consecutive ones (about a minute of the stream)."""
        return (i // 64) * 8 + i % 8

    def article(self, i: int) -> tuple[dict[str, int], frozenset[str], str, int]:
        """(terms, names, language, near-copy source or -1) of the i-th article, reproducible by index."""
        rng = np.random.default_rng((i * 2654435761) % (1 << 32))
        topic, names = self._event(self.event_of(i))
        length = int(rng.integers(150, 300))
        drawn = np.minimum(np.searchsorted(self.word_cdf, rng.random(length)), self.VOCABULARY - 1)
        drawn = np.concatenate([drawn, rng.choice(topic, size=20)])
        ids, counts = np.unique(drawn, return_counts=True)
        terms = dict(zip(self.words[ids].tolist(), counts.tolist(), strict=True))
        language = "es" if rng.random() < 0.1 else "en"
        copy_of = int(i - rng.integers(1, 50)) if rng.random() < 0.07 and i > 50 else -1
        return terms, names, language, copy_of

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one Stream per run; an event's 8 articles come close
    def _event(self, event: int) -> tuple[np.ndarray, frozenset[str]]:
        erng = np.random.default_rng(event)
        topic = erng.integers(200, self.VOCABULARY, size=25)
        return topic, frozenset(f"n{v}" for v in erng.integers(0, self.NAMES, size=5))

    def fingerprint(self, i: int, copy_of: int) -> tuple[int, ...]:
        values = np.random.default_rng(i + 7).integers(0, 1 << 32, size=128, dtype=np.uint64)
        if copy_of >= 0:  # a near-copy: 90% of the original's MinHash values (estimated Jaccard about 0.9)
            original = np.random.default_rng(copy_of + 7).integers(0, 1 << 32, size=128, dtype=np.uint64)
            keep = np.random.default_rng(i).random(128) < 0.9
            values = np.where(keep, original, values)
        return tuple(values.tolist())

    def item(self, i: int) -> Any:
        """The i-th article as the window holds it (a ``stories.Item``), its story being its event."""
        from gazette.enrich.dedup import Fingerprint
        from gazette.enrich.stories import Item, StoryFeatures

        terms, names, language, copy_of = self.article(i)
        return Item(
            i,
            self.when(i),
            StoryFeatures(terms, names, language),
            Fingerprint(self.fingerprint(i, copy_of)),
            story=self.event_of(i),
        )

    def when(self, i: int) -> datetime:
        return self.start + timedelta(seconds=i * 86_400 / PER_DAY)


def load_window(stream: Stream, checkpoint: int) -> tuple[Any, float]:
    """A window as the stream leaves it just before ``checkpoint``, loaded in bulk; and the seconds it took."""
    from gazette.enrich.stories import Clusterer

    clusterer = Clusterer()
    held = int(clusterer.retention.total_seconds() * PER_DAY / 86_400)
    loaded = time.perf_counter()
    clusterer.add_many(stream.item(i) for i in range(max(0, checkpoint - 1 - held), checkpoint - 1))
    return clusterer, time.perf_counter() - loaded


def place_batch(clusterer: Any, batch: list[tuple[int, datetime, Any, Any]]) -> float:
    """Place and add a batch of articles one by one, as a desk does; CPU seconds per article."""
    from gazette.enrich.stories import Item

    cpu = time.process_time()
    for i, when, features, fp in batch:
        clusterer.evict_before(when)
        placement = clusterer.place(i, when, features, fp)
        story = placement.story if placement.story is not None else ("new", i)
        clusterer.add(Item(i, when, features, fp, story=story, duplicate_of=placement.duplicate_of))
    return (time.process_time() - cpu) / len(batch)


def stream_part(checkpoints: list[int], measured: int) -> list[str]:
    """Each later checkpoint is timed side by side with the first (a fresh copy of its window, batches taken in
    turn), so that a load that changes during the run weighs on both alike; the ratio is of those two."""
    import gc

    stream = Stream()
    print(
        f"{'article of the stream':<24} {'window':>8} {'load s':>7} {'CPU µs/article':>15} {'scored':>7}"
        f" {'postings':>9} {'first, alongside':>17} {'ratio':>6}"
    )
    first = checkpoints[0]
    ratio = 1.0
    for checkpoint in checkpoints:
        clusterer, loaded = load_window(stream, checkpoint)
        pair = [(checkpoint, clusterer)]
        if checkpoint != first:
            pair.append((first, load_window(stream, first)[0]))
        window = len(clusterer.items)
        gc.collect()  # each checkpoint starts with no garbage of the previous one left to collect
        prepared = {
            c: [
                (i, item.when, item.features, item.fingerprint)
                for i, item in ((i, stream.item(i)) for i in range(c - 1, c - 1 + measured))
            ]
            for c, _ in pair
        }
        work = (clusterer.work.scored, clusterer.work.postings_read)
        batches: dict[int, list[float]] = {c: [] for c, _ in pair}
        for start in range(0, measured, 50):  # the median of batches of 50: other jobs share this machine
            for c, placing in pair:
                batches[c].append(place_batch(placing, prepared[c][start : start + 50]))
        cost = {c: statistics.median(b) for c, b in batches.items()}
        scored = (clusterer.work.scored - work[0]) / measured
        postings = (clusterer.work.postings_read - work[1]) / measured
        alongside = ratio_text = ""
        if checkpoint != first:
            ratio = cost[checkpoint] / cost[first]
            alongside, ratio_text = f"{1e6 * cost[first]:,.0f}", f"{ratio:.2f}"
        print(
            f"{checkpoint:<24,} {window:8,} {loaded:7.1f} {1e6 * cost[checkpoint]:15,.0f}"
            f" {scored:7.0f} {postings:9,.0f} {alongside:>17} {ratio_text:>6}",
            flush=True,
        )
        del clusterer, pair, prepared
        gc.collect()
    print(f"last/first, timed side by side: {ratio:.2f} (target ≤ {TARGET_STREAM})")
    return [] if ratio <= TARGET_STREAM else [f"stream cost ratio {ratio:.2f} > {TARGET_STREAM}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="stream checkpoints 1,000/10,000/30,000 (default)"
    )
    parser.add_argument("--full", action="store_true", help="stream checkpoints 1,000/100,000/1,000,000")
    parser.add_argument("--stream", help="comma-separated stream checkpoints, e.g. 1000,100000")
    parser.add_argument(
        "--measured",
        type=int,
        default=500,
        help="articles placed and timed per checkpoint (median of batches of 50)",
    )
    parser.add_argument("--no-pages", action="store_true", help="skip the 181 pages")
    parser.add_argument(
        "--live-dates",
        action="store_true",
        help="date the pages as they arrive (100,000 a day) instead of by their own dates (2008-2020)",
    )
    parser.add_argument("--no-stream", action="store_true", help="skip the synthetic stream")
    parser.add_argument("--pg-url", default=os.environ.get("GAZETTE_TEST_PG_URL", DEFAULT_PG))
    parser.add_argument("--core", type=int, help="the CPU core to run on (default: the last one allowed)")
    parser.add_argument(
        "--speedup-pages",
        type=int,
        default=181,
        help="pages for the 1-worker vs 2-worker ingest speed-up (bench/_speedup.py); 0 skips it",
    )
    args = parser.parse_args(argv)
    if args.speedup_pages:
        # Before this process is pinned to one core: the workers must be free to use every core.
        print("gazette ingest on every core (bench/_speedup.py):", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("_speedup.py")),
                "--pages",
                str(args.speedup_pages),
            ],
            check=False,
        )
        print(flush=True)
    if args.stream:
        checkpoints = [int(x.replace("_", "")) for x in args.stream.split(",")]
    elif args.full:
        checkpoints = [1_000, 100_000, 1_000_000]
    else:
        checkpoints = [1_000, 10_000, 30_000]
    print(f"one process, {pin_one_core(args.core)}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    failures: list[str] = []
    if not args.no_pages:
        failures += pages_part(datasets_dir(), args.pg_url, args.live_dates)
        print()
    if not args.no_stream:
        print(
            f"synthetic stream, {PER_DAY:,} articles a day: CPU per article placed (place + add + eviction; median of batches of 50)"
        )
        failures += stream_part(checkpoints, args.measured)
    for line in failures:
        print(f"FAIL: {line}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
