"""Topic-watch webhooks — each outbox row POSTed once as signed JSON, retried with backoff until a 2xx.

Like ``pipeline``, this module chains rooms and belongs to none: the body's ``article`` is the API's own
serializer (``publish.api.article_json``), so a receiver sees exactly what ``/api/articles/{id}`` answers; the
outbox is ``store.watches``; the connection is the fetcher's guarded transport (``ingest``). A delivery:

1. claims a due outbox row (``store.watches.claim``: the attempt is counted and the row is held until the
   request's timeout has passed, so a sender killed mid-request leaves it due again soon after);
2. checks the webhook URL with the feeds' address guard (``ingest.guard``; ``[fetch] allow_hosts`` exempts a
   local receiver) and connects only to the addresses it checked (``ingest.transport``), redirects not followed;
3. POSTs ``{"watch": NAME, "article": {...}}`` with ``Idempotency-Key`` and, when the watch has a secret,
   ``X-Gazette-Signature: sha256=<HMAC-SHA256 of the body>``;
4. records a 2xx at once, before anything else is done with the answer — from then on the row is never sent
   again; anything else (an error status, a timeout, a refused address) is due again after
   ``[watch] retry_seconds`` × 2^(attempts − 1), at most a day.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from gazette import metrics
from gazette.config import Settings
from gazette.errors import GazetteError, WebhookError
from gazette.ingest.guard import check_url
from gazette.ingest.transport import PinnedTransport, pinned
from gazette.publish.api import article_json
from gazette.publish.pages import Site
from gazette.store import watches as watch_store
from gazette.store.db import Database

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Gazette-Signature"
MAX_BACKOFF = 86400.0  # seconds: a receiver down for days is still tried once a day, never given up
CLAIM_MARGIN = 5.0  # seconds past the request's timeout before another sender may take the row
BATCH = 100


def sign(body: bytes, secret: str) -> str:
    """The ``X-Gazette-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def payload(site: Site, watch_name: str, article: Any) -> bytes:
    """The body POSTed for one article: the watch's name and the article as ``/api/articles/{id}`` has it."""
    body = {"watch": watch_name, "article": article_json(site, article, full=True)}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """The wait after the ``attempts``-th failed attempt: retry_seconds, doubled each time, at most a day."""
    return min(settings.watch.retry_seconds * 2 ** max(0, attempts - 1), MAX_BACKOFF)


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.failed


class Sender:
    """Sends due outbox rows; one per process (``gazette run``'s worker thread, the end of ``gazette ingest``)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.site = Site(settings, db)
        timeout = settings.watch.timeout_seconds
        self._client = httpx.Client(
            transport=PinnedTransport(),
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": settings.fetch.user_agent},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def deliver_due(self, stop: threading.Event | None = None) -> DeliveryReport:
        """Attempt every row due now (each at most once); returns what was delivered and what failed."""
        report = DeliveryReport()
        while stop is None or not stop.is_set():
            now = datetime.now(UTC)
            with self.db.session() as s:
                due = watch_store.due_deliveries(s, now, BATCH)
            if not due:
                break
            for row in due:
                if stop is not None and stop.is_set():
                    break
                outcome = self._attempt(row)
                if outcome is True:
                    report.delivered += 1
                elif outcome is False:
                    report.failed += 1
            if len(due) < BATCH:
                break
        return report

    def _attempt(self, row: watch_store.DueDelivery) -> bool | None:
        """One attempt at one row: True delivered, False failed, None taken by another sender or gone."""
        now = datetime.now(UTC)
        hold = timedelta(seconds=self.settings.watch.timeout_seconds + CLAIM_MARGIN)
        with self.db.session() as s:
            if not watch_store.claim(s, row, now, now + hold):
                return None
            parts = watch_store.delivery_parts(s, row)
            if parts is None:
                return None  # the watch or the article went (the row goes with it)
            watch, article = parts
            name, url, secret = watch.name, watch.webhook, watch.secret
            body = payload(self.site, watch.name, article)
            idem = watch_store.idempotency_key(watch, row.article_id)
        attempt = row.attempts + 1
        if not url:
            return None  # cannot happen: only a watch with a webhook owes deliveries
        status: int | None = None
        try:
            status = self._post(url, body, idem, secret)
        except GazetteError as exc:
            error = exc.reason
        else:
            if 200 <= status < 300:
                # Recorded first: nothing that follows (a log line, a metric) can lose it.
                with self.db.session() as s:
                    watch_store.mark_delivered(s, row.id, status, datetime.now(UTC))
                metrics.WEBHOOK_DELIVERIES.labels("ok").inc()
                logger.info("webhook delivered: watch %s, article %s", name, row.article_id)
                return True
            error = f"HTTP {status}"
        wait = backoff_seconds(self.settings, attempt)
        with self.db.session() as s:
            watch_store.mark_failed(s, row.id, status, error, datetime.now(UTC) + timedelta(seconds=wait))
        metrics.WEBHOOK_DELIVERIES.labels("failed").inc()
        logger.warning(
            "webhook failed (attempt %d, retry in %.1f s): watch %s, article %s: %s",
            attempt,
            wait,
            name,
            row.article_id,
            error,
            extra={"watch": name, "article_id": row.article_id},
        )
        return False

    def _post(self, url: str, body: bytes, idempotency_key: str, secret: str | None) -> int:
        """POST the body to a checked address; the answer's status. Raises ``GazetteError`` subclasses only."""
        target = check_url(url, self.settings.fetch.allow_hosts)
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        if secret:
            headers[SIGNATURE_HEADER] = sign(body, secret)
        ends_at = time.monotonic() + self.settings.watch.timeout_seconds
        try:
            # Only the status is wanted: the answer's body is never read, so a receiver cannot make it large.
            with (
                pinned(target.addresses, ends_at),
                self._client.stream("POST", url, content=body, headers=headers) as response,
            ):
                return response.status_code
        except httpx.TimeoutException as exc:
            raise WebhookError(url, "timeout") from exc
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            raise WebhookError(url, f"{type(exc).__name__} ({exc})") from exc


def next_wait(db: Database, ceiling: float) -> float:
    """Seconds until the next undelivered row falls due, at most ``ceiling`` (the worker's idle poll)."""
    with db.session() as s:
        due = watch_store.next_due(s)
    if due is None:
        return ceiling
    return min(max((due - datetime.now(UTC)).total_seconds(), 0.0), ceiling)


def delivery_loop(settings: Settings, db: Database, stop: threading.Event, idle: float = 1.0) -> None:
    """``gazette run``'s webhook worker: send what is due, sleep until the next row falls due (at most ``idle``
    seconds, so rows written by the ingest thread are seen soon), until ``stop`` is set."""
    with Sender(settings, db) as sender:
        while not stop.is_set():
            try:
                sender.deliver_due(stop)
                wait = next_wait(db, idle)
            except GazetteError as exc:  # the store failed: try again after a pause
                logger.warning("webhook deliveries paused: %s", exc)
                wait = idle
            stop.wait(max(wait, 0.05))
