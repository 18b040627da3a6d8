"""The fetcher over a real socket on 127.0.0.1: politeness, guards, caps, deadlines and hostile servers."""

from __future__ import annotations

import email.utils
import socket
import struct
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from functools import cache

import brotli
import pytest

from gazette.errors import (
    BlockedAddress,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    RobotsDisallowed,
    TooLarge,
    TooManyRedirects,
)
from gazette.ingest.fetcher import parse_retry_after
from tests.ingest.conftest import FetcherFactory, FixtureHTTPServer, RequestHandler

MB = 1024 * 1024


@cache
def gzip_bomb() -> bytes:
    """128 MiB of zeros in about 130 KB of gzip."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MB)
    return b"".join(c.compress(zeros) for _ in range(128)) + c.flush()


@cache
def brotli_bomb() -> bytes:
    """256 MiB of zeros in a few hundred bytes of brotli."""
    c = brotli.Compressor(quality=5)
    zeros = bytes(4 * MB)
    return b"".join(c.process(zeros) for _ in range(64)) + c.finish()


# -- the ordinary path ----------------------------------------------------------------------------------


def test_plain_fetch_reports_headers_charset_and_validators(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    server.static(
        "/feed.xml",
        b"<rss/>",
        "application/rss+xml; charset=ISO-8859-1",
        ETag='"v1"',
        Last_Modified="Sat, 28 Nov 2026 10:00:00 GMT",
    )
    doc = make_fetcher().fetch(server.url("/feed.xml"), accept="application/rss+xml")
    assert doc.status == 200 and doc.content == b"<rss/>" and not doc.not_modified
    assert doc.charset == "iso-8859-1"
    assert doc.content_type == "application/rss+xml"
    assert doc.etag == '"v1"' and doc.last_modified == "Sat, 28 Nov 2026 10:00:00 GMT"
    assert doc.final_url == server.url("/feed.xml")
    request = server.seen[-1]
    assert "Gazette" in request.headers["user-agent"]
    assert request.headers["accept"] == "application/rss+xml"


def test_conditional_get_gives_not_modified(server: FixtureHTTPServer, make_fetcher: FetcherFactory) -> None:
    @server.route("/feed.xml")
    def feed(h: RequestHandler) -> None:
        if h.headers.get("If-None-Match") == '"abc"':
            h.send_response(304)
            h.send_header("ETag", '"abc"')
            h.end_headers()
        else:
            h.reply(200, b"<rss/>", "application/rss+xml", {"ETag": '"abc"'})

    fetcher = make_fetcher()
    first = fetcher.fetch(server.url("/feed.xml"))
    assert first.etag == '"abc"' and not first.not_modified
    second = fetcher.fetch(
        server.url("/feed.xml"), etag=first.etag, last_modified="Sat, 28 Nov 2026 10:00:00 GMT"
    )
    assert second.not_modified and second.status == 304 and second.content == b""
    assert second.etag == '"abc"' and second.last_modified == "Sat, 28 Nov 2026 10:00:00 GMT"
    assert server.seen[-1].headers["if-modified-since"] == "Sat, 28 Nov 2026 10:00:00 GMT"


def test_404_is_an_http_status_error(server: FixtureHTTPServer, make_fetcher: FetcherFactory) -> None:
    with pytest.raises(HTTPStatusError) as info:
        make_fetcher().fetch(server.url("/missing.xml"))
    assert info.value.status_code == 404 and info.value.retry_after is None
    assert "404" in info.value.reason


# -- time -----------------------------------------------------------------------------------------------


def test_read_timeout(server: FixtureHTTPServer, make_fetcher: FetcherFactory) -> None:
    @server.route("/slow")
    def slow(h: RequestHandler) -> None:
        time.sleep(2.0)
        h.reply(200, b"late")

    with pytest.raises(FetchTimeout) as info:
        make_fetcher(timeout_seconds=0.3).fetch(server.url("/slow"))
    assert "timeout" in info.value.reason


def test_slow_loris_body_is_cut_by_the_total_deadline(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    """One byte every 0.2 s never trips a 1 s read timeout; the 1.5 s total deadline ends it."""
    sent: list[int] = []
    finished = threading.Event()

    @server.route("/drip")
    def drip(h: RequestHandler) -> None:
        try:
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.end_headers()
            for _ in range(100):
                h.wfile.write(b"<")
                h.wfile.flush()
                sent.append(1)
                time.sleep(0.2)
        finally:
            finished.set()

    with pytest.raises(FetchTimeout) as info:
        make_fetcher(timeout_seconds=1.0, total_timeout=1.5).fetch(server.url("/drip"))
    assert "total deadline" in info.value.reason
    # Counted, not timed: the client hung up mid-drip, so the server's writes failed long before the 100th.
    assert finished.wait(60)
    assert len(sent) < 100, len(sent)


def test_slow_loris_headers_are_cut_by_the_total_deadline(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    @server.route("/drip-headers")
    def drip(h: RequestHandler) -> None:
        for _ in range(100):
            h.wfile.write(b"X")
            h.wfile.flush()
            time.sleep(0.2)

    with pytest.raises(FetchTimeout):
        make_fetcher(timeout_seconds=1.0, total_timeout=1.5).fetch(server.url("/drip-headers"))


# -- redirects ------------------------------------------------------------------------------------------


def _redirect(server: FixtureHTTPServer, path: str, location: str, status: int = 302) -> None:
    server.routes[path] = lambda h: h.reply(status, b"", headers={"Location": location})


def test_redirects_are_followed_within_the_limit(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    _redirect(server, "/a", "/b", 301)
    _redirect(server, "/b", server.url("/c"), 307)
    _redirect(server, "/c", "d#fragment", 308)
    server.static("/d", b"arrived")
    doc = make_fetcher().fetch(server.url("/a"))
    assert doc.content == b"arrived" and doc.url == server.url("/a") and doc.final_url == server.url("/d")


def test_redirect_loop(server: FixtureHTTPServer, make_fetcher: FetcherFactory) -> None:
    _redirect(server, "/a", "/b")
    _redirect(server, "/b", "/a")
    with pytest.raises(TooManyRedirects) as info:
        make_fetcher().fetch(server.url("/a"))
    assert "loop" in info.value.reason
    assert server.paths().count("/a") == 1


def test_twenty_redirects_stop_after_the_limit(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    for i in range(20):
        _redirect(server, f"/hop{i}", f"/hop{i + 1}")
    server.static("/hop20", b"never reached")
    with pytest.raises(TooManyRedirects) as info:
        make_fetcher(max_redirects=5).fetch(server.url("/hop0"))
    assert "more than 5 redirects" in info.value.reason
    hops = [p for p in server.paths() if p.startswith("/hop")]
    assert hops == [f"/hop{i}" for i in range(6)]


PRIVATE_TARGETS = [
    "http://127.0.0.1:{port}/secret",
    "http://[::1]:{port}/secret",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:127.0.0.1]:{port}/secret",
    "http://0x7f.1:{port}/secret",
    "http://2130706433:{port}/secret",
    "http://0177.0.0.1:{port}/secret",
    "http://0:{port}/secret",
    "http://100.64.0.1/secret",
    "http://10.0.0.1/secret",
]


@pytest.mark.parametrize("target", PRIVATE_TARGETS)
def test_redirect_to_a_private_address_is_refused_at_that_hop(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory, target: str
) -> None:
    """The feed's own host is allowed by name; the redirect target is not, so no socket reaches it."""
    location = target.format(port=server.port)
    _redirect(server, "/feed.xml", location)
    server.static("/secret", b"internal data")
    fetcher = make_fetcher(resolver=lambda host, port: ["127.0.0.1"], allow_hosts=["news.test"])
    with pytest.raises(BlockedAddress) as info:
        fetcher.fetch(server.url("/feed.xml", host="news.test"))
    assert "not public" in info.value.reason
    assert "/secret" not in server.paths()
    assert server.seen[-1].headers["host"] == f"news.test:{server.port}"


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://ftp.example/feed.xml", "gopher://127.0.0.1:70/_x", "data:text/xml,<rss/>"],
)
def test_redirect_to_another_scheme_is_refused(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory, location: str
) -> None:
    _redirect(server, "/feed.xml", location)
    with pytest.raises(BlockedAddress) as info:
        make_fetcher().fetch(server.url("/feed.xml"))
    assert "scheme" in info.value.reason


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "/etc/passwd", "ftp://x.example/f", "gopher://x.example/", "data:,hi"]
)
def test_non_http_urls_are_refused(make_fetcher: FetcherFactory, url: str) -> None:
    with pytest.raises(BlockedAddress):
        make_fetcher().fetch(url)


