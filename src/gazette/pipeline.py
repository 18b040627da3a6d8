"""The one module that chains the stages: fetch → parse feed → fetch pages → extract → enrich → store.

Feeds are collected in worker threads (network-bound; the fetcher keeps one request at a time per host).
Each fetched page goes to a pool of worker processes (``[pipeline] workers``, one per core by default) that
extract and enrich it, and every result goes through one queue, in order, to the calling thread, which stores
it — so database writes stay single-threaded, each article is one transaction, and a feed's validators (ETag,
Last-Modified, next check) are written only after all of its items (invariant I3 in shared/HOSTILE.md). With one
worker the pages are extracted and enriched in the storing thread itself.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import multiprocessing
import os
import queue
import random
import signal
import socket
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from gazette import metrics, models
from gazette import schedule as scheduling
from gazette.config import ENRICH_MAX_CHARS, Settings
from gazette.enrich import briefs as briefs_stage
from gazette.enrich import locales as locales_stage
from gazette.enrich import sections as sections_stage
from gazette.enrich import stories as stories_stage
from gazette.enrich.dedup import Fingerprint
from gazette.errors import (
    BlockedAddress,
    ExtractionRejected,
    FeedError,
    GazetteError,
    HTTPStatusError,
    RobotsDisallowed,
    StorageRejected,
    StorageUnavailable,
    TooLarge,
    TooManyRedirects,
)
from gazette.extract.article import extract_article
from gazette.heap import settle_heap
from gazette.ingest import warc as warc_reader
from gazette.ingest.feed_parser import parse_feed
from gazette.ingest.fetcher import Fetcher, parse_retry_after
from gazette.store import articles as article_store
from gazette.store import bulk as bulk_store
from gazette.store import search as search_store
from gazette.store import stories as story_store
from gazette.store import story_members
from gazette.store import subscriptions as feed_store
from gazette.store import tombstones as tombstone_store
from gazette.store import watches as watch_store
from gazette.store.db import Database
from gazette.store.schema import Feed
from gazette.urls import canonicalize_url

logger = logging.getLogger(__name__)

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
LEASE = timedelta(minutes=15)
URL_MAX = 2048  # the store's URL columns
LEASE_OWNER = f"{socket.gethostname()}:{os.getpid()}"


def lease_holder_alive(owner: str | None) -> bool:
    """Whether the run named by a lease may still be working: a lease held by a process that died on this
    host (kill -9, power cut of a container) is taken over at once instead of waiting for it to expire."""
    if not owner or ":" not in owner:
        return True
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True  # another machine's run: trust its time limit
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Failure:
    url: str
    reason: str
    feed_url: str | None = None


@dataclass
class IngestReport:
    feeds_ok: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # same text as an article the same publisher stored under another URL
    skipped_known: int = 0
    unpublished: int = 0  # pages of articles taken down (``gazette unpublish``): never stored again
    failures: list[Failure] = field(default_factory=list)

    @property
    def articles_failed(self) -> int:
        return sum(1 for f in self.failures if f.feed_url is not None and f.url != f.feed_url)


@dataclass
class _FeedJob:
    id: int
    url: str
    section: str | None
    source_id: int | None
    source_name: str | None
    source_country: str | None
    etag: str | None
    last_modified: str | None
    default_section: str | None = None  # the feed's fallback when the classifier is unsure


# Events a feed worker sends to the storing thread.
@dataclass
class _Entries:
    job: _FeedJob
    count: int


@dataclass
class _PageFetched:
    job: _FeedJob
    work: _PageWork


@dataclass
class _PageFailed:
    job: _FeedJob
    url: str
    reason: str


@dataclass
class _FeedDone:
    job: _FeedJob
    doc: models.FetchedDocument
    title: str | None
    # A page failed for a reason that may pass (timeout, 5xx, reset): keep the old validators, so the next run
    # gets the feed in full and retries that page instead of a 304 that hides it for ever (I1, I3).
    keep_validators: bool = False
    asked: float | None = None  # the longest wait the publisher asked for (ttl, sy:, max-age, Retry-After)
    learned: float | None = None  # the feed's publishing rhythm, from its items' dates


# The answers that say something about the page itself, and would be the same on the next run.
PERMANENT = (ExtractionRejected, FeedError, BlockedAddress, RobotsDisallowed, TooLarge, TooManyRedirects)


def is_transient(exc: BaseException) -> bool:
    """Whether a failed page is worth retrying on the next run. Only the known verdicts on a page (``PERMANENT``,
    and 4xx statuses other than 408/425/429) are final; anything else — a timeout, a reset, a 5xx, the extractor
    breaking, an exception nobody expected — may pass, so the feed's old validators are kept and it is retried."""
    if isinstance(exc, HTTPStatusError):
        return exc.status_code >= 500 or exc.status_code in (408, 425, 429)
    return not isinstance(exc, PERMANENT)


@dataclass
class _FeedFailed:
    job: _FeedJob
    reason: str
    retry_after: float | None = None


ProgressCallback = Callable[[str, dict[str, Any]], None]


@dataclass
class Processed:
    """What extraction and enrichment made of one page: an article, or the reason there is none."""

    url: str
    article: models.Article | None = None
    reason: str | None = None  # extraction failed: the page is not stored
    enrich_error: str | None = None  # enrichment failed: the article is stored without it
    # The failure may pass (the extractor broke, a bug): the feed keeps its validators so the page is retried.
    transient: bool = False
    extract_seconds: float | None = None  # reported back, since a worker's metrics never reach the server
    # story features, fingerprint and search terms, made in the worker so that the storing process does only
    # the database work and the story placement (None: the storing side makes them)
    story: stories_stage.StoryInput | None = None
    index_entry: search_store.PreparedEntry | None = None


def process_page(
    enricher: Enricher,
    page: models.FetchedDocument,
    entry: models.FeedEntry | None,
    *,
    feed_section: str | None,
    source_country: str | None,
    default_section: str | None = None,
    prepare_store: bool = True,
) -> Processed:
    """Extract and enrich one fetched page — the CPU-bound part of ingest and backfill, run in a worker.

    ``default_section`` is the feed's section for articles the classifier is unsure of (below
    ``sections.threshold``); ``feed_section``, a section the feed declares, wins over everything. With
    ``prepare_store`` (ingest, which stores and places each article as it comes) the story features,
    fingerprint and search terms are made here too (``Processed.story``, ``Processed.index_entry``).
    """
    url = entry.url if entry is not None else page.url
    started = time.perf_counter()
    try:
        article = extract_article(page, entry)
    except GazetteError as exc:
        return Processed(url, reason=exc.reason, transient=is_transient(exc))
    except Exception as exc:  # a bug is no verdict on the page: retried on the next run
        logger.exception("unexpected error on article %s", url)
        return Processed(url, reason=f"internal error: {type(exc).__name__}: {exc}", transient=True)
    extract_seconds = time.perf_counter() - started
    try:
        enricher.enrich(
            article, feed_section=feed_section, source_country=source_country, default_section=default_section
        )
    except Exception as exc:  # enrichment is best effort; the article is still worth storing
        logger.exception("enrichment failed for %s", article.url)
        return Processed(
            url,
            article=article,
            enrich_error=f"enrichment failed: {exc}",
            extract_seconds=extract_seconds,
            story=enricher.story_input(article) if prepare_store else None,
            index_entry=_index_entry(article) if prepare_store else None,
        )
    if not prepare_store:
        return Processed(url, article=article, extract_seconds=extract_seconds)
    return Processed(
        url,
        article=article,
        extract_seconds=extract_seconds,
        story=enricher.story_input(article),
        index_entry=_index_entry(article),
    )


def _index_entry(article: models.Article) -> search_store.PreparedEntry | None:
    """The article's search index terms, analysed where it is enriched (None if that failed)."""
    try:
        return search_store.prepare_entry(article.title, article.text, article.language)
    except Exception:
        logger.exception("search terms failed for %s", article.url)
        return None


# -- worker processes ---------------------------------------------------------------------------------
# Workers are forked from the ingesting process once its models are loaded (about 10 s of CPU that each
# worker would otherwise pay again), and only hold the Enricher they inherit; they never touch the database.
# Each leaves when the process that started it is gone, so a run killed with -9 leaves no orphans behind;
# Ctrl-C is the parent's to handle.

