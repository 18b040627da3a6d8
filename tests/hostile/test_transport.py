"""Hostile transport: forbidden addresses, DNS rebinding, schemes, bombs, slow and endless bodies, resets,
redirect loops, Retry-After and lying lengths — through the real fetcher and the real pipeline."""

from __future__ import annotations

import functools
import gzip
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import brotli
import pytest

from gazette import models
from gazette.errors import (
    BlockedAddress,
    FeedError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    TooLarge,
    TooManyRedirects,
)
from gazette.ingest.feed_parser import parse_feed
from tests.hostile.cases import case
from tests.hostile.conftest import CONNECTS, FETCH, Desk
from tests.hostile.server import ALLOWED_NAME

CAP = int(FETCH["max_bytes"])  # type: ignore[call-overload]


def _literal_urls(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/canary/literal",
        "http://127.0.0.1:6379/canary/redis",
        f"http://[::1]:{port}/canary/v6",
        "http://169.254.169.254/latest/meta-data/",
        f"http://0177.0.0.1:{port}/canary/octal",
        f"http://0x7f.1:{port}/canary/hex",
        f"http://2130706433:{port}/canary/decimal",
        f"http://[::ffff:127.0.0.1]:{port}/canary/mapped",
        "http://100.64.0.1/canary/cgnat",
        f"http://0:{port}/canary/zero",
        f"http://localhost:{port}/canary/name",
        f"http://internal.test:{port}/canary/private-name",
        f"http://mixed.test:{port}/canary/mixed",
    ]


@case("ssrf_literals")
def test_private_literals_are_refused_before_any_socket(desk: Desk) -> None:
    desk.seed()
    desk.resolver.answers.update(
        {
            "localhost": [["127.0.0.1"]],
            "internal.test": [["10.0.0.5"]],
            "mixed.test": [["93.184.216.34", "127.0.0.1"]],  # one bad answer is enough to refuse
        }
    )
    urls = _literal_urls(desk.server.port)
    fetcher = desk.fetcher()
    with CONNECTS.active() as connects:
        for url in urls:
            with pytest.raises(BlockedAddress):
                fetcher.fetch(url)
    fetcher.close()
    assert connects == []  # refused before any socket opened
    report = desk.ingest(*urls)
    assert report.feeds_failed == len(urls) and report.new == 0
    for url in urls:
        assert "not public" in desk.failed(report, url) or "refused" in desk.failed(report, url)
    desk.assert_clean()


@case("ssrf_literals")
def test_item_links_to_private_addresses_are_refused(desk: Desk) -> None:
    """The feed is on an allowed host; its items point at loopback, metadata and odd forms of 127.0.0.1."""
    desk.seed()
    links = _literal_urls(desk.server.port)[:10]
    items = "".join(
        f"<item><title>Item {i}</title><link>{link}</link></item>" for i, link in enumerate(links)
    )
    body = f'<rss version="2.0"><channel><title>Bait</title><link>{desk.base}/</link>{items}</channel></rss>'
    url = desk.server.static("/bait.xml", body.encode(), "application/rss+xml")
    report = desk.ingest(url)
    assert report.new == 0 and report.feeds_ok == 1, report
    refused = [f for f in report.failures if f.url != url]
    assert refused and all("not public" in f.reason for f in refused), refused
    desk.assert_clean()


@case("ssrf_redirect")
@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/canary/redirected",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/canary/redirected",
        "http://[::ffff:127.0.0.1]:{port}/canary/redirected",
        "http://0x7f.1:{port}/canary/redirected",
        "http://2130706433:{port}/canary/redirected",
        "http://0:{port}/canary/redirected",
    ],
)
def test_redirect_to_private_address_is_refused_at_that_hop(desk: Desk, target: str) -> None:
    desk.seed()
    location = target.format(port=desk.server.port)
    url = desk.server.redirect("/moved.xml", location)
    with CONNECTS.active() as connects, desk.fetcher() as fetcher:
        with pytest.raises(BlockedAddress):
            fetcher.fetch(url)
    assert {addr for addr, _ in connects} <= {"127.0.0.1"}  # only the allowed hop connected
    report = desk.ingest(url)
    desk.failed(report, url)
    assert [h.path for h in desk.server.hits_for("/moved.xml")] == ["/moved.xml", "/moved.xml"]
    desk.assert_clean()


