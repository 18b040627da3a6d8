"""Ingest: WARC archives — the HTTP responses of WARC and WARC.gz files as fetched pages (fastwarc).

1. ``plan_ranges`` scans a file once, without parsing HTTP, and cuts its HTTP response records into ranges
   of a given size, each starting at a byte offset a reader can seek to.
2. ``read_range`` reads one range: every HTTP response record becomes a ``WarcResponse``, whose ``page`` is a
   ``FetchedDocument`` when the answer is HTML with status 2xx, else None with the reason.

The target URI is the page's URL and WARC-Date its fetch time. Request, metadata, warcinfo and non-HTTP
records are not responses and are passed over without being counted. A .warc.gz file written as one gzip
member per record (as the WARC standard recommends) is cut into ranges; one compressed as a whole cannot be
entered in the middle, so it is read as a single range.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastwarc.warc import ArchiveIterator, WarcRecordType

from gazette import models
from gazette.errors import ArchiveError

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class WarcRange:
    """``count`` HTTP response records of ``path``, the first of them at byte ``offset``."""

    path: str
    offset: int
    count: int


@dataclass
class WarcResponse:
    """One HTTP response record: its URL, fetch time and page, or why it is not a page to extract."""

    url: str
    fetched_at: datetime
    page: models.FetchedDocument | None
    skip_reason: str | None = None


def _is_http_response(record: object) -> bool:
    content_type = record.headers.get("Content-Type", "") or ""  # type: ignore[attr-defined]
    return "application/http" in content_type.lower()


def _records(path: str, offset: int = 0, parse_http: bool = False) -> Iterator[object]:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            for record in ArchiveIterator(
                f, record_types=WarcRecordType.response, parse_http=parse_http, fsspec_args=False
            ):
                if _is_http_response(record):
                    yield record
    except OSError as exc:
        raise ArchiveError(path, f"cannot read WARC file: {exc}") from exc


def plan_ranges(path: str | Path, records_per_range: int) -> list[WarcRange]:
    """Cut a file's HTTP response records into ranges of at most ``records_per_range``."""
    path = str(path)
    starts: list[int] = []
    total = 0
    for record in _records(path):
        if total % records_per_range == 0:
            starts.append(int(record.stream_pos))  # type: ignore[attr-defined]
        total += 1
    if not total:
        return []
    ranges = [
        WarcRange(path, start, min(records_per_range, total - i * records_per_range))
        for i, start in enumerate(starts)
    ]
    with open(path, "rb") as f:
        compressed = f.read(2) == _GZIP_MAGIC
        if compressed:
            for r in ranges[1:]:
                f.seek(r.offset)
                if f.read(2) != _GZIP_MAGIC:  # one gzip stream for the whole file: no way in but the start
                    return [WarcRange(path, 0, total)]
    return ranges


def _fetched_at(record: object) -> datetime:
    when = record.record_date  # type: ignore[attr-defined]
    if when is None:
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def read_range(rng: WarcRange, max_bytes: int) -> Iterator[WarcResponse]:
    """The HTTP response records of one range, in file order."""
    seen = 0
    for record in _records(rng.path, rng.offset, parse_http=True):
        if seen >= rng.count:
            return
        seen += 1
        url = (record.headers.get("WARC-Target-URI") or "").strip().strip("<>")  # type: ignore[attr-defined]
        fetched_at = _fetched_at(record)
        http = record.http_headers  # type: ignore[attr-defined]
        status = int(http.status_code) if http is not None and http.status_code else 0
        content_type = (record.http_content_type or "").lower()  # type: ignore[attr-defined]
        if not url.startswith(("http://", "https://")):
            yield WarcResponse(url or "(no target URI)", fetched_at, None, "no http(s) target URI")
            continue
        if not 200 <= status < 300:
            yield WarcResponse(url, fetched_at, None, f"HTTP status {status}")
            continue
        body = record.reader.read(max_bytes + 1)  # type: ignore[attr-defined]
        if content_type and content_type not in HTML_TYPES:
            yield WarcResponse(url, fetched_at, None, f"not HTML ({content_type})")
            continue
        if not content_type and b"<html" not in body[:2048].lower():
            yield WarcResponse(url, fetched_at, None, "not HTML (no content type)")
            continue
        if len(body) > max_bytes:
            yield WarcResponse(url, fetched_at, None, "page too large")
            continue
        headers = {k.lower(): v for k, v in http.items()} if http is not None else {}
        page = models.FetchedDocument(
            url=url,
            final_url=url,
            status=status,
            content=body,
            headers=headers,
            charset=record.http_charset,  # type: ignore[attr-defined]
        )
        yield WarcResponse(url, fetched_at, page)


def response_record(
    url: str,
    body: bytes,
    when: datetime,
    *,
    content_type: str = "text/html; charset=utf-8",
    status: int = 200,
) -> bytes:
    """One uncompressed WARC/1.1 response record holding an HTTP answer (for tests, benches and tools)."""
    http = (
        f"HTTP/1.1 {status} {'OK' if status == 200 else 'Status'}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("ascii") + body
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    head = (
        f"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\n"
        f"WARC-Date: {stamp}\r\nWARC-Target-URI: {url}\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n"
    ).encode()
    return head + http + b"\r\n\r\n"