_worker_enricher: Enricher | None = None

# A page that passes extraction, so that warming up on it loads what every page needs: the language
# identifier, the section classifier, the gazetteer and the brief's models. (Paragraphs that repeat are dropped
# by extraction, which left a page of one repeated paragraph with too few words to reach enrichment.)
_WARM_UP_PAGE = (
    b"<html lang='en'><head><title>Council meets in Lisbon</title></head><body><article>"
    b"<h1>Council meets in Lisbon</h1>"
    + b"".join(
        b"<p>The city council of Lisbon met on Monday in Portugal to vote on the budget for %s, after "
        b"a debate of %d hours in which the mayor said the money would reach every district by June.</p>"
        % (topic, hours)
        for hours, topic in enumerate(
            (b"schools", b"roads", b"hospitals", b"parks", b"libraries", b"the port", b"housing", b"buses"), 2
        )
    )
    + b"</article></body></html>"
)


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(0)


def _init_worker(enricher: Enricher, parent_pid: int) -> None:
    global _worker_enricher
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_enricher = enricher
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="watch-parent").start()


def _process_in_worker(
    page: models.FetchedDocument,
    entry: models.FeedEntry | None,
    feed_section: str | None,
    source_country: str | None,
    default_section: str | None = None,
) -> Processed:
    assert _worker_enricher is not None, "worker not initialised"
    return process_page(
        _worker_enricher,
        page,
        entry,
        feed_section=feed_section,
        source_country=source_country,
        default_section=default_section,
    )


# Pages are stored in the order they were fetched (the same stories with one worker or many), so a page that
# takes long holds back the pages behind it: the other workers go on only as far as the pages in flight reach.
# The benchmark's pages cost 35 ms of CPU at the median and up to 0.3 s (2.2 s while each worker still loaded
# its models on its first page): with 4 pages a worker in flight the other worker soon stood idle behind such a
# page. 32 a worker keep it busy past a page of about 30 times the median; the byte limit bounds the memory
# they hold whatever their size.
PAGES_IN_FLIGHT_PER_WORKER = 32
BYTES_IN_FLIGHT = 128 * 1024 * 1024


class InFlight:
    """Pages handed to the workers and not stored yet: at most ``pages`` of them and ``size`` bytes of their
    bodies together (one page is always let through, however large, so that nothing waits for ever)."""

    def __init__(self, pages: int, size: int) -> None:
        self.pages, self.size = pages, size
        self._held_pages = self._held_bytes = 0
        self._changed = threading.Condition()

    def acquire(self, size: int, timeout: float) -> bool:
        """Take a place for a page of ``size`` bytes; False if none came free within ``timeout`` seconds."""

        def free() -> bool:
            if self._held_pages == 0:
                return True
            return self._held_pages < self.pages and self._held_bytes + size <= self.size

        with self._changed:
            if not self._changed.wait_for(free, timeout):
                return False
            self._held_pages += 1
            self._held_bytes += size
            return True

    def release(self, size: int) -> None:
        with self._changed:
            self._held_pages -= 1
            self._held_bytes -= size
            self._changed.notify_all()


class _PageWork:
    """One fetched page on its way to the storing thread: processed in a worker, or inline on demand."""

    def __init__(
        self,
        page: models.FetchedDocument,
        entry: models.FeedEntry,
        feed_section: str | None,
        source_country: str | None,
        future: Future[Processed] | None,
        release: Callable[[], None] | None = None,
        default_section: str | None = None,
    ) -> None:
        self.page, self.entry = page, entry
        self.feed_section, self.source_country = feed_section, source_country
        self.default_section = default_section
        self.future = future
        self._release = release
        self.fetched_at = datetime.now(UTC)

    def result(self, enricher: Enricher) -> Processed:
        try:
            if self.future is not None:
                try:
                    return self.future.result()
                except BrokenProcessPool:
                    # a worker died (killed, out of memory): this page is done here instead of being lost
                    logger.warning(
                        "extraction worker died; processing %s in the ingesting process", self.entry.url
                    )
            return process_page(
                enricher,
                self.page,
                self.entry,
                feed_section=self.feed_section,
                source_country=self.source_country,
                default_section=self.default_section,
            )
        finally:
            if self._release is not None:
                self._release()
                self._release = None


_heap_settled = False  # whether an Enricher of this process has frozen the loaded models (heap.settle_heap)


def limit_blas_threads() -> None:
    """One BLAS thread in this process (and in the workers it forks).

    Articles are processed one per worker process; the matrices of one article (the brief's sentence
    similarities, up to 200 × a few thousand terms) are too small for threads to pay, and OpenBLAS's threads
    spin while they wait: on the 181 pages of ``bench/pipeline.py`` the brief cost 4.7–5.8 ms of CPU an article
    with its threads and 2.6–2.7 ms without, for the same matrices and the same briefs (docs/benchmarks.md,
    "Pipeline").
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class Enricher:
    """Sections, locales and briefs for one article; models load once per process, where BLAS keeps to one
    thread (``limit_blas_threads``). Once the first article has loaded them (extraction's and enrichment's),
    they are frozen out of the garbage collector's sight (``heap.settle_heap``), once per process; forked workers
    inherit that."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._classifier: Any = None
        limit_blas_threads()
        self._warm = False

    def warm_up(self) -> None:
        """Load every model that processing a page needs (once per process; about 2 s of CPU)."""
        if not self._warm:
            uri = "http://warm-up.invalid/"
            page = models.FetchedDocument(url=uri, final_url=uri, status=200, content=_WARM_UP_PAGE)
            process_page(self, page, None, feed_section=None, source_country=None)
            self._warm = True

    def _get_classifier(self) -> Any:
        if self._classifier is None:
            self._classifier = sections_stage.load_classifier(self.settings.sections)
        return self._classifier

    def enrich(
        self,
        article: models.Article,
        *,
        feed_section: str | None,
        source_country: str | None,
        default_section: str | None = None,
    ) -> None:
        feed_section = feed_section if feed_section in self.settings.sections.taxonomy else None
        classifier = None if feed_section else self._get_classifier()
        max_chars = self.settings.enrich.max_chars  # what every stage reads of the text (a time bound)
        article.section = sections_stage.assign_section(
            article.title,
            article.text,
            feed_section=feed_section,
            classifier=classifier,
            settings=self.settings.sections,
            feed_default=default_section,
            language=article.language,
            max_chars=max_chars,
        )
        article.locales = locales_stage.tag_locales(
            article.text, title=article.title, source_country=source_country, max_chars=max_chars
        )
        article.brief = briefs_stage.make_brief(
            article.text,
            self.settings.brief,
            language=article.language,
            title=article.title,
            max_chars=max_chars,
        )
        global _heap_settled
        if not _heap_settled:  # once per process: the models are loaded now
            _heap_settled = True
            settle_heap()

    def story_input(self, article: models.Article) -> stories_stage.StoryInput | None:
        """The article's story features and fingerprint (None if that failed: the storing side makes them)."""
        return self.story_input_of(article.title, article.text, article.language, article.url)

    def story_input_of(
        self, title: str, text: str, language: str | None, label: str
    ) -> stories_stage.StoryInput | None:
        """``story_input`` from a title, text and language; ``label`` names the article in the log."""
        try:
            return stories_stage.story_input(title, text, language, max_chars=self.settings.enrich.max_chars)
        except Exception:
            logger.exception("story features failed for %s", label)
            return None


