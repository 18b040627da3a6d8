"""Ingest: the polite, guarded HTTP fetcher every feed and page goes through.

One ``Fetcher`` serves all worker threads of a run. For each hop of a request it

1. checks the URL with :mod:`gazette.ingest.guard` (scheme, every resolved address) and pins the checked
   addresses: the connection goes to those and only those (no second DNS lookup, so a rebinding name
   cannot switch it), while the Host header and TLS SNI keep the real name;
2. asks robots.txt (cached per origin) whether Gazette may fetch the path;
3. waits its turn for the host (one request at a time per host, ``delay_seconds`` apart);
4. streams the body, decompressing it itself so the byte cap counts decompressed bytes, under a read
   timeout and a total deadline that also cuts servers sending a byte every few seconds;
5. follows redirects by hand, back to step 1 for every hop.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import brotli
import httpcore
import httpx
from protego import Protego

from gazette import models
from gazette.config import FetchSettings
from gazette.errors import (
    BlockedAddress,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    RobotsDisallowed,
    TooLarge,
    TooManyRedirects,
)
from gazette.ingest.guard import Resolver, Target, check_url

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 503})
INLINE_RETRY_MAX = 3.0  # a Retry-After this short is waited out once, inside the same fetch
ROBOTS_MAX_BYTES = 512 * 1024
ROBOTS_TTL = 3600.0
ROBOTS_ERROR_TTL = 300.0
ROBOTS_AGENT = "Gazette"
GZIP_MAGIC = b"\x1f\x8b"
LOCATION = "x-gazette-location"
CHUNK = 64 * 1024

# -- connection pinning and the total deadline ------------------------------------------------------
#
# httpcore does its socket work in the calling thread, so a thread-local tells the network backend which
# addresses the guard checked for the request in flight and when its deadline falls.


@dataclass
class _Flight:
    addresses: tuple[str, ...]
    deadline: float


_flight = threading.local()


def _current() -> _Flight | None:
    return getattr(_flight, "value", None)


def _remaining(timeout: float | None) -> float | None:
    """The per-operation timeout, shortened to what is left before the total deadline (0.0: none left)."""
    flight = _current()
    if flight is None:
        return timeout
    left = flight.deadline - time.monotonic()
    if left <= 0:
        return 0.0
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write ends by the request's total deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        t = _remaining(timeout)
        if t == 0.0:
            raise httpcore.ReadTimeout("total deadline passed")
        return self._inner.read(max_bytes, t)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        t = _remaining(timeout)
        if t == 0.0:
            raise httpcore.WriteTimeout("total deadline passed")
        self._inner.write(buffer, t)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        t = _remaining(timeout)
        if t == 0.0:
            raise httpcore.ConnectTimeout("total deadline passed")
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, t))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects only to the addresses the guard checked for the current request, never to a name."""

    def __init__(self) -> None:
        self._sync = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        flight = _current()
        if flight is None or not flight.addresses:
            # Every request goes through Fetcher._hop, which sets the flight; anything else is a bug.
            raise httpcore.ConnectError(f"no checked address for {host}")
        last: Exception | None = None
        for address in flight.addresses:
            t = _remaining(timeout)
            if t == 0.0:
                raise httpcore.ConnectTimeout("total deadline passed")
            try:
                stream = self._sync.connect_tcp(
                    address, port, timeout=t, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectTimeout:
                raise
            except httpcore.ConnectError as exc:
                last = exc
                continue
            return _DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """The system trust store, loaded once per process (an SSLContext is safe to share between threads)."""
    return httpx.create_ssl_context(trust_env=False)


class _PinnedTransport(httpx.HTTPTransport):
    def __init__(self, ssl_context: ssl.SSLContext | None = None, max_connections: int = 20) -> None:
        ssl_context = ssl_context or _default_ssl_context()
        super().__init__(verify=ssl_context, trust_env=False, retries=0)
        # Replace the pool HTTPTransport built with one that uses the pinning backend; everything else
        # (request mapping, exception mapping) stays httpx's own.
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            http1=True,
            http2=False,
            retries=0,
            network_backend=_PinnedBackend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        # Redirects are the Fetcher's to follow and check. Hide Location from httpx, which would
        # otherwise parse it (and fail on forms like 0177.0.0.1) before the guard sees it.
        if "location" in response.headers:
            response.headers[LOCATION] = response.headers["location"]
            del response.headers["location"]
        return response


# -- decompression under a cap --------------------------------------------------------------------


class _Decoder:
    """Incremental Content-Encoding decoder that never produces more than ``limit`` bytes in one step."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._z: Any = None
        self._br: Any = None
        if encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj()
            self._raw_deflate_tried = False
        elif encoding == "br":
            self._br = brotli.Decompressor()

    def feed(self, data: bytes, limit: int) -> Iterator[bytes]:
        """Decompressed pieces of ``data``; stops producing once ``limit`` bytes came out."""
        produced = 0
        if self._br is not None:
            out = self._br.process(data, output_buffer_limit=max(limit, 1))
            produced += len(out)
            yield out
            while produced <= limit and not self._br.can_accept_more_data():
                out = self._br.process(b"", output_buffer_limit=max(limit - produced + 1, 1))
                if not out:
                    break
                produced += len(out)
                yield out
            return
        z = self._z
        pending = data
        while produced <= limit:
            try:
                out = z.decompress(pending, max(limit - produced + 1, 1))
            except zlib.error:
                if self.encoding == "deflate" and not self._raw_deflate_tried and produced == 0:
                    # Some servers send raw deflate without the zlib header.
                    self._raw_deflate_tried = True
                    self._z = z = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise
            produced += len(out)
            if out:
                yield out
            if z.eof and z.unused_data and self.encoding in ("gzip", "x-gzip"):
                # Concatenated gzip members.
                pending = z.unused_data
                self._z = z = zlib.decompressobj(16 + zlib.MAX_WBITS)
                continue
            pending = z.unconsumed_tail
            if not pending:
                break


def _decode_error() -> tuple[type[Exception], ...]:
    return (zlib.error, brotli.error)


# -- the fetcher ----------------------------------------------------------------------------------------


@dataclass
class _Host:
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0  # monotonic time before which no request starts
    backoff_until: float = 0.0  # Retry-After: no request before this (monotonic)
    backoff_status: int = 0


@dataclass
class _Robots:
    parser: Protego | None  # None: everything allowed
    disallow_all: str | None  # a reason when robots.txt could not be read
    expires: float


@dataclass
class _Answer:
    status: int
    headers: httpx.Headers
    content: bytes
    url: str


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value[:12]))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            value = value.strip().strip("\"'").strip().lower()
            return value or None
    return None


def _origin(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return f"{target.scheme}://{host}" + ("" if target.port == default else f":{target.port}")


class Fetcher:
    """Fetch URLs politely and safely; share one instance between threads, ``close()`` when done."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``resolver`` replaces DNS (tests, the demo); ``ssl_context`` replaces the system trust store."""
        self.settings = settings
        self.resolver = resolver
        self._client = httpx.Client(
            transport=_PinnedTransport(ssl_context),
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.timeout_seconds,
                write=settings.timeout_seconds,
                pool=settings.total_timeout,
            ),
            headers={
                "User-Agent": settings.user_agent,
                "Accept-Encoding": "gzip, deflate, br",
            },
        )
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self._robots: dict[str, _Robots] = {}
        self._robots_lock = threading.Lock()
        self._robots_fetching: dict[str, threading.Lock] = {}

    # -- lifecycle ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Close every pooled connection."""
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ------------------------------------------------------------------------------------

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
    ) -> models.FetchedDocument:
        """GET ``url`` through every guard; a 304 gives ``not_modified=True`` and an empty body.

        Raises only ``FetchError`` subclasses.
        """
        headers = {"Accept": accept or "*/*"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        budget = [float(self.settings.total_timeout)]
        answer = self._follow(url, headers, budget, max_bytes=self.settings.max_bytes, robots=True)
        ct = answer.headers.get("content-type", "")
        flat = {key: ", ".join(answer.headers.get_list(key)) for key in answer.headers.keys()}
        not_modified = answer.status == 304
        logger.info("fetched %s: %d, %d bytes", url, answer.status, len(answer.content), extra={"url": url})
        return models.FetchedDocument(
            url=url,
            final_url=answer.url,
            status=answer.status,
            content=answer.content,
            headers=flat,
            charset=_charset(ct),
            etag=answer.headers.get("etag") or (etag if not_modified else None),
            last_modified=answer.headers.get("last-modified") or (last_modified if not_modified else None),
            not_modified=not_modified,
        )

    # -- redirects -----------------------------------------------------------------------------------

    def _follow(
        self,
        url: str,
        headers: dict[str, str],
        budget: list[float],
        *,
        max_bytes: int,
        robots: bool,
        checked: Target | None = None,
    ) -> _Answer:
        current = _strip_fragment(url.strip())
        seen: set[str] = set()
        redirects = 0
        retried = False
        while True:
            if checked is not None and redirects == 0:
                target = checked  # robots.txt on an origin just checked: same addresses, no new lookup
            else:
                target = check_url(current, self.settings.allow_hosts, self.resolver)
            self._check_backoff(target, url)
            if robots and self.settings.obey_robots:
                self._check_robots(current, target, budget)
            answer = self._hop(current, target, headers, budget, max_bytes)
            if answer.status in REDIRECT_STATUSES:
                location = answer.headers.get(LOCATION)
                if not location:
                    raise FetchError(url, f"HTTP {answer.status} redirect without a Location")
                seen.add(current)
                try:
                    nxt = _strip_fragment(urljoin(current, location.strip()))
                except ValueError as exc:
                    raise FetchError(url, f"unusable redirect Location {location[:200]!r}") from exc
                if nxt in seen:
                    raise TooManyRedirects(url, f"redirect loop at {nxt}")
                redirects += 1
                if redirects > self.settings.max_redirects:
                    raise TooManyRedirects(url, f"more than {self.settings.max_redirects} redirects")
                logger.debug("redirect %s -> %s", current, nxt)
                current = nxt
                continue
            if answer.status in RETRY_STATUSES:
                wait = parse_retry_after(answer.headers.get("retry-after"))
                if wait is not None:
                    wait = min(wait, self.settings.max_retry_after)
                    if not retried and wait <= INLINE_RETRY_MAX and wait < budget[0]:
                        retried = True
                        logger.info("%s: HTTP %d, retrying once after %.1fs", current, answer.status, wait)
                        time.sleep(wait)
                        budget[0] -= wait
                        continue
                    self._back_off(target, answer.status, wait)
                raise HTTPStatusError(url, answer.status, wait)
            if answer.status >= 400:
                raise HTTPStatusError(url, answer.status)
            if answer.status != 304 and not 200 <= answer.status < 300:
                raise FetchError(url, f"unexpected HTTP {answer.status}")
            return answer

    # -- one request ------------------------------------------------------------------------------------

    def _host(self, target: Target) -> _Host:
        """Politeness state for the target's host name (all ports and schemes of a host share it)."""
        with self._hosts_lock:
            host = self._hosts.get(target.host)
            if host is None:
                host = self._hosts[target.host] = _Host()
            return host

    def _check_backoff(self, target: Target, url: str) -> None:
        host = self._host(target)
        left = host.backoff_until - time.monotonic()
        if left > 0:
            raise HTTPStatusError(url, host.backoff_status or 429, round(left, 3))

    def _back_off(self, target: Target, status: int, wait: float) -> None:
        host = self._host(target)
        host.backoff_until = max(host.backoff_until, time.monotonic() + wait)
        host.backoff_status = status

    @contextmanager
    def _turn(self, target: Target, url: str) -> Iterator[None]:
        """Hold the host: one request at a time, ``delay_seconds`` after the previous one ended."""
        host = self._host(target)
        with host.lock:
            now = time.monotonic()
            if host.backoff_until > now:
                raise HTTPStatusError(url, host.backoff_status or 429, round(host.backoff_until - now, 3))
            if host.next_at > now:
                time.sleep(host.next_at - now)
            try:
                yield
            finally:
                host.next_at = time.monotonic() + self.settings.delay_seconds

    def _hop(
        self, url: str, target: Target, headers: dict[str, str], budget: list[float], max_bytes: int
    ) -> _Answer:
        with self._turn(target, url):
            started = time.monotonic()
            flight = _Flight(addresses=target.addresses, deadline=started + max(budget[0], 0.0))
            _flight.value = flight
            try:
                return self._request(url, headers, max_bytes, flight)
            finally:
                _flight.value = None
                budget[0] -= time.monotonic() - started

    def _request(self, url: str, headers: dict[str, str], max_bytes: int, flight: _Flight) -> _Answer:
        if time.monotonic() >= flight.deadline:
            raise FetchTimeout(url, f"total deadline of {self.settings.total_timeout:g}s passed")
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                content = b""
                if response.status_code not in REDIRECT_STATUSES and response.status_code != 304:
                    if response.status_code < 400:
                        content = self._read_body(url, response, max_bytes)
                return _Answer(response.status_code, response.headers, content, str(response.url))
        except httpx.TimeoutException as exc:
            if time.monotonic() >= flight.deadline - 0.05:
                raise FetchTimeout(url, f"total deadline of {self.settings.total_timeout:g}s passed") from exc
            kind = {
                httpx.ConnectTimeout: "connect timeout",
                httpx.ReadTimeout: "read timeout",
                httpx.WriteTimeout: "write timeout",
                httpx.PoolTimeout: "no free connection",
            }.get(type(exc), "timeout")
            raise FetchTimeout(url, kind) from exc
        except httpx.RemoteProtocolError as exc:
            raise FetchError(url, f"broken response ({exc})") from exc
        except httpx.ConnectError as exc:
            raise FetchError(url, f"cannot connect ({exc})") from exc
        except httpx.HTTPError as exc:
            raise FetchError(url, f"{type(exc).__name__} ({exc})") from exc
        except (httpx.InvalidURL, ValueError) as exc:
            raise FetchError(url, f"unusable URL ({exc})") from exc

    def _read_body(self, url: str, response: httpx.Response, max_bytes: int) -> bytes:
        declared = response.headers.get("content-length", "")
        encodings = [
            e.strip().lower()
            for e in response.headers.get("content-encoding", "").split(",")
            if e.strip() and e.strip().lower() != "identity"
        ]
        for enc in encodings:
            if enc not in ("gzip", "x-gzip", "deflate", "br"):
                raise FetchError(url, f"unsupported Content-Encoding {enc!r}")
        if declared.isdigit() and int(declared) > max_bytes:
            raise TooLarge(url, f"Content-Length {int(declared)} is over the cap of {max_bytes} bytes")
        decoders = [_Decoder(e) for e in reversed(encodings)]
        raw_total = 0
        parts: list[bytes] = []
        total = 0
        try:
            for raw in response.iter_raw(CHUNK):
                raw_total += len(raw)
                if raw_total > max_bytes:
                    raise TooLarge(url, f"body over the cap of {max_bytes} bytes")
                pieces = [raw]
                for decoder in decoders:
                    pieces = [out for p in pieces for out in decoder.feed(p, max_bytes - total)]
                for piece in pieces:
                    total += len(piece)
                    if total > max_bytes:
                        raise TooLarge(url, f"body over the cap of {max_bytes} bytes after decompression")
                    parts.append(piece)
        except _decode_error() as exc:
            raise FetchError(url, f"cannot decode {'+'.join(encodings)} body ({exc})") from exc
        body = b"".join(parts)
        if not encodings and body[:2] == GZIP_MAGIC and _looks_textual(response):
            # A gzip file served without Content-Encoding (a .xml.gz feed): inflate it here, under the
            # same cap, so no later stage inflates it without one.
            try:
                body = b"".join(_Decoder("gzip").feed(body, max_bytes))
            except zlib.error:
                return b"".join(parts)
            if len(body) > max_bytes:
                raise TooLarge(url, f"gzip body over the cap of {max_bytes} bytes after decompression")
        return body

    # -- robots.txt ---------------------------------------------------------------------------------

    def _check_robots(self, url: str, target: Target, budget: list[float]) -> None:
        origin = _origin(target)
        robots = self._robots_for(origin, target, budget)
        if robots.disallow_all:
            raise RobotsDisallowed(url, robots.disallow_all)
        if robots.parser is not None and not robots.parser.can_fetch(url, ROBOTS_AGENT):
            raise RobotsDisallowed(url, "robots.txt disallows it")

    def _robots_for(self, origin: str, target: Target, budget: list[float]) -> _Robots:
        with self._robots_lock:
            cached = self._robots.get(origin)
            if cached is not None and cached.expires > time.monotonic():
                return cached
            fetching = self._robots_fetching.setdefault(origin, threading.Lock())
        with fetching:  # one thread fetches, the others wait for its answer
            with self._robots_lock:
                cached = self._robots.get(origin)
                if cached is not None and cached.expires > time.monotonic():
                    return cached
            robots = self._load_robots(origin, target, budget)
            with self._robots_lock:
                self._robots[origin] = robots
            return robots

    def _load_robots(self, origin: str, target: Target, budget: list[float]) -> _Robots:
        url = origin + "/robots.txt"
        now = time.monotonic()
        try:
            answer = self._follow(
                url,
                {"Accept": "text/plain, */*;q=0.5"},
                budget,
                max_bytes=ROBOTS_MAX_BYTES,
                robots=False,
                checked=target,
            )
        except HTTPStatusError as exc:
            if 400 <= exc.status_code < 500 and exc.status_code != 429:
                return _Robots(None, None, now + ROBOTS_TTL)  # no robots.txt: everything allowed
            return _Robots(None, f"robots.txt unavailable (HTTP {exc.status_code})", now + ROBOTS_ERROR_TTL)
        except (TooLarge, TooManyRedirects, BlockedAddress) as exc:
            # Treated like a missing file (RFC 9309 lets a crawler give up on redirects it won't follow).
            logger.info("robots.txt at %s unusable (%s); treated as absent", url, exc.message)
            return _Robots(None, None, now + ROBOTS_TTL)
        # Any other FetchError (timeout, refused connection, TLS failure, broken response) stops this fetch
        # with that error, uncached: the page would not have come through either.
        text = answer.content.decode("utf-8", errors="replace")
        try:
            parser = Protego.parse(text)
        except Exception:  # protego is lenient; a crash in it must not stop fetching
            logger.warning("unreadable robots.txt at %s; treated as absent", url)
            return _Robots(None, None, now + ROBOTS_TTL)
        return _Robots(parser, None, now + ROBOTS_TTL)


def _strip_fragment(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit(parts._replace(fragment=""))


def _looks_textual(response: httpx.Response) -> bool:
    ct = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return not ct or ct.startswith("text/") or "xml" in ct or "json" in ct or ct == "application/octet-stream"