@case("dns_rebind")
def test_rebinding_name_connects_only_to_the_checked_address(desk: Desk) -> None:
    # Public on the check, loopback on any later lookup: the connection must go to the checked address.
    desk.resolver.answers["rebind.test"] = [["203.0.113.7"], ["127.0.0.1"]]  # TEST-NET-3: not global
    desk.resolver.answers["rebind2.test"] = [["93.184.216.34"], ["127.0.0.1"]]
    with desk.fetcher() as fetcher, pytest.raises(BlockedAddress):
        fetcher.fetch(desk.server.url("/canary/rebind", "rebind.test"))
    with CONNECTS.active() as connects, desk.fetcher(connect_timeout=0.5, total_timeout=1.0) as fetcher:
        with pytest.raises(FetchError) as err:
            fetcher.fetch(desk.server.url("/canary/rebind", "rebind2.test"))
    assert not isinstance(err.value, BlockedAddress)  # it passed the check, then could not connect
    assert desk.resolver.calls.count("rebind2.test") == 1  # resolved once, never again at connect time
    assert connects and {addr for addr, _ in connects} == {"93.184.216.34"}
    desk.assert_no_forbidden_hits()
    assert desk.server.hits == []


@case("scheme_abuse")
def test_non_http_feed_urls_are_refused_and_never_opened(desk: Desk) -> None:
    desk.seed()
    urls = [
        "/etc/passwd",
        "file:///etc/passwd",
        f"gopher://{ALLOWED_NAME}:{desk.server.port}/_canary",
        f"ftp://{ALLOWED_NAME}:{desk.server.port}/canary.xml",
        "data:application/rss+xml;base64,PHJzcz48L3Jzcz4=",
        "javascript:alert(1)",
        "   ",
    ]
    report = desk.ingest(*[u for u in urls if u.strip()])
    for url in urls:
        if url.strip():
            reason = desk.failed(report, url)
            assert "root:" not in reason
    # The parse boundary never treats a body as a path or URL to open (feedparser would).
    for body in (b"/etc/passwd", b"file:///etc/passwd", b"http://127.0.0.1/canary"):
        doc = models.FetchedDocument(
            url="http://x.test/f", final_url="http://x.test/f", status=200, content=body
        )
        with pytest.raises(FeedError) as err:
            parse_feed(doc)
        assert "root:" not in str(err.value)
    desk.assert_clean()


@case("redirect_schemes")
@pytest.mark.parametrize(
    "location",
    [
        "file:///etc/passwd",
        "ftp://{host}/x",
        "gopher://{host}/_x",
        "data:text/html,<script>alert(1)</script>",
        "//127.0.0.1:{port}/canary",
    ],
)
def test_redirects_to_other_schemes_are_refused(desk: Desk, location: str) -> None:
    desk.seed()
    loc = location.format(host=f"{ALLOWED_NAME}:{desk.server.port}", port=desk.server.port)
    url = desk.server.redirect("/feed-moved.xml", loc)
    report = desk.ingest(url)
    assert "root:" not in desk.failed(report, url)
    desk.assert_clean()


# -- bombs and big bodies --------------------------------------------------------------------------------