class Pipeline:
    """Ingest feeds into the store. One instance per run; ``close()`` releases the fetcher."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        fetcher: Fetcher | None = None,
        workers: int = 4,
        processes: int | None = None,
        progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        # Set from outside (``gazette run`` on SIGTERM): the run stores the article in hand, then returns.
        self.stop = stop or threading.Event()
        self.db = db
        self.fetcher = fetcher or Fetcher(settings.fetch)
        self.workers = max(1, workers)  # feed threads (network)
        # extraction and enrichment processes (CPU); 1 keeps them in this process
        self.processes = max(1, processes if processes is not None else settings.pipeline.workers)
        self.progress = progress or (lambda event, data: None)
        self.enricher = Enricher(settings)
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        # pages in flight at once, so that fast feeds do not pile fetched pages up in memory
        self._in_flight = InFlight(self.processes * PAGES_IN_FLIGHT_PER_WORKER, BYTES_IN_FLIGHT)
        self._stopping = threading.Event()
        # Feeds with a page whose failure may pass, seen by the storing thread before the feed's _FeedDone.
        self._transient_feeds: set[int] = set()

    def close(self) -> None:
        self.fetcher.close()
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- planning -------------------------------------------------------------------------------

    def _claim_feeds(self, urls: Iterable[str] | None, force: bool) -> list[_FeedJob]:
        now = datetime.now(UTC)
        with self.db.session() as s:
            if urls is not None:
                wanted = list(urls)
                feeds = list(s.scalars(select(Feed).where(Feed.url.in_(wanted))))
                missing = set(wanted) - {f.url for f in feeds}
                for url in sorted(missing):
                    feeds.append(feed_store.add_feed(s, url))
            elif force:
                feeds = [f for f in feed_store.list_feeds(s) if not f.paused]
            else:
                feeds = feed_store.due_feeds(s, now)
            jobs = []
            for f in feeds:
                if f.lease_until is not None and f.lease_until > now and lease_holder_alive(f.lease_owner):
                    logger.info("feed %s is being ingested by another run; skipped", f.url)
                    continue
                f.lease_until = now + LEASE  # I5: a lease with a time limit, not a lock
                f.lease_owner = LEASE_OWNER
                src = f.source
                jobs.append(
                    _FeedJob(
                        id=f.id,
                        url=f.url,
                        section=f.section,
                        source_id=src.id if src else None,
                        source_name=src.name if src else None,
                        source_country=src.country if src else None,
                        etag=f.etag,
                        last_modified=f.last_modified,
                        default_section=f.default_section,
                    )
                )
        return jobs

    # -- worker side (network) -------------------------------------------------------------------

    def _fetch(self, url: str, **kwargs: Any) -> models.FetchedDocument:
        started = time.perf_counter()
        try:
            return self.fetcher.fetch(url, **kwargs)
        finally:
            metrics.FETCH_SECONDS.observe(time.perf_counter() - started)

    def _collect(self, job: _FeedJob, out: queue.Queue[object]) -> None:
        try:
            doc = self._fetch(job.url, etag=job.etag, last_modified=job.last_modified, accept=FEED_ACCEPT)
            header_hints = (
                scheduling.max_age_seconds(doc.headers),
                parse_retry_after(doc.headers.get("retry-after")),
            )
            if doc.not_modified:
                out.put(_FeedDone(job, doc, None, asked=scheduling.asked_interval(*header_hints)))
                return
            parsed = parse_feed(doc, max_items=self.settings.fetch.max_items)
        except HTTPStatusError as exc:
            out.put(_FeedFailed(job, exc.reason, exc.retry_after))
            return
        except GazetteError as exc:
            out.put(_FeedFailed(job, exc.reason))
            return
        except Exception as exc:  # a bug must not stop the other feeds; it is recorded on this one
            logger.exception("unexpected error on feed %s", job.url)
            out.put(_FeedFailed(job, f"internal error: {type(exc).__name__}: {exc}"))
            return

        entries = self._new_entries(parsed.entries, declared_section=self._declared(job))
        out.put(_Entries(job, len(entries)))
        transient = False
        for entry in entries:
            if self.stop.is_set():
                return  # the storing side has stopped reading; the feed's lease is released there
            try:
                page = self._fetch(entry.url, accept=PAGE_ACCEPT)
            except GazetteError as exc:
                transient = transient or is_transient(exc)
                out.put(_PageFailed(job, entry.url, exc.reason))
                continue
            except Exception as exc:  # a bug is no verdict on the page: retried on the next run
                logger.exception("unexpected error on article %s", entry.url)
                transient = True
                out.put(_PageFailed(job, entry.url, f"internal error: {type(exc).__name__}: {exc}"))
                continue
            out.put(_PageFetched(job, self._submit(job, page, entry)))
        asked = scheduling.asked_interval(
            *header_hints,
            scheduling.ttl_seconds(parsed.ttl),
            scheduling.update_period_seconds(parsed.update_period, parsed.update_frequency),
        )
        learned = scheduling.learned_interval(e.published_at for e in parsed.entries)
        out.put(_FeedDone(job, doc, parsed.title, keep_validators=transient, asked=asked, learned=learned))

    def _submit(self, job: _FeedJob, page: models.FetchedDocument, entry: models.FeedEntry) -> _PageWork:
        """Hand a fetched page to a worker process (or keep it for the storing thread with one worker)."""
        if self.processes == 1:
            return _PageWork(page, entry, job.section, job.source_country, None, None, job.default_section)
        size = len(page.content)
        while not self._in_flight.acquire(size, timeout=0.5):
            if self._stopping.is_set():  # the storing thread stopped: it will take no more pages
                return _PageWork(
                    page, entry, job.section, job.source_country, None, None, job.default_section
                )
        try:
            future = self._get_pool().submit(
                _process_in_worker, page, entry, job.section, job.source_country, job.default_section
            )
        except (
            BrokenProcessPool,
            RuntimeError,
        ) as exc:  # pool broken or shut down: the storing thread does it
            logger.warning(
                "extraction workers unavailable (%s); processing %s in the ingesting process", exc, entry.url
            )
            future = None
        return _PageWork(
            page,
            entry,
            job.section,
            job.source_country,
            future,
            functools.partial(self._in_flight.release, size),
            job.default_section,
        )

    def warm_up(self) -> None:
        """Load the models and, with several workers, start the worker processes (which inherit them) now
        rather than with the first page, as a long-running desk does once; ``ingest`` does it when needed."""
        if self.processes == 1:
            self.enricher.warm_up()
            return
        pool = self._get_pool()
        # the first task forks every worker (the fork start method starts them all at once)
        for future in [pool.submit(os.getpid) for _ in range(self.processes)]:
            future.result()

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._pool is not None and getattr(self._pool, "_broken", False):
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            if self._pool is None:
                self.enricher.warm_up()  # load the models here once, so that every forked worker has them
                self._pool = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=_init_worker,
                    initargs=(self.enricher, os.getpid()),
                )
            return self._pool

    def _declared(self, job: _FeedJob) -> str | None:
        return job.section if job.section in self.settings.sections.taxonomy else None

    def _new_entries(
        self, entries: list[models.FeedEntry], *, declared_section: str | None = None
    ) -> list[models.FeedEntry]:
        """Entries whose page is not stored yet, one per canonical URL. Stored ones that a section-declaring
        feed lists are filed in its section."""
        seen: set[str] = set()
        unique: list[models.FeedEntry] = []
        for entry in entries:
            key = canonicalize_url(entry.url)
            if key in seen:
                continue
            seen.add(key)
            unique.append(entry)
        urls = [canonicalize_url(e.url) for e in unique] + [e.url for e in unique]
        with self.db.session() as s:
            known = article_store.known_urls(s, urls)
            if declared_section and known:
                article_store.file_in_declared_section(s, sorted(known), declared_section)
            known |= tombstone_store.barred_urls(s, urls)  # unpublished: not even fetched
        return [e for e in unique if e.url not in known and canonicalize_url(e.url) not in known]

    # -- storing side ------------------------------------------------------------------------------

    def _store_page(self, job: _FeedJob, work: _PageWork, report: IngestReport) -> None:
        processed = work.result(self.enricher)
        if processed.extract_seconds is not None:
            metrics.EXTRACT_SECONDS.observe(processed.extract_seconds)
        if processed.article is None:
            if processed.transient:
                self._transient_feeds.add(job.id)  # its _FeedDone comes after this page: keep validators
            reason = processed.reason or "not extracted"
            report.failures.append(Failure(processed.url, reason, job.url))
            logger.warning("article failed: %s: %s", processed.url, reason)
            self.progress("article", {"url": processed.url, "ok": False, "reason": reason})
            return
        article = processed.article
        article.source = job.source_name
        article.feed_url = job.url
        article.guid = work.entry.guid
        article.fetched_at = work.fetched_at
        if processed.enrich_error:
            report.failures.append(Failure(article.url, processed.enrich_error, job.url))
        self._store_article(job, article, report, story=processed.story, index_entry=processed.index_entry)
        self.progress("article", {"url": article.url, "ok": True})

    def _store_article(
        self,
        job: _FeedJob,
        article: models.Article,
        report: IngestReport,
        story: stories_stage.StoryInput | None = None,
        index_entry: search_store.PreparedEntry | None = None,
    ) -> None:
        if len(article.canonical_url) > URL_MAX:
            article.canonical_url = canonicalize_url(article.url)
        if article.guid and len(article.guid) > URL_MAX:
            article.guid = None
        if len(article.canonical_url) > URL_MAX or len(article.url) > URL_MAX:
            report.failures.append(Failure(article.url[:200], "URL too long to store", job.url))
            return
        try:
            with self.db.session() as s:
                if tombstone_store.is_barred(
                    s,
                    urls=[article.canonical_url, article.url],
                    content_hash=article.content_hash,
                    source_id=job.source_id,
                ):
                    # Its page now names an unpublished article's canonical URL, or carries its text.
                    report.unpublished += 1
                    logger.info("article unpublished, not stored: %s", article.canonical_url)
                    return
                row, result = article_store.save_article(
                    s, article, source_id=job.source_id, feed_id=job.id, index_entry=index_entry
                )
                if result in (article_store.SaveResult.NEW, article_store.SaveResult.UPDATED):
                    self._place_in_story(s, row, story, new_row=result is article_store.SaveResult.NEW)
                if result is article_store.SaveResult.NEW:
                    match_watches(s, row.id, datetime.now(UTC))
        except StorageRejected as exc:  # the row is bad; StorageUnavailable (the database is) stops the run
            logger.warning("article not stored: %s: %s", article.url, exc)
            report.failures.append(Failure(article.url, f"not stored: {exc}", job.url))
            return
        if result is article_store.SaveResult.NEW:
            report.new += 1
            metrics.ARTICLES_INGESTED.inc()
        elif result is article_store.SaveResult.UPDATED:
            report.updated += 1
            metrics.ARTICLES_INGESTED.inc()
        elif result is article_store.SaveResult.DUPLICATE:
            report.duplicates += 1
        else:
            report.unchanged += 1
        logger.info("article %s: %s", result.value, article.canonical_url, extra={"feed": job.url})

    def assign_stories(
        self,
        *,
        batch: int = 200,
        on_progress: Callable[[int, int], None] | None = None,
        prepare: StoryInputs | None = None,
    ) -> list[int]:
        """Place every stored article that is in no story yet, oldest first (the backfill's pass after its
        workers); ``batch`` articles per transaction. Returns the ids placed, in order.

        ``prepare`` makes the chunks' story features and fingerprints elsewhere (``dask_story_inputs``: on the
        backfill's workers, ahead of the placing), so that this process does only the database work and the
        placement, which must go one article at a time in date order; without it they are made here."""
        with self.db.session() as s:
            ids = bulk_store.unassigned_articles(s)
        chunks = [ids[start : start + batch] for start in range(0, len(ids), batch)]
        inputs: Iterable[Mapping[int, stories_stage.StoryInput]] = (
            prepare(chunks) if prepare is not None else ({} for _ in chunks)
        )
        done = 0
        for chunk, prepared in zip(chunks, inputs, strict=True):
            with self.db.session() as s:
                # read again here: an article another process placed meanwhile is left where it is
                rows = bulk_store.articles_by_ids(s, chunk, unassigned=True)
                for article_id in chunk:
                    row = rows.get(article_id)
                    if row is not None:  # in no story (a race lost since is undone to its savepoint)
                        self._place_in_story(s, row, prepared.get(article_id), new_row=True)
            done += len(chunk)
            if on_progress is not None:
                on_progress(done, len(ids))
        return ids

    def _place_in_story(
        self,
        session: Any,
        row: Any,
        prepared: stories_stage.StoryInput | None = None,
        *,
        new_row: bool = False,
    ) -> None:
        """Near-duplicates and stories, in the article's own transaction; a failure here costs the story link,
        never the article (it is undone to a savepoint)."""
        try:
            with session.begin_nested():
                assign_story(
                    session, row, max_chars=self.settings.enrich.max_chars, prepared=prepared, new_row=new_row
                )
        except Exception:
            logger.exception("story assignment failed for %s", row.canonical_url)

    def _finish_feed(self, event: _FeedDone | _FeedFailed) -> None:
        limits = scheduling.Limits(self.settings.schedule.min_interval, self.settings.schedule.max_interval)
        with self.db.session() as s:
            feed = s.get(Feed, event.job.id)
            if feed is None:
                return
            feed.lease_until = None
            feed.lease_owner = None
            if isinstance(event, _FeedDone):
                doc = event.doc
                transient = event.job.id in self._transient_feeds
                self._transient_feeds.discard(event.job.id)
                keep = doc.not_modified or event.keep_validators or transient
                learned = event.learned if event.learned is not None else feed.learned_interval
                feed_store.record_feed_success(
                    s,
                    feed,
                    etag=feed.etag if keep else doc.etag,
                    last_modified=feed.last_modified if keep else doc.last_modified,
                    title=event.title,
                    interval=scheduling.next_interval(
                        limits, learned=learned, asked=event.asked, fixed=feed.fixed_interval
                    ),
                    learned=event.learned,
                )
            else:
                fixed = feed.fixed_interval
                feed_store.record_feed_error(
                    s,
                    feed,
                    event.reason,
                    retry_after=event.retry_after,
                    backoff=lambda n: scheduling.backoff_interval(limits, n, fixed=fixed),
                )
        if isinstance(event, _FeedDone):
            metrics.FEED_FETCHES.labels("not_modified" if event.doc.not_modified else "ok").inc()
        else:
            metrics.FEED_FETCHES.labels("failed").inc()

    def _count_feed(self, event: _FeedDone | _FeedFailed, report: IngestReport) -> None:
        match event:
            case _FeedDone(doc=doc) if doc.not_modified:
                report.feeds_not_modified += 1
            case _FeedDone():
                report.feeds_ok += 1
            case _FeedFailed(job=job, reason=reason):
                report.feeds_failed += 1
                report.failures.append(Failure(job.url, reason, job.url))
                logger.warning("feed failed: %s: %s", job.url, reason)
        self.progress("feed", {"url": event.job.url, "ok": isinstance(event, _FeedDone)})

    def _release_leases(self, feed_ids: list[int]) -> None:
        """Best effort after an aborted run, so that the next run in this process can take the feeds."""
        if not feed_ids:
            return
        try:
            with self.db.session() as s:
                for feed in s.scalars(select(Feed).where(Feed.id.in_(feed_ids))):
                    feed.lease_until = None
                    feed.lease_owner = None
        except GazetteError as exc:
            logger.warning("could not release feed leases after an aborted run: %s", exc)

    def ingest(self, feed_urls: Iterable[str] | None = None, *, force: bool = False) -> IngestReport:
        """Ingest the due feeds (or the given ones); returns counts and every failure with its reason."""
        report = IngestReport()
        jobs = self._claim_feeds(feed_urls, force)
        self.progress("feeds", {"total": len(jobs)})
        if not jobs:
            return report
        events: queue.Queue[object] = queue.Queue()
        pending = len(jobs)
        finished: set[int] = set()
        stop = threading.Event()

        def run(job: _FeedJob) -> None:
            try:
                if not stop.is_set() and not self.stop.is_set():
                    self._collect(job, events)
                else:
                    events.put(_FeedFailed(job, "run interrupted"))
            except BaseException as exc:  # keep the count of finished feeds right whatever happens
                events.put(_FeedFailed(job, f"internal error: {exc}"))

        pool = ThreadPoolExecutor(max_workers=min(self.workers, len(jobs)), thread_name_prefix="feed")
        try:
            for job in jobs:
                pool.submit(run, job)
            try:
                while pending:
                    try:
                        event = events.get(timeout=0.25)
                    except queue.Empty:
                        event = None
                    if self.stop.is_set():
                        break  # stopped from outside: the last article is stored, nothing is half-done
                    match event:
                        case None:
                            continue
                        case _Entries(job=job, count=count):
                            self.progress("entries", {"feed": job.url, "count": count})
                        case _PageFetched(job=job, work=work):
                            self._store_page(job, work, report)
                        case _PageFailed(job=job, url=url, reason=reason):
                            report.failures.append(Failure(url, reason, job.url))
                            logger.warning("article failed: %s: %s", url, reason)
                            self.progress("article", {"url": url, "ok": False, "reason": reason})
                        case _FeedDone() | _FeedFailed():
                            pending -= 1
                            self._finish_feed(event)
                            finished.add(event.job.id)
                            self._count_feed(event, report)
            except BaseException:
                stop.set()
                self._stopping.set()
                self._release_leases([j.id for j in jobs if j.id not in finished])
                raise
            if pending:
                stop.set()
                self._release_leases([j.id for j in jobs if j.id not in finished])
                logger.info("ingest stopped on request with %d feeds unfinished", pending)
        finally:
            # Stopped from outside: do not wait for a worker inside a network read (it writes nothing).
            pool.shutdown(wait=not self.stop.is_set(), cancel_futures=True)
        logger.info(
            "ingest done: %d new, %d updated, %d unchanged, %d failures",
            report.new,
            report.updated,
            report.unchanged,
            len(report.failures),
        )
        return report


def match_watches(session: Any, article_id: int, now: datetime) -> int:
    """Record every topic watch that the article just stored matches — and owe its webhook a delivery — in the
    article's own transaction, so the outbox row exists exactly when the article does. A watch is a saved
    ``/search``: its query must match in full, and every filter it names must be understood (a source or place
    that no longer resolves matches nothing, rather than everything). Returns the number of watches matched."""
    from gazette.publish.search import parse_filter

    watches = watch_store.list_watches(session)
    if not watches:
        return 0
    session.flush()  # the article's search index entry is written with its row
    matched = 0
    for watch in watches:
        if watch.created_at > now:
            continue
        flt, form = parse_filter(session, watch.filters)
        if any(value and not form.get(key) for key, value in watch.filters.items()):
            continue
        if search_store.article_matches(session, watch.query, flt, article_id):
            watch_store.record_match(session, watch, article_id, now)
            matched += 1
    return matched


def extract_one(settings: Settings, target: str, fetcher: Fetcher | None = None) -> models.Article:
    """Fetch (for a URL) and extract one page — the `gazette extract` command's work."""
    from pathlib import Path

    if "://" in target:
        own = fetcher is None
        fetcher = fetcher or Fetcher(settings.fetch)
        try:
            doc = fetcher.fetch(target, accept=PAGE_ACCEPT)
        finally:
            if own:
                fetcher.close()
    else:
        path = Path(target)
        try:
            content = path.read_bytes()
        except OSError as exc:
            from gazette.errors import ExtractionRejected

            raise ExtractionRejected(target, f"cannot read file ({exc.strerror})") from exc
        uri = path.resolve().as_uri()
        doc = models.FetchedDocument(url=uri, final_url=uri, status=200, content=content)
    return extract_article(doc, None)


