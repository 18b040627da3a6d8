"""Publish: an in-memory cache of rendered responses, in front of the web app (raw ASGI, so a hit costs no
routing, no template and no query).

Pages change only when the store does, so the cache is keyed by method-less URL (path and query) and emptied when
the store's *generation* changes — a cheap summary of the articles table (count, newest id, latest fetch and
update), checked at most once per ``check_interval`` seconds. Only complete 200 responses that carry an ETag are
kept (every page, feed and API answer does); a conditional request that matches gets its 304 from the cache too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from gazette.store.db import Database
from gazette.store.schema import Article, Feed

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY = 2 * 1024 * 1024
UNCACHED_PREFIXES = ("/api/docs", "/healthz", "/metrics")


@dataclass(frozen=True)
class CachedResponse:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes


def store_generation(db: Database) -> tuple[Any, ...]:
    """What changes whenever a page could: the articles' count, newest id and latest timestamps, and the
    sources' feeds flags (a feed marked republishable changes article pages)."""
    with db.session() as s:
        row = s.execute(
            select(
                func.count(Article.id),
                func.max(Article.id),
                func.max(Article.fetched_at),
                func.max(Article.updated_at),
                func.max(Article.section),
            )
        ).one()
        feeds = s.execute(select(func.count(Feed.id), func.max(Feed.last_checked))).one()
    return (*tuple(row), *tuple(feeds))


class ResponseCache:
    """ASGI middleware: serve repeated GET/HEAD requests from memory until the store changes."""

    def __init__(
        self,
        app: ASGIApp,
        generation: Callable[[], tuple[Any, ...]],
        *,
        max_entries: int = 4096,
        check_interval: float = 1.0,
    ) -> None:
        self.app = app
        self.generation = generation
        self.max_entries = max_entries
        self.check_interval = check_interval
        self._entries: OrderedDict[bytes, CachedResponse] = OrderedDict()
        self._lock = threading.Lock()
        self._current: tuple[Any, ...] | None = None
        self._checked = 0.0
        self.hits = 0
        self.misses = 0

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.check_interval:
            return
        self._checked = now
        try:
            current = self.generation()
        except Exception:  # the store is unreachable: serve nothing stale, let the app answer
            logger.warning("response cache: cannot read the store's generation; cache emptied", exc_info=True)
            current = None
        if current != self._current or current is None:
            with self._lock:
                self._entries.clear()
            self._current = current

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(UNCACHED_PREFIXES):
            await self.app(scope, receive, send)
            return
        self._refresh()
        key = path.encode("utf-8", "surrogateescape") + b"?" + scope.get("query_string", b"")
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
        if hit is not None:
            self.hits += 1
            await self._send_cached(scope, send, hit)
            return
        self.misses += 1
        await self._fill(scope, receive, send, key)

    async def _send_cached(self, scope: Scope, send: Send, hit: CachedResponse) -> None:
        inm = b""
        for name, value in scope.get("headers", []):
            if name == b"if-none-match":
                inm = value
        if inm and (
            inm.strip() == b"*" or hit.etag in {t.strip().removeprefix(b"W/") for t in inm.split(b",")}
        ):
            headers = [(k, v) for k, v in hit.headers if k not in (b"content-length", b"content-type")]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": hit.headers})
        body = b"" if scope["method"] == "HEAD" else hit.body
        await send({"type": "http.response.body", "body": body})

    async def _fill(self, scope: Scope, receive: Receive, send: Send, key: bytes) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        cacheable = scope["method"] == "GET" and not any(
            name in (b"if-none-match", b"if-modified-since") for name, _ in scope.get("headers", [])
        )

        async def capture(message: Message) -> None:
            nonlocal start, cacheable
            if message["type"] == "http.response.start":
                start = message
                if message["status"] != 200:
                    cacheable = False
            elif message["type"] == "http.response.body" and cacheable:
                chunks.append(message.get("body", b""))
                if sum(len(c) for c in chunks) > MAX_BODY:
                    cacheable = False
                    chunks.clear()
                if not message.get("more_body", False) and start is not None:
                    self._keep(key, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _keep(self, key: bytes, start: Message, body: bytes) -> None:
        headers = [(bytes(k).lower(), bytes(v)) for k, v in start.get("headers", [])]
        etag = next((v for k, v in headers if k == b"etag"), None)
        if etag is None or any(k == b"set-cookie" for k, _ in headers):
            return
        with self._lock:
            self._entries[key] = CachedResponse(headers, body, etag)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def cached_app(app: ASGIApp, db: Database, **options: Any) -> ResponseCache:
    """``app`` behind a response cache that empties itself when ``db`` changes (used by ``gazette serve``)."""
    return ResponseCache(app, lambda: store_generation(db), **options)
