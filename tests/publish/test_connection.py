"""A cached page over real HTTP, as `gazette serve` runs it (the cache outermost, uvicorn with ``UVICORN_OPTIONS``):
the same answer as a miss, its 304 and gzip variant from memory, dropped when the store changes, one answer per
Host; and ``HeldWrites``, which sends a response's head and body in one write, on a real socket pair."""

from __future__ import annotations

import asyncio
import gzip
import http.client
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gazette import models
from gazette.publish.cache import ResponseCache
from gazette.publish.connection import HeldWrites
from gazette.store import articles as article_store
from gazette.store.db import Database
from tests.publish.publish_corpus import LiveServer, corpus_settings, fill, section_hosts_server

PAGE = "/politics-government/"
KEPT = ("etag", "cache-control", "content-type", "vary", "last-modified", "content-security-policy")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LiveServer, Database]]:
    settings = corpus_settings(f"sqlite:///{tmp_path}/corpus.db")
    db = Database(settings.database_url)
    db.init()
    fill(db)
    try:
        with LiveServer(settings, db, cache=True) as server:
            yield server, db
    finally:
        db.dispose()


def _cache(server: LiveServer) -> ResponseCache:
    app = server.server.config.app
    assert isinstance(app, ResponseCache)
    return app


def _ask(
    conn: http.client.HTTPConnection, path: str, method: str = "GET", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    conn.request(method, path, headers=headers)
    answer = conn.getresponse()
    body = answer.read()
    return answer.status, {k.lower(): v for k, v in answer.getheaders()}, body


def test_a_hit_answers_like_the_miss_on_one_kept_alive_connection(
    served: tuple[LiveServer, Database],
) -> None:
    server, _db = served
    cache = _cache(server)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        answers = [_ask(conn, PAGE) for _ in range(3)]
        head = _ask(conn, PAGE, "HEAD")
    finally:
        conn.close()
    (status, headers, body), *again = answers
    assert status == 200 and b"<h1>Politics and Government</h1>" in body
    assert (cache.misses, cache.hits) == (1, 3)
    for other_status, other_headers, other_body in again:
        assert other_status == 200 and other_body == body
        assert {k: other_headers.get(k) for k in KEPT} == {k: headers.get(k) for k in KEPT}
    assert all(headers.get(k) for k in KEPT)
    assert int(headers["content-length"]) == len(body)
    assert head[0] == 200 and head[2] == b"" and head[1]["content-length"] == headers["content-length"]


def test_if_none_match_gets_a_304_from_the_cache(served: tuple[LiveServer, Database]) -> None:
    server, _db = served
    cache = _cache(server)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        _, headers, _ = _ask(conn, PAGE)
        etag = headers["etag"]
        hits = cache.hits
        for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            status, not_modified, body = _ask(conn, PAGE, **{"If-None-Match": sent})
            assert status == 304 and body == b""
            assert not_modified["etag"] == etag and not_modified["cache-control"] == headers["cache-control"]
            assert "content-type" not in not_modified
        assert cache.hits - hits == 4
        status, _, body = _ask(conn, PAGE, **{"If-None-Match": '"other"'})
        assert status == 200 and b"<h1>Politics and Government</h1>" in body
    finally:
        conn.close()


def test_gzip_and_plain_are_kept_apart(served: tuple[LiveServer, Database]) -> None:
    server, _db = served
    cache = _cache(server)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        plain = [_ask(conn, PAGE, **{"Accept-Encoding": "identity"}) for _ in range(2)]
        packed = [_ask(conn, PAGE, **{"Accept-Encoding": "gzip, br"}) for _ in range(2)]
    finally:
        conn.close()
    assert (cache.misses, cache.hits) == (2, 2)
    assert all("content-encoding" not in headers for _, headers, _ in plain)
    for status, headers, body in packed:
        assert status == 200 and headers["content-encoding"] == "gzip"
        assert "accept-encoding" in headers["vary"].lower()
        assert gzip.decompress(body) == plain[0][2]


def test_a_store_change_reaches_the_next_request(served: tuple[LiveServer, Database]) -> None:
    server, db = served
    cache = _cache(server)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        before = _ask(conn, PAGE)
        assert _ask(conn, PAGE)[2] == before[2] and cache.hits == 1
        with db.session() as s:
            article_store.save_article(
                s,
                models.Article(
                    url="https://example.org/harbour-vote",
                    canonical_url="https://example.org/harbour-vote",
                    title="Council votes on the harbour wall",
                    text="The council voted on the harbour wall today. " * 20,
                    content_hash="hash-harbour-vote",
                    published_at=datetime(2026, 2, 18, 9, tzinfo=UTC),
                    section=models.SectionAssignment("Politics and Government", "politics-government"),
                ),
                source_id=None,
                feed_id=None,
            )
        status, headers, body = _ask(conn, PAGE)
        assert status == 200 and b"Council votes on the harbour wall" in body
        assert headers["etag"] != before[1]["etag"]
        stale = _ask(conn, PAGE, **{"If-None-Match": before[1]["etag"]})
        assert stale[0] == 200 and b"Council votes on the harbour wall" in stale[2]
    finally:
        conn.close()


def test_one_connection_asking_two_hosts_gets_each_its_page(tmp_path: Path) -> None:
    with section_hosts_server(tmp_path, "example.test") as server:
        cache = _cache(server)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            pages = {
                host: [_ask(conn, "/", Host=f"{host}example.test:{server.port}")[2] for _ in range(2)]
                for host in ("health.", "politics-government.", "")
            }
        finally:
            conn.close()
    assert cache.hits == 3 and cache.misses == 3
    assert all(first == again for first, again in pages.values())
    assert b"<h1>Health</h1>" in pages["health."][0]
    assert b"<h1>Politics and Government</h1>" in pages["politics-government."][0]
    assert len({first for first, _ in pages.values()}) == 3


@pytest.mark.parametrize(
    "request_head",
    [
        "GET {page} HTTP/1.0\r\nHost: {host}\r\n\r\n",
        "GET {page} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
    ],
)
def test_a_hit_that_ends_the_connection_says_so_and_closes(
    served: tuple[LiveServer, Database], request_head: str
) -> None:
    server, _db = served
    _ask(http.client.HTTPConnection("127.0.0.1", server.port, timeout=10), PAGE)  # kept now
    hits = _cache(server).hits
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request_head.format(page=PAGE, host=f"127.0.0.1:{server.port}").encode())
        received = b""
        while chunk := sock.recv(65536):  # the server closes after its answer
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and head.count(b"connection: close") == 1
    length = next(line for line in head.split(b"\r\n") if line.startswith(b"content-length:"))
    assert int(length.split(b":")[1]) == len(body) and body.rstrip().endswith(b"</html>")
    assert _cache(server).hits == hits + 1


# --- HeldWrites on a real socket pair ------------------------------------------------------------------


def _waiting(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536, socket.MSG_DONTWAIT)
    except BlockingIOError:
        return b""


def test_held_writes_go_out_together_in_order_and_before_close() -> None:
    async def exchange() -> tuple[bytes, bytes, bytes, bytes]:
        loop = asyncio.get_running_loop()
        ours, peer = socket.socketpair()
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        held = HeldWrites(transport, loop)  # type: ignore[arg-type]
        held.write(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n")
        held.write(memoryview(b"body"))
        before_turn = _waiting(peer)  # nothing has reached the socket yet
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        first = _waiting(peer)
        held.write(b"tail")
        held.close()  # held bytes go out before the connection closes
        await asyncio.sleep(0.05)
        peer.settimeout(5)
        rest = peer.recv(65536)
        eof = peer.recv(65536)
        peer.close()
        return before_turn, first, rest, eof

    before_turn, first, rest, eof = asyncio.run(exchange())
    assert before_turn == b""
    assert first == b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nbody"
    assert rest == b"tail" and eof == b""