# --- stories: the window kept per store, and the writes ----------------------------------------------------


@dataclass
class _Span:
    """A straggler window kept between stragglers: exactly the members dated in ``[low, high]`` at its last use."""

    clusterer: stories_stage.Clusterer
    low: datetime
    high: datetime
    held: dict[int, story_members.MemberKey]


class StragglerWindows:
    """Windows read for stragglers (articles older than the kept window reaches), kept for the next ones.

    A straggler is placed against every stored member dated within ``Clusterer.window`` of it, and against
    nothing else: the scores (IDF over that window) depend on exactly that set. So a kept window is never
    trusted as it stands: for each straggler the keys of the members its window must hold are read
    (``window_member_keys``: ids, dates, stories, no features), the kept window whose dates overlap most is
    brought to exactly that set (members gone or changed taken out, the missing ones added), and only the
    members it lacks are read whole. Consecutive stragglers of nearby days, the usual case when a feed or an
    archive brings old articles, then read a few rows each instead of their whole window. A straggler whose
    dates overlap no kept window reads its window whole, as before (``loads``).
    """

    SPANS = 4  # kept windows (the least recently used goes first)
    FEATURES = 512  # members' features kept apart from the windows, for a member that comes back into one
    MAX_HELD = (
        50_000  # members in all kept windows (a straggler's window at 100,000 articles a day is 600,000)
    )

    def __init__(self) -> None:
        self.spans: list[_Span] = []
        self._features: OrderedDict[int, tuple[int, stories_stage.StoryFeatures, Fingerprint]] = OrderedDict()
        self.loads = 0  # windows read whole
        self.rows_read = 0  # member rows read whole (with features and fingerprint)

    def clear(self) -> None:
        self.spans.clear()
        self._features.clear()

    def _remember(
        self, membership_id: int, article_id: int, features: stories_stage.StoryFeatures, fp: Fingerprint
    ) -> None:
        self._features[membership_id] = (article_id, features, fp)
        self._features.move_to_end(membership_id)
        while len(self._features) > self.FEATURES:
            self._features.popitem(last=False)

    def remember_own(
        self, membership_id: int, article_id: int, features: stories_stage.StoryFeatures, fp: Fingerprint
    ) -> tuple[stories_stage.StoryFeatures, Fingerprint]:
        """Keep a straggler's own features, so that the next window that must hold it reads no row for it;
        returns them as kept.

        They are kept as they read back from the store (the JSON form, the fingerprint's bytes), so that the
        window holds what a read would give, down to the order of terms and names."""
        stored = stories_stage.StoryFeatures.from_json(features.to_json()) or features
        stored_fp = Fingerprint.from_bytes(fp.to_bytes())
        if membership_id:
            self._remember(membership_id, article_id, stored, stored_fp)
        return stored, stored_fp

    def _best(self, low: datetime, high: datetime) -> _Span | None:
        """The kept window sharing most dates with ``[low, high]``, if it shares at least half of them (else
        it would be mostly rewritten, and it may serve a straggler of its own days later)."""
        best, overlap = None, (high - low) / 2
        for span in self.spans:
            shared = min(high, span.high) - max(low, span.low)
            if shared >= overlap:
                best, overlap = span, shared
        return best

    def window_for(
        self, session: Any, article_id: int, when: datetime, window: timedelta
    ) -> stories_stage.Clusterer:
        """A clusterer holding exactly the stored members within ``window`` of ``when``, but the article."""
        low, high = when - window, when + window
        span = self._best(low, high)
        if span is None:
            self.loads += 1
            members = story_members.window_members(session, low, high, exclude_id=article_id)
            self.rows_read += len(members)
            clusterer = stories_stage.Clusterer(indexed=False, window=window)
            held: dict[int, story_members.MemberKey] = {}
            for m, found, fp in self._read_whole(session, members):
                clusterer.add(stories_stage.Item(m.article_id, m.when, found, fp, m.story_id, m.duplicate_of))
                held[m.article_id] = _member_key(m)
            if members:
                self.spans.append(_Span(clusterer, low, high, held))
                self._trim()
            return clusterer
        self.spans.remove(span)
        self.spans.append(span)  # the most recently used last
        span.low, span.high = low, high
        wanted = {
            k.article_id: k
            for k in story_members.window_member_keys(session, low, high, exclude_id=article_id)
        }
        clusterer, held = span.clusterer, span.held
        for key in [k for k, kept in held.items() if wanted.get(k) != kept]:
            clusterer.discard(key)
            del held[key]
        missing = [k for k in wanted.values() if k.article_id not in held]
        known: dict[int, tuple[stories_stage.StoryFeatures, Fingerprint]] = {}
        unread = []
        for k in missing:
            cached = self._features.get(k.membership_id)
            if cached is not None and cached[0] == k.article_id:
                known[k.membership_id] = (cached[1], cached[2])
            else:
                unread.append(k.membership_id)
        fetched = story_members.members_by_ids(session, unread)
        self.rows_read += len(fetched)
        for m, found, fp in self._read_whole(session, fetched):
            known[m.membership_id] = (found, fp)
        for k in missing:
            pair = known.get(k.membership_id)
            if pair is None:  # its row went between the two reads (another process took the article out)
                continue
            clusterer.add(
                stories_stage.Item(k.article_id, k.when, pair[0], pair[1], k.story_id, k.duplicate_of)
            )
            held[k.article_id] = k
        self._trim()
        return clusterer

    def _read_whole(
        self, session: Any, members: list[story_members.StoryMember]
    ) -> list[tuple[story_members.StoryMember, stories_stage.StoryFeatures, Fingerprint]]:
        """Members read whole, with their features (recomputed where missing) and fingerprints, each remembered
        for a later window."""
        features_of = _member_features(session, members)
        read = []
        for m in members:
            found = features_of[m.article_id]
            assert found is not None  # _member_features recomputes what is missing
            fp = Fingerprint.from_bytes(m.fingerprint)
            self._remember(m.membership_id, m.article_id, found, fp)
            read.append((m, found, fp))
        return read

    def _trim(self) -> None:
        """Forget the least recently used windows beyond ``SPANS``, or beyond ``MAX_HELD`` members in all (a
        window larger than that is used once and not kept, as every straggler window was before)."""
        total = sum(len(span.held) for span in self.spans)
        while self.spans and (len(self.spans) > self.SPANS or total > self.MAX_HELD):
            total -= len(self.spans.pop(0).held)


