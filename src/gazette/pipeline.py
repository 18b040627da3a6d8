"""The one module that chains the stages: fetch → parse feed → fetch pages → extract → enrich → store.

Feeds are collected in worker threads (network-bound; the fetcher keeps one request at a time per host),
and every result goes through one queue to the calling thread, which enriches and stores it — so models and
database writes stay single-threaded, each article is one transaction, and a feed's validators (ETag,
Last-Modified, next check) are written only after all of its items (invariant I3 in shared/HOSTILE.md).
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from gazette import metrics, models
from gazette import schedule as scheduling
from gazette.config import Settings
from gazette.enrich import briefs as briefs_stage
from gazette.enrich import locales as locales_stage
from gazette.enrich import sections as sections_stage
from gazette.enrich import stories as stories_stage
from gazette.errors import (
    BlockedAddress,
    ExtractionRejected,
    FeedError,
    GazetteError,
    HTTPStatusError,
    RobotsDisallowed,
    StorageError,
    TooLarge,
    TooManyRedirects,
)
from gazette.extract.article import extract_article
from gazette.ingest.feeds import parse_feed
from gazette.ingest.fetcher import Fetcher, parse_retry_after
from gazette.store import articles as article_store
from gazette.store import feeds as feed_store
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


# Events a feed worker sends to the storing thread.
@dataclass
class _Entries:
    job: _FeedJob
    count: int


@dataclass
class _PageDone:
    job: _FeedJob
    article: models.Article


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


class Enricher:
    """Sections, locales and briefs for one article; models load once per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._classifier: Any = None

    def _get_classifier(self) -> Any:
        if self._classifier is None:
            self._classifier = sections_stage.load_classifier(self.settings.sections)
        return self._classifier

    def enrich(
        self, article: models.Article, *, feed_section: str | None, source_country: str | None
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


class Pipeline:
    """Ingest feeds into the store. One instance per run; ``close()`` releases the fetcher."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        fetcher: Fetcher | None = None,
        workers: int = 4,
        progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        # Set from outside (``gazette run`` on SIGTERM): the run stores the article in hand, then returns.
        self.stop = stop or threading.Event()
        self.db = db
        self.fetcher = fetcher or Fetcher(settings.fetch)
        self.workers = max(1, workers)
        self.progress = progress or (lambda event, data: None)
        self.enricher = Enricher(settings)

    def close(self) -> None:
        self.fetcher.close()

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
                started = time.perf_counter()
                try:
                    article = extract_article(page, entry)
                finally:
                    metrics.EXTRACT_SECONDS.observe(time.perf_counter() - started)
            except GazetteError as exc:
                transient = transient or is_transient(exc)
                out.put(_PageFailed(job, entry.url, exc.reason))
                continue
            except Exception as exc:  # a bug is no verdict on the page: retried on the next run
                logger.exception("unexpected error on article %s", entry.url)
                transient = True
                out.put(_PageFailed(job, entry.url, f"internal error: {type(exc).__name__}: {exc}"))
                continue
            article.source = job.source_name
            article.feed_url = job.url
            article.guid = entry.guid
            article.fetched_at = datetime.now(UTC)
            out.put(_PageDone(job, article))
        asked = scheduling.asked_interval(
            *header_hints,
            scheduling.ttl_seconds(parsed.ttl),
            scheduling.update_period_seconds(parsed.update_period, parsed.update_frequency),
        )
        learned = scheduling.learned_interval(e.published_at for e in parsed.entries)
        out.put(_FeedDone(job, doc, parsed.title, keep_validators=transient, asked=asked, learned=learned))

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
        with self.db.session() as s:
            known = article_store.known_urls(
                s, [canonicalize_url(e.url) for e in unique] + [e.url for e in unique]
            )
            if declared_section and known:
                article_store.file_in_declared_section(s, sorted(known), declared_section)
        return [e for e in unique if e.url not in known and canonicalize_url(e.url) not in known]

    # -- storing side ------------------------------------------------------------------------------

    def _store_article(self, job: _FeedJob, article: models.Article, report: IngestReport) -> None:
        try:
            self.enricher.enrich(article, feed_section=job.section, source_country=job.source_country)
        except Exception as exc:  # enrichment is best effort; the article is still worth storing
            logger.exception("enrichment failed for %s", article.url)
            report.failures.append(Failure(article.url, f"enrichment failed: {exc}", job.url))
        if len(article.canonical_url) > URL_MAX:
            article.canonical_url = canonicalize_url(article.url)
        if article.guid and len(article.guid) > URL_MAX:
            article.guid = None
        if len(article.canonical_url) > URL_MAX or len(article.url) > URL_MAX:
            report.failures.append(Failure(article.url[:200], "URL too long to store", job.url))
            return
        try:
            with self.db.session() as s:
                row, result = article_store.save_article(s, article, source_id=job.source_id, feed_id=job.id)
                if result in (article_store.SaveResult.NEW, article_store.SaveResult.UPDATED):
                    self._place_in_story(s, row)
        except StorageError as exc:
            if not isinstance(exc.__cause__, IntegrityError | DataError):
                raise  # the database itself failed (disk full, lock, lost server): stop the run cleanly
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

    def _place_in_story(self, session: Any, row: Any) -> None:
        """Near-duplicates and stories, in the article's own transaction; a failure here costs the story link,
        never the article (it is undone to a savepoint)."""
        try:
            with session.begin_nested():
                stories_stage.assign_story(session, row, max_chars=self.settings.enrich.max_chars)
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
                keep = doc.not_modified or event.keep_validators
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
                    if event is None:
                        continue
                    if isinstance(event, _Entries):
                        self.progress("entries", {"feed": event.job.url, "count": event.count})
                    elif isinstance(event, _PageDone):
                        self._store_article(event.job, event.article, report)
                        self.progress("article", {"url": event.article.url, "ok": True})
                    elif isinstance(event, _PageFailed):
                        report.failures.append(Failure(event.url, event.reason, event.job.url))
                        logger.warning("article failed: %s: %s", event.url, event.reason)
                        self.progress("article", {"url": event.url, "ok": False, "reason": event.reason})
                    elif isinstance(event, _FeedDone | _FeedFailed):
                        pending -= 1
                        self._finish_feed(event)
                        finished.add(event.job.id)
                        if isinstance(event, _FeedDone):
                            if event.doc.not_modified:
                                report.feeds_not_modified += 1
                            else:
                                report.feeds_ok += 1
                        else:
                            report.feeds_failed += 1
                            report.failures.append(Failure(event.job.url, event.reason, event.job.url))
                            logger.warning("feed failed: %s: %s", event.job.url, event.reason)
                        self.progress("feed", {"url": event.job.url, "ok": isinstance(event, _FeedDone)})
            except BaseException:
                stop.set()
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
