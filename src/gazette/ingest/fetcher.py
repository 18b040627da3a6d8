"""Ingest: the polite, guarded HTTP fetcher every feed and page goes through.

One ``Fetcher`` serves all worker threads of a run. For each hop of a request it

1. checks the URL with :mod:`gazette.ingest.guard` (scheme, every resolved address) and pins the checked
   addresses: the connection goes to those and only those (no second DNS lookup, so a rebinding name
   cannot switch it), while the Host header and TLS SNI keep the real name (:mod:`.transport`);
2. asks robots.txt (cached per origin, :mod:`.robots`) whether Gazette may fetch the path;
3. waits its turn for the host (one request at a time per host, ``delay_seconds`` apart, :mod:`.politeness`);
4. streams the body and undoes its Content-Encoding layers itself, so the byte cap counts every decoded
   byte (:mod:`.compression`), under a read timeout and a total ``Deadline`` that also cuts servers
   sending a byte every few seconds;
5. follows redirects by hand, back to step 1 for every hop.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from gazette import models
from gazette.config import FetchSettings
from gazette.errors import (
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    TooLarge,
    TooManyRedirects,
)
from gazette.ingest.compression import decode_body, inflate_gzip_file, parse_content_encoding
from gazette.ingest.guard import Resolver, Target, check_url
from gazette.ingest.politeness import Hosts, parse_retry_after
from gazette.ingest.robots import ROBOTS_MAX_BYTES, RobotsCache
from gazette.ingest.transport import LOCATION, Deadline, PinnedTransport, pinned

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 503})
INLINE_RETRY_MAX = 3.0  # a Retry-After this short is waited out once, inside the same fetch
CHUNK = 64 * 1024

__all__ = ["Deadline", "Fetcher", "parse_retry_after"]


@dataclass
class _Answer:
    status: int
    headers: httpx.Headers
    content: bytes
    url: str


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
            transport=PinnedTransport(ssl_context),
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
        self._hosts = Hosts(settings.delay_seconds)
        self._robots = RobotsCache()

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
        deadline = Deadline(self.settings.total_timeout)
        answer = self._follow(url, headers, deadline, max_bytes=self.settings.max_bytes, robots=True)
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
        deadline: Deadline,
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
            self._hosts.check_backoff(target.host, url)
            if robots and self.settings.obey_robots:
                self._check_robots(current, target, deadline)
            answer = self._hop(current, target, headers, deadline, max_bytes)
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
                    if not retried and wait <= INLINE_RETRY_MAX and wait < deadline.left:
                        retried = True
                        logger.info("%s: HTTP %d, retrying once after %.1fs", current, answer.status, wait)
                        time.sleep(wait)
                        deadline.spend(wait)
                        continue
                    self._hosts.back_off(target.host, answer.status, wait)
                raise HTTPStatusError(url, answer.status, wait)
            if answer.status >= 400:
                raise HTTPStatusError(url, answer.status)
            if answer.status != 304 and not 200 <= answer.status < 300:
                raise FetchError(url, f"unexpected HTTP {answer.status}")
            return answer

    # -- robots.txt ---------------------------------------------------------------------------------

    def _check_robots(self, url: str, target: Target, deadline: Deadline) -> None:
        def load(robots_url: str) -> bytes:
            answer = self._follow(
                robots_url,
                {"Accept": "text/plain, */*;q=0.5"},
                deadline,
                max_bytes=ROBOTS_MAX_BYTES,
                robots=False,
                checked=target,
            )
            return answer.content

        self._robots.check(url, _origin(target), load)

    # -- one request ------------------------------------------------------------------------------------

    def _hop(
        self, url: str, target: Target, headers: dict[str, str], deadline: Deadline, max_bytes: int
    ) -> _Answer:
        with (
            self._hosts.turn(target.host, url),
            deadline.running() as ends_at,
            pinned(target.addresses, ends_at),
        ):
            return self._request(url, headers, max_bytes, ends_at)

    def _request(self, url: str, headers: dict[str, str], max_bytes: int, ends_at: float) -> _Answer:
        if time.monotonic() >= ends_at:
            raise FetchTimeout(url, f"total deadline of {self.settings.total_timeout:g}s passed")
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                content = b""
                if response.status_code not in REDIRECT_STATUSES and response.status_code != 304:
                    if response.status_code < 400:
                        content = self._read_body(url, response, max_bytes)
                return _Answer(response.status_code, response.headers, content, str(response.url))
        except httpx.TimeoutException as exc:
            if time.monotonic() >= ends_at - 0.05:
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
        layers = parse_content_encoding(url, response.headers.get("content-encoding", ""))
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise TooLarge(url, f"Content-Length {int(declared)} is over the cap of {max_bytes} bytes")

        def raw() -> Iterator[bytes]:
            total = 0
            for piece in response.iter_raw(CHUNK):
                total += len(piece)
                if total > max_bytes:
                    raise TooLarge(url, f"body over the cap of {max_bytes} bytes")
                yield piece

        if layers:
            return decode_body(url, raw(), layers, max_bytes)
        body = b"".join(raw())
        if _looks_textual(response):
            # A gzip file served without Content-Encoding (a .xml.gz feed): inflated here, under the same
            # cap, so no later stage inflates it without one.
            inflated = inflate_gzip_file(url, body, max_bytes)
            if inflated is not None:
                return inflated
        return body


def _strip_fragment(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit(parts._replace(fragment=""))


def _looks_textual(response: httpx.Response) -> bool:
    ct = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return not ct or ct.startswith("text/") or "xml" in ct or "json" in ct or ct == "application/octet-stream"
