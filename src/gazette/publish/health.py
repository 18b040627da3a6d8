"""Publish: ``/healthz`` (is the store reachable, when was the last ingest) and ``/metrics`` (Prometheus text).

Both are answered fresh on every request with ``Cache-Control: no-store``: the response cache keeps only
answers with an ETag, and these carry none.
"""

from __future__ import annotations

import logging

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gazette.errors import GazetteError
from gazette.metrics import FEEDS_DUE, REGISTRY
from gazette.store import subscriptions as feed_store
from gazette.store.db import Database, ping

logger = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}


def _db(request: Request) -> Database:
    db: Database = request.app.state.site.db
    return db


def healthz(request: Request) -> Response:
    """200 ``{"status": "ok", "database": "ok", "last_ingest": ...}``, or 503 naming why the store failed."""
    try:
        with _db(request).session() as s:
            ping(s)
            last = feed_store.last_ingest(s)
    except GazetteError as exc:
        logger.warning("health check: database unreachable: %s", exc)
        return JSONResponse(
            {"status": "error", "database": str(exc) or type(exc).__name__}, status_code=503, headers=NO_STORE
        )
    body = {"status": "ok", "database": "ok", "last_ingest": last.isoformat() if last else None}
    return JSONResponse(body, headers=NO_STORE)


def metrics(request: Request) -> Response:
    """Every ``gazette_*`` series in the Prometheus text format."""
    try:
        with _db(request).session() as s:
            FEEDS_DUE.set(feed_store.count_due(s))
    except GazetteError as exc:  # the counters are still worth reading
        logger.warning("metrics: cannot count due feeds: %s", exc)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)