def _gzip_stream(total: int) -> Iterator[bytes]:
    """A gzip member of ``total`` zero bytes, produced lazily (10 GB costs nothing until read)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    sent = 0
    while sent < total:
        out = z.compress(block)
        sent += len(block)
        if out:
            yield out
    yield z.flush()


@functools.cache
def _brotli_bomb() -> bytes:
    """256 MB of zeros in about 400 bytes (brotli's ratio is so high that a streamed bomb would take the
    server minutes to emit a 64 KB read; a precomputed one is a truer picture of the attack anyway)."""
    return brotli.compress(b"\0" * (256 << 20), quality=5)


def _bounded_fetch(desk: Desk, url: str) -> tuple[BaseException, int]:
    tracemalloc.start()
    try:
        with desk.fetcher() as fetcher, pytest.raises(FetchError) as err:
            fetcher.fetch(url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return err.value, peak


@case("gzip_bomb")
def test_gzip_bomb_is_cut_at_the_cap_after_decompression(desk: Desk) -> None:
    desk.seed()
    ten_gb = 10 * 1024**3
    url = desk.server.stream(
        "/bomb.xml",
        lambda: _gzip_stream(ten_gb),
        {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
    )
    error, peak = _bounded_fetch(desk, url)
    assert isinstance(error, TooLarge) and "decompression" in error.message
    assert peak < 4 * CAP  # bounded memory: a few caps, not gigabytes
    report = desk.ingest(url)
    assert "cap" in desk.failed(report, url)
    desk.assert_clean()


@functools.cache
def _nested_gzip_bomb() -> bytes:
    """256 MB of zeros gzipped twice: under 1 KB on the wire, sent as ``Content-Encoding: gzip, gzip``."""
    return gzip.compress(b"".join(_gzip_stream(256 << 20)), 9)


@case("gzip_bomb")
def test_nested_and_mislabelled_encodings_fail_typed(desk: Desk) -> None:
    desk.seed()
    nested = _nested_gzip_bomb()
    assert len(nested) < 4096
    bomb = desk.server.static(
        "/nested.xml", nested, "application/rss+xml", headers={"Content-Encoding": "gzip, gzip"}
    )
    liar = desk.server.static(
        "/liar.xml",
        desk.fixture("rss_basic.xml"),
        "application/rss+xml",
        headers={"Content-Encoding": "gzip"},
    )
    odd = desk.server.static(
        "/odd.xml", b"x" * 100, "application/rss+xml", headers={"Content-Encoding": "compress"}
    )
    with desk.fetcher() as fetcher:
        with pytest.raises(TooLarge):
            fetcher.fetch(bomb)
        for url in (liar, odd):
            with pytest.raises(FetchError) as err:
                fetcher.fetch(url)
            assert not isinstance(err.value, TooLarge)
    report = desk.ingest(bomb, liar, odd)
    assert "cap" in desk.failed(report, bomb)
    desk.failed(report, liar)
    desk.failed(report, odd)
    desk.assert_clean()


@case("br_bomb")
def test_brotli_bomb_is_cut_at_the_cap_after_decompression(desk: Desk) -> None:
    desk.seed()
    bomb = _brotli_bomb()
    assert len(bomb) < 4096
    url = desk.server.static("/bomb.xml", bomb, "application/rss+xml", headers={"Content-Encoding": "br"})
    error, peak = _bounded_fetch(desk, url)
    assert isinstance(error, TooLarge)
    assert peak < 4 * CAP
    report = desk.ingest(url)
    assert "cap" in desk.failed(report, url)
    desk.assert_clean()


@case("magic_gzip")
def test_gzip_bytes_without_content_encoding_get_the_same_cap(desk: Desk) -> None:
    desk.seed()
    bomb = gzip.compress(b"\0" * (CAP * 8), compresslevel=9)
    assert len(bomb) < CAP // 10
    url = desk.server.static("/feed.xml.gz", bomb, "application/xml")
    with desk.fetcher() as fetcher, pytest.raises(TooLarge):
        fetcher.fetch(url)
    # A small honest .xml.gz feed is inflated and parsed: a clean success.
    good = desk.server.static(
        "/small.xml.gz", gzip.compress(desk.fixture("rss_basic.xml")), "application/xml"
    )
    report = desk.ingest(url, good)
    assert "cap" in desk.failed(report, url)
    assert desk.feed(good).last_error is None
    desk.assert_clean()


@case("big_body")
def test_two_gigabyte_body_is_cut_at_the_cap(desk: Desk) -> None:
    desk.seed()
    two_gb = 2 * 1024**3

    def body() -> Iterator[bytes]:
        block = b"<!-- padding -->" * 4096
        for _ in range(two_gb // len(block)):
            yield block

    declared = desk.server.stream(
        "/huge-declared.xml", body, {"Content-Type": "application/rss+xml", "Content-Length": str(two_gb)}
    )
    chunked = desk.server.trickle("/huge-chunked.xml", body, 0.0)
    for url in (declared, chunked):
        error, peak = _bounded_fetch(desk, url)
        assert isinstance(error, TooLarge)
        assert peak < 4 * CAP
    report = desk.ingest(declared, chunked)
    assert "cap" in desk.failed(report, declared) and "cap" in desk.failed(report, chunked)
    desk.assert_clean()


# -- slow and endless --------------------------------------------------------------------------------------------


@case("slowloris")
def test_one_byte_every_five_seconds_is_cut_by_the_total_deadline(desk: Desk) -> None:
    desk.seed()

    def drip() -> Iterator[bytes]:
        yield b"<"
        while True:
            yield b" "

    # The read timeout (6 s) is longer than the gap between bytes (5 s), so only the total deadline can end it.
    url = desk.server.trickle("/drip.xml", drip, 5.0)
    with desk.fetcher(timeout_seconds=6.0, total_timeout=1.0) as fetcher, pytest.raises(FetchTimeout) as err:
        fetcher.fetch(url)
    assert "total deadline" in err.value.message
    # A faster drip (a byte every 0.3 s) never trips a 2 s read timeout; the deadline still ends it.
    fast = desk.server.trickle("/drip-fast.xml", drip, 0.3)
    with desk.fetcher(timeout_seconds=2.0, total_timeout=1.0) as fetcher, pytest.raises(FetchTimeout) as err:
        fetcher.fetch(fast)
    assert "total deadline" in err.value.message
    report = desk.ingest(fast, total_timeout=0.8)
    assert "deadline" in desk.failed(report, fast) or "timeout" in desk.failed(report, fast)
    desk.assert_clean()


@case("endless_chunked")
def test_chunked_body_that_never_ends_is_cut(desk: Desk) -> None:
    desk.seed()

    def forever(piece: bytes) -> Iterator[bytes]:
        while True:
            yield piece

    fast = desk.server.trickle("/endless.xml", lambda: forever(b"<item>" * 4000), 0.0)
    slow = desk.server.trickle("/endless-slow.xml", lambda: forever(b"<item>" * 100), 0.1)
    with desk.fetcher() as fetcher:
        with pytest.raises(TooLarge):
            fetcher.fetch(fast)
    with desk.fetcher(total_timeout=0.8) as fetcher, pytest.raises(FetchTimeout):
        fetcher.fetch(slow)
    report = desk.ingest(fast, slow, total_timeout=0.8)
    desk.failed(report, fast)
    desk.failed(report, slow)
    desk.assert_clean()


@case("truncated")
def test_reset_mid_body_fails_and_keeps_no_validators(desk: Desk) -> None:
    desk.seed()
    body = desk.fixture("truncated_feed.xml")
    validators = {"ETag": '"v2"', "Last-Modified": "Fri, 20 Nov 2026 10:00:00 GMT"}
    url = desk.server.reset_after("/cut.xml", body[: len(body) // 2], len(body), validators)
    report = desk.ingest(url)
    assert report.new == 0
    desk.failed(report, url)
    row = desk.feed(url)
    assert row.etag is None and row.last_modified is None
    # A feed that had validators from a good fetch keeps them, not the broken answer's.
    desk.server.static(
        "/cut2.xml", desk.fixture("rss_basic.xml"), "application/rss+xml", headers={"ETag": '"v1"'}
    )
    url2 = desk.server.url("/cut2.xml")
    desk.ingest(url2)
    assert desk.feed(url2).etag == '"v1"'
    desk.server.reset_after("/cut2.xml", body[: len(body) // 2], len(body), validators)
    report = desk.ingest(url2)
    desk.failed(report, url2)
    assert desk.feed(url2).etag == '"v1"'
    desk.assert_clean()


# -- redirects ------------------------------------------------------------------------------------------------------


@case("redirect_loop")
def test_redirect_loop_fails(desk: Desk) -> None:
    desk.seed()
    a = desk.server.redirect("/loop/a", desk.server.url("/loop/b"))
    desk.server.redirect("/loop/b", "/loop/a")
    self_loop = desk.server.redirect("/loop/self", "/loop/self?x=1#frag")
    desk.server.redirect("/loop/self?x=1", "/loop/self")
    with desk.fetcher() as fetcher, pytest.raises(TooManyRedirects):
        fetcher.fetch(a)
    report = desk.ingest(a, self_loop)
    assert "redirect" in desk.failed(report, a)
    assert "redirect" in desk.failed(report, self_loop)
    assert len(desk.server.hits_for("/loop/")) <= 2 * 2 * 6
    desk.assert_clean()


@case("redirect_chain")
@pytest.mark.parametrize("hops", [20, 30])
def test_long_redirect_chain_stops_after_five_hops(desk: Desk, hops: int) -> None:
    desk.seed()
    for i in range(hops):
        desk.server.redirect(f"/chain/{i}", f"/chain/{i + 1}", status=301 if i % 2 else 307)
    desk.server.static(f"/chain/{hops}", desk.fixture("rss_basic.xml"), "application/rss+xml")
    with desk.fetcher() as fetcher, pytest.raises(TooManyRedirects):
        fetcher.fetch(desk.server.url("/chain/0"))
    assert len(desk.server.hits_for("/chain/")) == 6  # the first request and five redirects, no more
    report = desk.ingest(desk.server.url("/chain/0"))
    desk.failed(report, desk.server.url("/chain/0"))
    desk.assert_clean()


# -- Retry-After -----------------------------------------------------------------------------------------------------


@case("retry_after")
@pytest.mark.parametrize(
    ("status", "value", "expected"),
    [
        (429, "120", 120.0),
        (503, "http-date+120", 120.0),
        (429, "999999999", 3600.0),  # clamped to max_retry_after
        (503, "99999999999999999999999", 3600.0),
    ],
)
def test_retry_after_is_honoured_clamped_and_host_wide(
    desk: Desk, status: int, value: str, expected: float
) -> None:
    desk.seed()
    if value.startswith("http-date"):
        value = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    url = desk.server.static(
        "/busy.xml", b"slow down", "text/plain", status=status, headers={"Retry-After": value}
    )
    desk.server.static("/other.xml", desk.fixture("rss_basic.xml"), "application/rss+xml")
    with desk.fetcher() as fetcher:
        with pytest.raises(HTTPStatusError) as err:
            fetcher.fetch(url)
        assert err.value.status_code == status
        assert err.value.retry_after is not None and expected - 5 <= err.value.retry_after <= expected
        before = len(desk.server.hits)
        with pytest.raises(HTTPStatusError):  # the whole host waits, not just that URL
            fetcher.fetch(desk.server.url("/other.xml"))
        assert len(desk.server.hits) == before
    started = datetime.now(UTC)
    report = desk.ingest(url)
    desk.failed(report, url)
    row = desk.feed(url)
    assert row.next_check is not None
    assert row.next_check >= started + timedelta(seconds=expected - 5)
    assert row.next_check <= datetime.now(UTC) + timedelta(days=2)  # clamped, not 31 years away
    desk.assert_clean()


# -- lying Content-Length --------------------------------------------------------------------------------------------


@case("lying_length")
def test_content_length_that_lies(desk: Desk) -> None:
    desk.seed()
    body = desk.fixture("rss_basic.xml")
    short = desk.server.static("/short.xml", body, "application/rss+xml", length=len(body) // 2)
    long = desk.server.static("/long.xml", body, "application/rss+xml", length=len(body) + 5000)
    huge = desk.server.static("/huge.xml", body, "application/rss+xml", length=CAP * 100)
    with desk.fetcher() as fetcher:
        got = fetcher.fetch(short)
        assert len(got.content) <= len(body) // 2  # never more than declared
        with pytest.raises(FetchError):
            fetcher.fetch(long)
        with pytest.raises(TooLarge):
            fetcher.fetch(huge)
    report = desk.ingest(short, long, huge)
    # Half an RSS document: either refused, or read leniently (the parser recovers the items it saw).
    row = desk.feed(short)
    assert row.last_error is None or "internal error" not in row.last_error
    desk.failed(report, long)
    assert "cap" in desk.failed(report, huge)
    desk.assert_clean()
