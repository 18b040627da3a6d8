"""Publish: an in-memory cache of rendered responses, in front of the web app (raw ASGI, so a hit costs no
routing, no template and no query).

Each kept answer carries *tags* naming what it shows: a section, a source, a country, a day or month, a
story, or ``*`` for pages that show the whole site (front page, site feeds, sitemaps, search, the API). Triggers
keep a change version on every counted listing (``store.counts``); at most once per ``check_interval``
seconds the cache asks which listings changed since the version it last saw and drops only the answers tagged
with them, plus the ``*`` ones. A change to the site's shape — a section, day or place that appears or
empties (the navigation and the archive's previous/next links), or any change to the sources — drops
everything. Only complete 200 responses that carry an ETag are kept (every page, feed and API answer does); a
conditional request that matches gets its 304 from the cache too. A page missing from the cache is rendered
once however many ask for it meanwhile (they wait and get the kept answer), and at most ``max_renders`` misses
render at once, so the loop keeps answering hits while the cache fills. Under `gazette serve` the server asks
``ResponseCache.answer`` itself as soon as a request's headers are read (``connection.py``), so a hit costs no
ASGI task either.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from gazette.publish.hosts import RESERVED, SITE_PATH
from gazette.store import counts as counter
from gazette.store import listings
from gazette.store.db import Database

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY = 2 * 1024 * 1024
# Watch pages change when a watch is added or removed, which no change version counts: always rendered.
UNCACHED_PREFIXES = ("/api/docs", "/healthz", "/metrics", "/watch/")
EVERYTHING = "*"  # the tag of pages that show the whole site
WHOLE = "**"  # in a set of stale tags: drop every answer
_NOT_SECTIONS = RESERVED  # first path segments that are never section slugs
_ARTICLE = re.compile(r"/content/([0-9]{4}/[0-9]{2}/[0-9]{2})/([^/]+)\.html")
_DAY = re.compile(r"/archive/([0-9]{4}/[0-9]{2}/[0-9]{2})/(?:page/[0-9]+/)?")
_MONTH = re.compile(r"/archive/([0-9]{4}/[0-9]{2})/")
_STORY = re.compile(r"/story/([0-9]{1,12})/")
# Kinds whose appearing or emptying changes every page (navigation, previous/next links, place lists).
SHAPE_KINDS = ("section", "day", "country", "region")


@dataclass(frozen=True)
class CachedResponse:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes
    tags: frozenset[str] = frozenset({EVERYTHING})
    # the headers of its 304: all but the body's length and type, worked out once when kept
    not_modified: list[tuple[bytes, bytes]] = field(default_factory=list)

    @classmethod
    def keep(
        cls, headers: list[tuple[bytes, bytes]], body: bytes, etag: bytes, tags: frozenset[str]
    ) -> CachedResponse:
        short = [(k, v) for k, v in headers if k not in (b"content-length", b"content-type")]
        return cls(headers, body, etag, tags, short)

    def matches(self, if_none_match: bytes) -> bool:
        """Whether an If-None-Match value names this answer (weak comparison, RFC 9110 §13.1.2)."""
        if if_none_match.strip() == b"*":
            return True
        return self.etag in {t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")}


def store_generation(db: Database) -> tuple[Any, ...]:
    """The store's site-wide change version (it grows with every write a page could show)."""
    with db.session() as s:
        return (counter.site_version(s),)


def page_tags(db: Database, path: str) -> frozenset[str]:
    """What the page at ``path`` shows, as tags that a change to the store can name."""
    if path.startswith("/assets/"):
        return frozenset({"assets"})  # files read once at start-up
    if m := _ARTICLE.fullmatch(path):
        with db.session() as s:
            keys = counter.article_keys(s, m.group(1), m.group(2))
        return frozenset(keys) if keys else frozenset({EVERYTHING})
    if m := _DAY.fullmatch(path):
        return frozenset({f"day:{m.group(1)}"})
    if m := _MONTH.fullmatch(path):
        return frozenset({f"month:{m.group(1)}"})
    if m := _STORY.match(path):
        return frozenset({f"story:{m.group(1)}"})
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "source":
        with db.session() as s:
            src = listings.source_by_slug(s, parts[1])
        return frozenset({f"source:{src.id}"}) if src is not None else frozenset({EVERYTHING})
    if len(parts) >= 2 and parts[0] == "locale":
        with db.session() as s:
            place = listings.find_place(s, parts[1])
        return frozenset({f"country:{place.country_code}"}) if place is not None else frozenset({EVERYTHING})
    if parts[0] and parts[0] not in _NOT_SECTIONS and "." not in parts[0]:
        return frozenset({f"section:{parts[0]}"})
    return frozenset({EVERYTHING})