def _member_key(m: story_members.StoryMember) -> story_members.MemberKey:
    return story_members.MemberKey(
        m.article_id, m.membership_id, m.story_id, m.when, m.language, m.duplicate_of
    )


class StoryWindow:
    """One store's story window, kept in this process between articles so that placing one costs the same
    however many are stored.

    It holds every stored member dated at or after ``low`` (``Clusterer`` evicts by date as the newest date
    moves). Before each placement, under the story lock, it reads what was written since its watermark, by this
    process or another (``members_after``); when the store's marker says memberships were rewritten wholesale
    (``gazette recluster``) or a transaction that wrote stories rolled back, it is read afresh from the stored
    features of the window. ``loads`` and ``rows_read`` count that work. An article placed again after its
    text changed gets a new membership row, which replaces the window's old entry like any other.
    """

    def __init__(self) -> None:
        self.clusterer = stories_stage.Clusterer()
        self.marker: story_store.IndexMarker | None = None
        self.low: datetime | None = None
        self.newest: datetime | None = None
        self.lock = threading.RLock()
        self.loads = 0
        self.stragglers = 0
        self.rows_read = 0
        self.straggler_windows = StragglerWindows()

    def invalidate(self) -> None:
        self.marker = None

    def _flush(self, pending: list[stories_stage.Item]) -> None:
        self.clusterer.add_many(pending)
        pending.clear()

    @staticmethod
    def _effective(when: datetime, fetched_at: datetime | None) -> datetime:
        # a date in the future (a bad clock at the source) must not push the whole window out
        return min(when, fetched_at) if fetched_at is not None else when

    def _advance(self, when: datetime, fetched_at: datetime | None) -> None:
        effective = self._effective(when, fetched_at)
        if self.newest is None or effective > self.newest:
            self.newest = effective
            self.clusterer.evict_before(effective)
            floor = effective - self.clusterer.retention
            if self.low is None or floor > self.low:
                self.low = floor

    def sync(self, session: Any, when: datetime, marker: story_store.IndexMarker | None = None) -> None:
        """Bring the window up to what is stored (the caller holds the story lock); ``marker``: the store's,
        read under that lock already."""
        if marker is None:
            marker = story_store.index_marker(session)
        old = self.marker
        if (
            old is None
            or self.low is None
            or (old.token, old.epoch) != (marker.token, marker.epoch)
            or marker.last_membership < old.last_membership
        ):
            self.clusterer = stories_stage.Clusterer()
            self.straggler_windows.clear()
            self.newest = None
            self.low = when - self.clusterer.retention
            members = story_members.window_members(session, self.low)
            self.loads += 1
        elif marker.last_membership == old.last_membership:
            members = []  # nothing written since the watermark: no rows to read
        else:
            members = story_members.members_after(session, old.last_membership)
        self.rows_read += len(members)
        features = _member_features(session, members)
        # Members are added in bulk (``add_many``) between the moments the window evicts or discards, so that
        # it ends as it would adding them one by one.
        pending: list[stories_stage.Item] = []
        oldest: datetime | None = None
        for member in members:
            found = features[member.article_id]
            if member.when >= self.low:
                if found is not None:
                    pending.append(
                        stories_stage.Item(
                            key=member.article_id,
                            when=member.when,
                            features=found,
                            fingerprint=Fingerprint.from_bytes(member.fingerprint),
                            story=member.story_id,
                            duplicate_of=member.duplicate_of,
                        )
                    )
                    oldest = member.when if oldest is None else min(oldest, member.when)
            else:
                self._flush(pending)
                oldest = None
                self.clusterer.discard(member.article_id)
            effective = self._effective(member.when, member.fetched_at)
            if self.newest is None or effective > self.newest:
                cutoff = effective - self.clusterer.retention
                if (oldest is not None and oldest < cutoff) or self.clusterer.would_evict(effective):
                    self._flush(pending)
                    oldest = None
            self._advance(member.when, member.fetched_at)
        self._flush(pending)
        self.marker = marker

    def add_own(
        self,
        session: Any,
        article_id: int,
        when: datetime,
        fetched_at: datetime | None,
        features: stories_stage.StoryFeatures,
        fp: Fingerprint,
        result: StoryResult,
    ) -> None:
        """Put the article just placed into the window at once, when its membership row is the next one
        after the watermark (else the next ``sync`` reads it); a rollback empties the window anyway.

        A straggler goes in too when dated at or after ``low`` (else it is only taken out of the window, where
        an earlier placement of it may be), as ``sync`` would do reading its row; pass its features and
        fingerprint in their stored form then (``StragglerWindows.remember_own``)."""
        membership_id = result.membership_id
        if self.marker is None or membership_id != self.marker.last_membership + 1:
            return
        if self.low is not None and when >= self.low:
            self.clusterer.add(
                stories_stage.Item(article_id, when, features, fp, result.story_id, result.duplicate_of)
            )
        else:
            self.clusterer.discard(article_id)
        self._advance(when, fetched_at)
        self.marker = dataclasses.replace(self.marker, last_membership=membership_id)

    def covers(self, when: datetime) -> bool:
        return self.low is not None and when - self.clusterer.window >= self.low