def test_private_address_refused_without_allow_list(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    server.static("/feed.xml", b"<rss/>")
    with pytest.raises(BlockedAddress):
        make_fetcher(allow_hosts=[]).fetch(server.url("/feed.xml"))
    assert server.paths() == []


def test_connection_goes_to_the_checked_address_not_a_second_lookup(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    """DNS rebinding: the name answers an allowed address to the check, then a forbidden one.

    ``rebind.test`` exists only in this resolver, so the fetch can only succeed by connecting to the
    address the guard checked; the resolver's later answer (metadata service) is never used.
    """
    answers = iter([["127.0.0.1"], ["169.254.169.254"], ["169.254.169.254"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    server.static("/feed.xml", b"<rss/>")
    doc = make_fetcher(resolver=rebinding).fetch(server.url("/feed.xml", host="rebind.test"))
    assert doc.content == b"<rss/>"
    assert calls == ["rebind.test"]
    assert server.seen[-1].headers["host"] == f"rebind.test:{server.port}"


def test_name_resolving_to_metadata_address_is_refused(make_fetcher: FetcherFactory) -> None:
    fetcher = make_fetcher(resolver=lambda host, port: ["93.184.216.34", "169.254.169.254"])
    with pytest.raises(BlockedAddress):
        fetcher.fetch("http://mixed.test/feed.xml")


# -- size -----------------------------------------------------------------------------------------------


def test_fifty_megabytes_without_length_is_cut_at_the_cap(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    @server.route("/big")
    def big(h: RequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/xml")
        h.end_headers()  # no Content-Length: the body runs until the server closes
        chunk = b"x" * MB
        for _ in range(50):
            h.wfile.write(chunk)

    with pytest.raises(TooLarge) as info:
        make_fetcher(max_bytes=10 * MB).fetch(server.url("/big"))
    assert "cap" in info.value.reason


def test_declared_length_over_the_cap_is_refused_before_reading(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    @server.route("/big")
    def big(h: RequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(50 * MB))
        h.end_headers()
        h.wfile.write(b"x" * MB)

    with pytest.raises(TooLarge) as info:
        make_fetcher(max_bytes=10 * MB).fetch(server.url("/big"))
    assert "Content-Length" in info.value.reason


@pytest.mark.parametrize(
    ("encoding", "bomb"), [("gzip", gzip_bomb), ("br", brotli_bomb)], ids=["gzip", "brotli"]
)
def test_compression_bomb_is_cut_after_decompression(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory, encoding: str, bomb: object
) -> None:
    body = bomb()  # type: ignore[operator]
    assert len(body) < 1 * MB
    server.static("/bomb.xml", body, "application/rss+xml", Content_Encoding=encoding)
    with pytest.raises(TooLarge) as info:
        make_fetcher(max_bytes=10 * MB).fetch(server.url("/bomb.xml"))
    assert "after decompression" in info.value.reason


def test_compressed_bodies_under_the_cap_are_decoded(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    text = b"<rss>" + b"news " * 10000 + b"</rss>"
    gz = zlib.compressobj(6, zlib.DEFLATED, 31)
    server.static("/gz", gz.compress(text) + gz.flush(), "application/xml", Content_Encoding="gzip")
    server.static("/br", brotli.compress(text), "application/xml", Content_Encoding="br")
    server.static("/deflate", zlib.compress(text), "application/xml", Content_Encoding="deflate")
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    server.static(
        "/rawdeflate", raw.compress(text) + raw.flush(), "application/xml", Content_Encoding="deflate"
    )
    fetcher = make_fetcher()
    for path in ("/gz", "/br", "/deflate", "/rawdeflate"):
        assert fetcher.fetch(server.url(path)).content == text, path


def test_gzip_without_content_encoding_is_inflated_under_the_cap(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    gz = zlib.compressobj(6, zlib.DEFLATED, 31)
    server.static("/feed.xml.gz", gz.compress(b"<rss/>") + gz.flush(), "application/xml")
    server.static("/bomb.xml", gzip_bomb(), "application/xml")
    fetcher = make_fetcher(max_bytes=10 * MB)
    assert fetcher.fetch(server.url("/feed.xml.gz")).content == b"<rss/>"
    with pytest.raises(TooLarge):
        fetcher.fetch(server.url("/bomb.xml"))


def test_unknown_content_encoding_is_an_error(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    server.static("/z", b"\x28\xb5\x2f\xfd", "application/xml", Content_Encoding="zstd")
    with pytest.raises(FetchError) as info:
        make_fetcher().fetch(server.url("/z"))
    assert "Content-Encoding" in info.value.reason


def test_content_length_larger_than_the_body_is_a_truncation_error(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    server.routes["/short"] = lambda h: h.reply(200, b"only this", length=5000)
    with pytest.raises(FetchError) as info:
        make_fetcher().fetch(server.url("/short"))
    assert "broken response" in info.value.reason


def test_content_length_smaller_than_the_body_reads_only_what_was_declared(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    server.routes["/long"] = lambda h: h.reply(200, b"0123456789" * 1000, length=10)
    doc = make_fetcher().fetch(server.url("/long"))
    assert doc.content == b"0123456789"


# -- Retry-After ----------------------------------------------------------------------------------------


def _http_date(delta: timedelta) -> str:
    return email.utils.format_datetime(datetime.now(UTC) + delta, usegmt=True)


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize(
    ("value", "low", "high"),
    [("120", 120, 120), ("http-date", 60, 91), ("999999999", 3600, 3600)],
    ids=["seconds", "http-date", "clamped"],
)
def test_retry_after_is_reported_clamped_and_held_for_the_host(
    server: FixtureHTTPServer,
    make_fetcher: FetcherFactory,
    status: int,
    value: str,
    low: float,
    high: float,
) -> None:
    header = _http_date(timedelta(seconds=90)) if value == "http-date" else value
    server.routes["/feed.xml"] = lambda h: h.reply(status, b"busy", headers={"Retry-After": header})
    server.static("/other.xml", b"<rss/>")
    fetcher = make_fetcher(max_retry_after=3600.0)
    with pytest.raises(HTTPStatusError) as info:
        fetcher.fetch(server.url("/feed.xml"))
    assert info.value.status_code == status
    assert info.value.retry_after is not None and low <= info.value.retry_after <= high
    asked = len(server.seen)
    with pytest.raises(HTTPStatusError) as again:  # the whole host waits, without a request
        fetcher.fetch(server.url("/other.xml"))
    assert again.value.retry_after is not None and again.value.retry_after > 0
    assert len(server.seen) == asked


def test_short_retry_after_is_waited_out_once(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    calls = []

    @server.route("/feed.xml")
    def feed(h: RequestHandler) -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            h.reply(429, b"", headers={"Retry-After": "1"})
        else:
            h.reply(200, b"<rss/>")

    doc = make_fetcher().fetch(server.url("/feed.xml"))
    assert doc.content == b"<rss/>" and len(calls) == 2


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30.0
    assert parse_retry_after("Sun, 29 Nov 2026 12:02:00 GMT", now) == 120.0
    assert parse_retry_after("Sun, 29 Nov 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after(None, now) is None


# -- robots.txt and politeness --------------------------------------------------------------------------


def test_robots_txt_disallow_is_obeyed_and_cached(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    server.static("/robots.txt", b"User-agent: *\nDisallow: /private/\n")
    server.static("/public/feed.xml", b"<rss/>")
    server.static("/private/feed.xml", b"<rss/>")
    fetcher = make_fetcher()
    assert fetcher.fetch(server.url("/public/feed.xml")).content == b"<rss/>"
    with pytest.raises(RobotsDisallowed):
        fetcher.fetch(server.url("/private/feed.xml"))
    assert "/private/feed.xml" not in server.paths()
    assert server.paths().count("/robots.txt") == 1
    assert make_fetcher(obey_robots=False).fetch(server.url("/private/feed.xml")).content == b"<rss/>"


def test_robots_txt_naming_gazette(server: FixtureHTTPServer, make_fetcher: FetcherFactory) -> None:
    server.static("/robots.txt", b"User-agent: Gazette\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    server.static("/feed.xml", b"<rss/>")
    with pytest.raises(RobotsDisallowed):
        make_fetcher().fetch(server.url("/feed.xml"))


def test_robots_txt_server_error_means_wait(server: FixtureHTTPServer, make_fetcher: FetcherFactory) -> None:
    server.routes["/robots.txt"] = lambda h: h.reply(500, b"oops")
    server.static("/feed.xml", b"<rss/>")
    with pytest.raises(RobotsDisallowed) as info:
        make_fetcher().fetch(server.url("/feed.xml"))
    assert "unavailable" in info.value.reason


def test_one_request_at_a_time_per_host_with_the_delay(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    @server.route("/page")
    def page(h: RequestHandler) -> None:
        time.sleep(0.05)
        h.reply(200, b"ok")

    fetcher = make_fetcher(delay_seconds=0.25)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            fetcher.fetch(server.url(f"/page?n={i}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    elapsed = time.monotonic() - started
    assert not errors
    assert server.max_active == 1
    pages = sorted((s for s in server.seen if s.path.startswith("/page")), key=lambda s: s.started)
    assert len(pages) == 4
    gaps = [b.started - a.ended for a, b in zip(pages, pages[1:], strict=False)]
    assert all(gap > 0.1 for gap in gaps), gaps  # loose: the delay is 0.25 s
    assert elapsed >= 4 * 0.25 * 0.9  # robots.txt + 4 pages, each 0.25 s after the last


def test_connection_reset_mid_body_is_an_error(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    @server.route("/reset")
    def reset(h: RequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.write(b"<rss>" + b"x" * 1000)
        h.wfile.flush()
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()

    with pytest.raises(FetchError):
        make_fetcher().fetch(server.url("/reset"))


def test_fetcher_is_a_context_manager_and_reusable_across_threads(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory
) -> None:
    server.static("/a", b"a")
    server.static("/b", b"b")
    results: dict[str, bytes] = {}
    with make_fetcher() as fetcher:

        def get(path: str) -> None:
            results[path] = fetcher.fetch(server.url(path)).content

        threads = [threading.Thread(target=get, args=(p,)) for p in ("/a", "/b", "/a", "/b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert results == {"/a": b"a", "/b": b"b"}