class StoreChanges:
    """Which tags a store change touches: polls the site version and reads the listings changed since."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.version: int | None = None
        self.shape: set[tuple[str, str]] = set()

    def poll(self) -> set[str] | None:
        """None when nothing changed; else the tags to drop (``WHOLE`` among them: drop everything)."""
        with self.db.session() as s:
            version = counter.site_version(s)
            if version == self.version:
                return None
            if self.version is None:
                self.version, self.shape = version, counter.present(s, SHAPE_KINDS)
                return {WHOLE}
            changes = counter.changed_since(s, self.version)
            self.version = version
        tags = {EVERYTHING}
        whole = False
        for change in changes:
            if change.kind in SHAPE_KINDS and (change.n > 0) != ((change.kind, change.item) in self.shape):
                whole = True
                if change.n > 0:
                    self.shape.add((change.kind, change.item))
                else:
                    self.shape.discard((change.kind, change.item))
            if change.kind == "sources":
                whole = True
            elif change.kind == "day":
                tags.update({f"day:{change.item}", f"month:{change.item[:7]}"})
            elif change.kind == "region":
                tags.add(f"country:{change.item.partition('/')[0]}")
            else:
                tags.add(f"{change.kind}:{change.item}")
        return {WHOLE} if whole else tags


class ResponseCache:
    """ASGI middleware: serve repeated GET/HEAD requests from memory until the store changes."""

    def __init__(
        self,
        app: ASGIApp,
        changes: Callable[[], set[str] | None],
        tags: Callable[[str], frozenset[str]] = lambda path: frozenset({EVERYTHING}),
        *,
        max_entries: int = 4096,
        check_interval: float = 1.0,
        max_renders: int = 2,
    ) -> None:
        self.app = app
        self.changes = changes
        self.tags = tags
        self.max_entries = max_entries
        self.check_interval = check_interval
        self._entries: OrderedDict[bytes, CachedResponse] = OrderedDict()
        self._lock = threading.Lock()
        self._checked = 0.0
        self._epoch = 0  # grows whenever answers are dropped: an answer rendered before is not kept
        # Misses being rendered, by key: a request for a page already being rendered waits for that answer
        # instead of rendering it again (a cold cache under 200 connections rendered the front page dozens of
        # times at once, each render a thread holding the GIL against the loop that answers the hits).
        self._filling: dict[bytes, asyncio.Event] = {}
        # At most this many misses render at once in a process; the others queue. A render is a thread that holds
        # the GIL for most of its time: with forty at once (Starlette's thread pool) the event loop that answers
        # the hits got the GIL about one turn in forty, and every hit waited up to a second behind a cold cache.
        self.max_renders = max_renders
        self._renders: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self.hits = 0
        self.misses = 0
        self.dropped = 0

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.check_interval:
            return
        self._checked = now
        try:
            stale: set[str] | None = self.changes()
            if stale is None:
                return
        except Exception:  # the store is unreachable: serve nothing stale, let the app answer
            logger.warning("response cache: cannot read the store's changes; cache emptied", exc_info=True)
            stale = None
            self._checked = 0.0
        with self._lock:
            self._epoch += 1
            if stale is None or WHOLE in stale:
                self.dropped += len(self._entries)
                self._entries.clear()
                return
            gone = [key for key, entry in self._entries.items() if not entry.tags.isdisjoint(stale)]
            for key in gone:
                del self._entries[key]
            self.dropped += len(gone)

    def _key(self, scope: Scope) -> tuple[bytes, bytes] | None:
        """(key, If-None-Match) of a request the cache may answer; None for one it never keeps."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        path: str = scope["path"]
        if path.startswith(UNCACHED_PREFIXES):
            return None
        host: bytes | None = None
        encoding: bytes | None = None
        if_none_match = b""
        for name, value in scope["headers"]:  # one pass over the request's headers
            if name == b"host":
                if host is None:
                    host = value
            elif name == b"accept-encoding":
                if encoding is None:  # the first such header, as Starlette's GZipMiddleware reads it
                    encoding = value
            elif name == b"if-none-match":
                if_none_match = value
        # Keyed by host too: with section hosts one path is a different page on each host (hosts.py).
        key = b"%s %s?%s" % (
            bytes(host).lower() if host else b"",
            path.encode("utf-8", "surrogateescape"),
            scope.get("query_string", b""),
        )
        if encoding is not None and b"gzip" in encoding:
            key += b"#gzip"  # the app compresses for such clients (create_app's GZipMiddleware): a body of its own
        return key, if_none_match

    def answer(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """The kept answer to the request ``scope`` describes — (status, headers, body): a 200, its body left
        out for HEAD, or a 304 when If-None-Match names it — or None: not kept, or never kept (a miss is
        counted by whoever then asks the app). Synchronous, so the server can send it without starting a
        task (``connection.OneWriteHttpProtocol``)."""
        found = self._key(scope)
        if found is None:
            return None
        key, if_none_match = found
        self._refresh()
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            self._entries.move_to_end(key)
        self.hits += 1
        if if_none_match and hit.matches(if_none_match):
            return 304, hit.not_modified, b""
        return 200, hit.headers, b"" if scope["method"] == "HEAD" else hit.body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Outermost, before any routing or middleware: a hit is answered from the stored bytes.
        kept = self.answer(scope)
        if kept is not None:
            status, headers, body = kept
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        found = self._key(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        key = found[0]
        rendering = self._filling.get(key)
        if rendering is not None:
            await rendering.wait()
            kept = self.answer(scope)
            if kept is not None:  # the answer it waited for was kept
                status, headers, body = kept
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        self.misses += 1
        if key in self._filling:  # not kept, and rendered again meanwhile: render beside it, never wait twice
            await self._render(scope, receive, send, key)
            return
        done = self._filling[key] = asyncio.Event()
        try:
            await self._render(scope, receive, send, key)
        finally:
            del self._filling[key]
            done.set()

    async def _render(self, scope: Scope, receive: Receive, send: Send, key: bytes) -> None:
        """``_fill`` in one of the process's render slots, held until the answer starts: a page is rendered by
        then, and a slow reader of its body must not hold a slot."""
        loop = asyncio.get_running_loop()
        if self._renders is None or self._renders[0] is not loop:  # one per event loop: tests run several
            self._renders = (loop, asyncio.Semaphore(self.max_renders))
        slot = self._renders[1]
        await slot.acquire()
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                slot.release()

        try:
            await self._fill(scope, receive, send, key, self._epoch, release)
        finally:
            release()

    async def _fill(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: bytes,
        epoch: int,
        started: Callable[[], None] = lambda: None,
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        cacheable = scope["method"] == "GET" and not any(
            name in (b"if-none-match", b"if-modified-since") for name, _ in scope.get("headers", [])
        )

        async def capture(message: Message) -> None:
            nonlocal start, cacheable
            if message["type"] == "http.response.start":
                started()
                start = message
                if message["status"] != 200:
                    cacheable = False
            elif message["type"] == "http.response.body" and cacheable:
                chunks.append(message.get("body", b""))
                if sum(len(c) for c in chunks) > MAX_BODY:
                    cacheable = False
                    chunks.clear()
                if not message.get("more_body", False) and start is not None:
                    # tagged by the site path the host router chose (``/`` of a section host is its section)
                    site_path = scope.get(SITE_PATH, scope["path"])
                    self._keep(key, site_path, start, b"".join(chunks), epoch)
            await send(message)

        await self.app(scope, receive, capture)

    def _keep(self, key: bytes, path: str, start: Message, body: bytes, epoch: int) -> None:
        headers = [(bytes(k).lower(), bytes(v)) for k, v in start.get("headers", [])]
        etag = next((v for k, v in headers if k == b"etag"), None)
        if etag is None or any(k in (b"set-cookie", b"transfer-encoding") for k, _ in headers):
            return
        if not any(k == b"content-length" for k, _ in headers):  # a hit is framed by its length
            headers.append((b"content-length", b"%d" % len(body)))
        try:
            tags = self.tags(path)
        except Exception:  # cannot say what it shows: keep it as a page of the whole site
            logger.warning("response cache: cannot tag %s", path, exc_info=True)
            tags = frozenset({EVERYTHING})
        with self._lock:
            if epoch != self._epoch:  # rendered before the last change was seen: it may be stale
                return
            self._entries[key] = CachedResponse.keep(headers, body, etag, tags)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def cached_app(app: ASGIApp, db: Database, **options: Any) -> ResponseCache:
    """``app`` behind a response cache that drops the answers a change to ``db`` affects (``gazette serve``)."""
    return ResponseCache(app, StoreChanges(db).poll, lambda path: page_tags(db, path), **options)