def _member_features(
    session: Any, members: list[story_members.StoryMember]
) -> dict[int, stories_stage.StoryFeatures | None]:
    """Stored features, recomputed from the text where missing or made by an older ``extract_features``."""
    found = {m.article_id: stories_stage.StoryFeatures.from_json(m.features) for m in members}
    stale = [m for m in members if found[m.article_id] is None]
    if stale:
        texts = story_store.titles_and_texts(session, [m.article_id for m in stale])
        for m in stale:
            title, text = texts.get(m.article_id, ("", ""))
            found[m.article_id] = stories_stage.extract_features(title, text, m.language)
    return found


_STORY_WINDOWS: weakref.WeakKeyDictionary[Any, StoryWindow] = weakref.WeakKeyDictionary()
_STORY_WINDOWS_LOCK = threading.Lock()


def story_window(session: Any) -> StoryWindow:
    """The window kept for the session's database (one per engine, made on first use)."""
    engine = session.get_bind().engine
    with _STORY_WINDOWS_LOCK:
        window = _STORY_WINDOWS.get(engine)
        if window is None:
            window = _STORY_WINDOWS[engine] = StoryWindow()
        return window


def _watch_rollbacks(session: Any, window: StoryWindow) -> None:
    """A transaction that wrote story rows and then rolled back leaves the window ahead of the store: the
    session's rollbacks invalidate the window from now on (``_story_rollback``)."""
    session.info[_WATCHED_WINDOW] = window


_WATCHED_WINDOW = "gazette_story_window"


@event.listens_for(Session, "after_soft_rollback")
def _story_rollback(session: Any, _previous: Any) -> None:
    """One listener for every session (one on each session made every event of it look through its own
    listeners as well): a session that placed articles invalidates its window when it rolls back."""
    window = session.info.get(_WATCHED_WINDOW)
    if window is not None:
        window.invalidate()


@dataclass(frozen=True)
class StoryResult:
    """Where ``assign_story`` put an article: its story, whether that story is new, the original it copies."""

    story_id: int
    is_new: bool
    duplicate_of: int | None = None
    similarity: float = 1.0
    membership_id: int = 0  # the membership row written (0 when the stored answer was returned)


