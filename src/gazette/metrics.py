"""Metrics: the process's Prometheus counters and histograms, fed by the pipeline and read by ``/metrics``.

One registry per process (not prometheus_client's global one, so only Gazette's own series are exposed).
Counters count what this process did since it started, as Prometheus expects; ``gazette_feeds_due`` is read
from the store when scraped.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

logger = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

ARTICLES_INGESTED = Counter(
    "gazette_articles_ingested",
    "Articles stored new or updated by ingest runs in this process.",
    registry=REGISTRY,
)
FEED_FETCHES = Counter(
    "gazette_feed_fetches",
    "Feed fetches by outcome: ok, not_modified or failed.",
    ["outcome"],
    registry=REGISTRY,
)
FETCH_SECONDS = Histogram(
    "gazette_fetch_seconds",
    "Seconds per HTTP fetch of a feed or an article page.",
    registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
EXTRACT_SECONDS = Histogram(
    "gazette_extract_seconds",
    "Seconds to extract one article page.",
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
FEEDS_DUE = Gauge("gazette_feeds_due", "Feeds whose next check has come.", registry=REGISTRY)
WEBHOOK_DELIVERIES = Counter(
    "gazette_webhook_deliveries",
    "Webhook deliveries by outcome: ok or failed.",
    ["outcome"],
    registry=REGISTRY,
)

FETCH_OUTCOMES = ("ok", "not_modified", "failed")
for _outcome in FETCH_OUTCOMES:
    FEED_FETCHES.labels(_outcome)  # every outcome shows from the start, at 0
for _outcome in ("ok", "failed"):
    WEBHOOK_DELIVERIES.labels(_outcome)