def _record_story(
    session: Any,
    row: Any,
    when: datetime,
    placement: stories_stage.Placement,
    fp: Fingerprint,
    features: stories_stage.StoryFeatures,
    *,
    story: Any = None,
    count: bool = False,
    same_source: bool | None = None,
) -> StoryResult:
    """Write the placement: a new story if needed, the membership row, the duplicate link.

    With ``count`` (one article placed by ``assign_story``), also the story's counts and dates; the marker was
    then read under the story lock in this transaction (``StoryWindow.sync``), so the membership id is taken
    from it without reading it again, and ``story`` is the placement's story, read already (with
    ``same_source``, whether another of its members comes from the article's source, when read with it).
    """
    is_new = placement.story is None
    similarity = 1.0 if is_new else placement.similarity
    if is_new and count:  # the story and the membership row (one statement where the database allows)
        story, membership = story_store.start_story(
            session, row, when, similarity, fp.to_bytes(), features.to_json()
        )
        story_id = story.id
    else:
        if is_new:
            story = story_store.create_story(session, row.title, when)
            story_id = story.id
        else:
            story_id = int(placement.story)  # type: ignore[call-overload]
        membership = story_store.add_membership(
            session, row.id, story_id, similarity, fp.to_bytes(), features.to_json(), marker_read=count
        )
    original_id: int | None = None
    if placement.duplicate_of is not None:
        original_id = int(placement.duplicate_of)  # type: ignore[call-overload]
        story_store.add_duplicate(session, row.id, original_id, placement.duplicate_similarity, at_once=count)
    if count and story is not None and not is_new:  # a new story counted its first member when made
        story_store.count_new_member(
            session, story, row, when, same_source=same_source if story.id == story_id else None
        )
    return StoryResult(story_id, is_new, original_id, similarity, membership)


def _same_bytes(
    session: Any,
    row: Any,
    placement: stories_stage.Placement,
    same: Any = story_store.UNREAD,
) -> stories_stage.Placement:
    """The same bytes stored earlier, however long ago, are a copy too (``same``: the stored one, looked up
    already by ``story_store.marker_and_same_hash``)."""
    if placement.duplicate_of is not None:
        return placement
    if same is story_store.UNREAD:
        same = story_store.earliest_same_hash(session, row)
    if same is None:
        return placement
    same_id, story_id, original_id = same
    return stories_stage.Placement(story_id, 1.0, original_id if original_id is not None else same_id, 1.0)


def assign_story(
    session: Any,
    row: Any,
    *,
    max_chars: int = ENRICH_MAX_CHARS,
    prepared: stories_stage.StoryInput | None = None,
    new_row: bool = False,
) -> StoryResult:
    """Put a saved article in a story (an existing one or a new one) and record it if it is a near-copy.

    Call it in the transaction that saved the article (it flushes, never commits). Calling it again for the
    same article with the same text returns the stored answer; after the text changed it places it afresh.
    The window comes from this process's ``StoryWindow`` for the store, brought up to date first; an article
    dated before that window's reach is placed against a window read for it alone.

    ``prepared`` is the article's features and fingerprint made by the worker (``Enricher.story_input``),
    used when made from the row's title, text and language; ``new_row`` says the row was inserted in this
    transaction, so it is in no story yet and that is not looked up.
    """
    if row.id is None:
        session.flush()
    story_in = stories_stage.for_article(prepared, row.title, row.text, row.language, max_chars=max_chars)
    fp, features = story_in.fingerprint, story_in.features
    existing = None if new_row else story_store.membership(session, row.id)
    if existing is not None and existing.fingerprint == fp.to_bytes():
        dup = story_store.duplicate_row(session, row.id)
        return StoryResult(existing.story_id, False, dup.original_id if dup else None, existing.similarity)
    story_store.lock_story_assignment(session)
    lone = story_store.take_out_lone(session, existing) if existing is not None else None
    emptied = story_store.detach_article(session, row.id) if existing is not None and lone is None else None
    when = story_store.article_time(row)
    window = story_window(session)
    _watch_rollbacks(session, window)
    with window.lock:
        try:
            marker, same = story_store.marker_and_same_hash(session, row)  # one statement for both
            window.sync(session, when, marker)
            if window.covers(when):
                clusterer = window.clusterer
            else:  # a straggler, older than the kept window reaches: a window of its own
                window.stragglers += 1
                clusterer = window.straggler_windows.window_for(
                    session, row.id, when, window.clusterer.window
                )
            clusterer.discard(row.id)
            placement = _same_bytes(session, row, clusterer.place(row.id, when, features, fp), same)
            story, same_source = None, None
            if placement.story is not None:
                story, same_source = story_store.story_for_member(
                    session,
                    int(placement.story),  # type: ignore[call-overload]
                    row,
                )
                if story is None:
                    window.invalidate()  # the window knew a story that another writer removed: start anew
                    placement = stories_stage.Placement(None, 0.0)
            if lone is not None and placement.story is None:
                # a re-fetched article that stands alone again keeps its story's id and slug (its URL)
                placement, story, lone.title = stories_stage.Placement(lone.id, 1.0), lone, row.title
                same_source = False  # the story has no other member: nothing to look up
                lone.first_seen = lone.updated_at = when
            elif lone is not None:
                emptied = lone.id if story_store.refresh_story(session, lone.id) is None else None
            result = _record_story(
                session, row, when, placement, fp, features, story=story, count=True, same_source=same_source
            )
            session.flush()
            if clusterer is window.clusterer:
                window.add_own(session, row.id, when, row.fetched_at, features, fp, result)
            else:  # what the next sync would read back: the window goes on without reading it
                stored, stored_fp = window.straggler_windows.remember_own(
                    result.membership_id, row.id, features, fp
                )
                window.add_own(session, row.id, when, row.fetched_at, stored, stored_fp, result)
        except BaseException:
            window.invalidate()
            raise
    if emptied is not None:
        story_store.point_redirects(session, {emptied: result.story_id})
    logger.debug(
        "article %s in story %s%s",
        row.id,
        result.story_id,
        " (new)" if result.is_new else "",
        extra={"article_id": row.id, "story_id": result.story_id},
    )
    return result


@dataclass
class ReclusterReport:
    """What ``recluster`` built."""

    articles: int = 0
    stories: int = 0
    duplicates: int = 0
    multi_source_stories: int = 0
    kept: int = 0  # stories that kept their id (and URL)
    redirected: int = 0  # old story ids that now answer 301


def recluster(
    session: Any,
    on_progress: Callable[[int, int], None] | None = None,
    batch: int = 500,
    *,
    max_chars: int = ENRICH_MAX_CHARS,
) -> ReclusterReport:
    """Place every stored article again, oldest first, keeping story ids (and URLs) where the stories hold.

    One transaction: the caller commits. ``on_progress(done, total)`` is called after each batch. The session
    is emptied (``expunge_all``) after each batch, so pass one that holds nothing else. The stories are the
    same as assigning the articles one by one in date order (ties by id); a new story takes the id of the old
    story most of whose articles it holds (``keep_story_ids``), and every other old id redirects.
    """
    story_store.lock_story_assignment(session)
    before = story_store.memberships(session)
    old_ids = set(before.values())
    story_store.clear_memberships(session)
    order = story_store.article_order(session)
    report = ReclusterReport(articles=len(order))
    clusterer = stories_stage.Clusterer()
    by_hash: dict[str, tuple[int, int]] = {}  # content hash → (original article id, story id)
    after: dict[int, int] = {}
    done = 0
    for start in range(0, len(order), batch):
        chunk = order[start : start + batch]
        rows = story_store.articles_by_ids(session, chunk)
        for article_id in chunk:
            row = rows[article_id]
            when = story_store.article_time(row)
            clusterer.evict_before(when)
            features = stories_stage.extract_features(row.title, row.text, row.language, max_chars=max_chars)
            fp = stories_stage.text_fingerprint(row.title, row.text, max_chars=max_chars)
            placement = clusterer.place(row.id, when, features, fp)
            if placement.duplicate_of is None and row.content_hash in by_hash:
                original, story = by_hash[row.content_hash]
                placement = stories_stage.Placement(story, 1.0, original, 1.0)
            result = _record_story(session, row, when, placement, fp, features)
            clusterer.add(
                stories_stage.Item(row.id, when, features, fp, result.story_id, result.duplicate_of)
            )
            if row.content_hash:
                by_hash.setdefault(row.content_hash, (result.duplicate_of or row.id, result.story_id))
            after[row.id] = result.story_id
            report.duplicates += result.duplicate_of is not None
        session.flush()
        session.expunge_all()  # keep memory flat on big archives
        done += len(chunk)
        if on_progress is not None:
            on_progress(done, len(order))
    kept, redirected = stories_stage.keep_story_ids(before, after)
    story_store.renumber_stories(session, kept, redirected)
    final = {kept.get(s, s) for s in after.values()}
    for story_id in sorted(old_ids - final - set(redirected)):  # old stories left without articles
        story_store.refresh_story(session, story_id)
    for story_id in sorted(final):
        refreshed = story_store.refresh_story(session, story_id)
        if refreshed is not None and refreshed.source_count > 1:
            report.multi_source_stories += 1
    report.stories = len(final)
    report.kept, report.redirected = len(kept), len(redirected)
    logger.info(
        "reclustered %d articles into %d stories (%d duplicates; %d ids kept, %d redirected)",
        report.articles,
        report.stories,
        report.duplicates,
        report.kept,
        report.redirected,
    )
    return report


# -- archive backfill ------------------------------------------------------------------------------------
# A backfill task (one WARC range) runs here, in a Dask worker process: it reads the range's records, extracts
# and enriches each page as ingest does, and writes them in batches with idempotent upserts. Stories and
# near-duplicates come after, in publication order, from ``Pipeline.assign_stories`` on the client.


@dataclass
class BackfillCounts:
    """What one backfill task (or a whole run) did with its HTTP response records."""

    records: int = 0
    new: int = 0
    duplicates: int = 0
    skipped: int = 0
    failed: int = 0
    new_ids: list[int] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def add(self, other: BackfillCounts) -> None:
        self.records += other.records
        self.new += other.new
        self.duplicates += other.duplicates
        self.skipped += other.skipped
        self.failed += other.failed
        self.new_ids.extend(other.new_ids)
        self.failures.extend(other.failures)


_backfill_state: dict[str, tuple[Database, Enricher]] = {}


def _backfill_resources(settings: Settings) -> tuple[Database, Enricher]:
    """One database engine and one set of models per worker process and settings, kept between tasks."""
    import json

    key = json.dumps(dataclasses.asdict(settings), sort_keys=True, default=str)
    if key not in _backfill_state:
        _backfill_state[key] = (Database(settings.database_url), Enricher(settings))
    return _backfill_state[key]


def source_name_for(url: str) -> str:
    """A backfilled article's source: the registered host of its URL (``www.`` dropped)."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "unknown").lower()
    return host[4:] if host.startswith("www.") else host


def backfill_range(
    settings: Settings,
    rng: warc_reader.WarcRange,
    *,
    batch_size: int = 250,
    db: Database | None = None,
    enricher: Enricher | None = None,
) -> BackfillCounts:
    """Extract, enrich and store the HTML responses of one WARC range, ``batch_size`` per transaction.

    Safe to run again on the same range: stored URLs are skipped before extraction, and the batch insert
    ignores a URL that another worker stored in between.
    """
    if db is None or enricher is None:
        db, enricher = _backfill_resources(settings)
    counts = BackfillCounts()
    batch: list[warc_reader.WarcResponse] = []
    for response in warc_reader.read_range(rng, settings.fetch.max_bytes):
        counts.records += 1
        if response.page is None:
            counts.skipped += 1
            logger.debug("record skipped: %s: %s", response.url, response.skip_reason)
            continue
        batch.append(response)
        if len(batch) >= batch_size:
            _backfill_batch(db, enricher, batch, counts)
            batch = []
    if batch:
        _backfill_batch(db, enricher, batch, counts)
    return counts


# Makes the story features and fingerprints of each chunk of article ids, yielded in the chunks' order.
StoryInputs = Callable[[Sequence[list[int]]], Iterator[Mapping[int, stories_stage.StoryInput]]]


def story_inputs_task(settings: Settings, ids: list[int]) -> dict[int, stories_stage.StoryInput]:
    """The story features and fingerprints of these stored articles (a Dask task of the backfill's story pass:
    the part of placing an article that needs no other article, made on the workers while the client places
    the chunks before). An article whose inputs fail is left out; the client makes them."""
    db, enricher = _backfill_resources(settings)
    with db.session() as s:
        texts = bulk_store.story_texts(s, ids)
    made: dict[int, stories_stage.StoryInput] = {}
    for article_id, (title, text, language) in texts.items():
        prepared = enricher.story_input_of(title, text, language, f"article {article_id}")
        if prepared is not None:
            made[article_id] = prepared
    return made


def dask_story_inputs(client: Any, settings: Settings, *, ahead: int | None = None) -> StoryInputs:
    """``Pipeline.assign_stories``'s ``prepare`` on a Dask cluster: one task per chunk, ``ahead`` chunks in
    flight (default: two per worker, so that no worker waits while the client places), yielded in order.
    A task that fails yields nothing for its chunk, which the client then makes itself."""

    def prepare(chunks: Sequence[list[int]]) -> Iterator[Mapping[int, stories_stage.StoryInput]]:
        depth = ahead or max(2, 2 * len(client.scheduler_info().get("workers", {})))
        pending: deque[Any] = deque()
        queued = iter(chunks)

        def submit_next() -> None:
            chunk = next(queued, None)
            if chunk is not None:
                pending.append(client.submit(story_inputs_task, settings, chunk, pure=False))

        try:
            for _ in range(depth):
                submit_next()
            while pending:
                future = pending.popleft()
                submit_next()  # keep the window full before waiting on the oldest
                try:
                    yield future.result()
                except Exception:
                    logger.warning("story inputs of a chunk failed on the cluster; made on the client")
                    yield {}
        finally:
            for future in pending:
                future.cancel()

    return prepare


BATCH_TRIES = 4  # a batch that meets a deadlock (two workers' batches waiting on each other) is written again


def _write_batch(db: Database, articles: list[models.Article]) -> bulk_store.BatchResult:
    """Store a batch in one transaction. When the database gives up on it (PostgreSQL breaks a deadlock
    between two workers' batches by aborting one; SQLite reports a locked file), the transaction is rolled
    back whole, so the batch is written again after a short, growing, jittered wait: the write is idempotent
    (stored URLs are skipped). Past ``BATCH_TRIES`` the error goes up as before."""
    for attempt in range(1, BATCH_TRIES + 1):
        try:
            with db.session() as s:
                sources = bulk_store.ensure_sources(s, [a.source or "" for a in articles])
                return bulk_store.store_batch(s, [(a, sources.get(a.source or "")) for a in articles])
        except StorageUnavailable as exc:
            if attempt == BATCH_TRIES:
                raise
            wait = 0.2 * attempt * (1 + random.random())
            logger.info("batch of %d not written (%s); again in %.1f s", len(articles), exc, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")


def _backfill_batch(
    db: Database, enricher: Enricher, batch: list[warc_reader.WarcResponse], counts: BackfillCounts
) -> None:
    with db.session() as s:
        known = bulk_store.known_urls(s, [r.url for r in batch] + [canonicalize_url(r.url) for r in batch])
    articles: list[models.Article] = []
    for response in batch:
        if response.url in known or canonicalize_url(response.url) in known:
            counts.skipped += 1
            continue
        assert response.page is not None
        # stories are placed after the whole backfill (``Pipeline.assign_stories``), from the stored rows
        processed = process_page(
            enricher, response.page, None, feed_section=None, source_country=None, prepare_store=False
        )
        if processed.article is None or len(response.url) > URL_MAX:
            counts.failed += 1
            counts.failures.append(Failure(response.url[:200], processed.reason or "URL too long to store"))
            continue
        article = processed.article
        if len(article.canonical_url) > URL_MAX:
            article.canonical_url = canonicalize_url(article.url)
        article.fetched_at = response.fetched_at
        article.source = source_name_for(article.url)
        articles.append(article)
    if not articles:
        return
    result = _write_batch(db, articles)
    for article in articles:
        outcome = result.outcomes.get(article.url, bulk_store.Outcome.SKIPPED)
        if outcome is bulk_store.Outcome.NEW:
            counts.new += 1
        elif outcome is bulk_store.Outcome.DUPLICATE:
            counts.duplicates += 1
        else:
            counts.skipped += 1
    counts.new_ids.extend(result.new_ids)
