"""The response cache in front of `gazette serve`: hits, 304s from memory, and emptied when the store changes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from gazette import models
from gazette.publish.cache import cached_app, store_generation
from gazette.store import articles as article_store
from gazette.store.db import Database
from gazette.store.schema import Source


def _counting_app(calls: list[str]) -> Starlette:
    def page(request: Request) -> Response:
        calls.append(request.url.path)
        status = 404 if request.url.path == "/missing" else 200
        return Response(
            f"page {request.url.path} #{len(calls)}", status_code=status, headers={"ETag": '"v1"'}
        )

    def no_etag(request: Request) -> Response:
        calls.append(request.url.path)
        return Response("uncacheable")

    return Starlette(routes=[Route("/plain", no_etag), Route("/{path:path}", page)])


def _add_article(db: Database, n: int) -> None:
    article = models.Article(
        url=f"https://example.org/a{n}",
        canonical_url=f"https://example.org/a{n}",
        title=f"Article number {n}",
        text="Some words. " * 40,
        content_hash=f"hash-{n}",
        published_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    with db.session() as s:
        article_store.save_article(s, article, source_id=None, feed_id=None)


def test_cache_hits_revalidates_and_empties_on_store_change(db: Database) -> None:
    calls: list[str] = []
    app = cached_app(_counting_app(calls), db, check_interval=0.0)
    client = TestClient(app)

    first = client.get("/front/")
    second = client.get("/front/")
    assert first.status_code == second.status_code == 200
    assert first.text == second.text and calls == ["/front/"]
    assert app.hits == 1

    revalidated = client.get("/front/", headers={"If-None-Match": '"v1"'})
    assert revalidated.status_code == 304 and revalidated.content == b"" and calls == ["/front/"]

    # Different query strings are different pages; errors and ETag-less answers are never kept.
    client.get("/front/?page=2")
    client.get("/missing")
    client.get("/missing")
    client.get("/plain")
    client.get("/plain")
    assert calls == ["/front/", "/front/", "/missing", "/missing", "/plain", "/plain"]

    before = store_generation(db)
    _add_article(db, 1)
    assert store_generation(db) != before
    third = client.get("/front/")
    assert third.status_code == 200 and calls[-1] == "/front/" and third.text != first.text


def test_head_from_cache_has_no_body(db: Database) -> None:
    calls: list[str] = []
    client = TestClient(cached_app(_counting_app(calls), db, check_interval=60.0))
    client.get("/x/")
    head = client.head("/x/")
    assert head.status_code == 200 and head.content == b"" and calls == ["/x/"]


def test_a_new_article_drops_only_the_pages_it_affects(db: Database) -> None:
    """An article added in one section keeps another section's cached page (counted in hits, not time)."""
    from gazette.publish.app import create_app
    from tests.publish.publish_corpus import corpus_settings, fill

    fill(db)
    app = cached_app(create_app(corpus_settings(db.url), db), db, check_interval=0.0)
    client = TestClient(app)
    pages = ["/", "/politics-government/", "/health/", "/source/valley-courier/", "/archive/2026/02/"]
    for path in pages:
        assert client.get(path).status_code == 200
    assert (app.hits, app.misses) == (0, len(pages))
    for path in pages:
        client.get(path)
    assert (app.hits, app.misses) == (len(pages), len(pages))

    with db.session() as s:  # a health article from Harbour Ledger, on a day that already has articles
        source_id = s.scalar(select(Source.id).where(Source.slug == "harbour-ledger"))
        article = models.Article(
            url="https://harbour-ledger.example/news/new",
            canonical_url="https://harbour-ledger.example/news/new",
            title="Clinic opens on the quay",
            text="A new clinic opened on the quay today. " * 20,
            content_hash="hash-new-clinic",
            published_at=datetime(2026, 2, 18, 23, tzinfo=UTC),
            section=models.SectionAssignment("Health", "health"),
        )
        article_store.save_article(s, article, source_id=source_id, feed_id=None)

    hits, misses = app.hits, app.misses
    for path in pages:
        assert client.get(path).status_code == 200
    # Kept: the politics section and the other source's page. Dropped: the front page (it shows every
    # section), the health section, the month the article falls in.
    assert app.hits - hits == 2
    assert app.misses - misses == 3
    assert "Clinic opens on the quay" in client.get("/health/").text


def test_a_new_section_drops_everything(db: Database) -> None:
    """A section that gets its first article changes every page's navigation."""
    from gazette.publish.app import create_app
    from tests.publish.publish_corpus import corpus_settings, fill

    fill(db)
    app = cached_app(create_app(corpus_settings(db.url), db), db, check_interval=0.0)
    client = TestClient(app)
    client.get("/politics-government/")
    with db.session() as s:
        article_store.save_article(
            s,
            models.Article(
                url="https://example.org/sport",
                canonical_url="https://example.org/sport",
                title="Harbour regatta",
                text="Boats raced in the harbour. " * 20,
                content_hash="hash-regatta",
                published_at=datetime(2026, 2, 12, 10, tzinfo=UTC),
                section=models.SectionAssignment("Sports", "sports"),
            ),
            source_id=None,
            feed_id=None,
        )
    page = client.get("/politics-government/")
    assert app.hits == 0 and app.misses == 2
    assert "/sports/" in page.text


async def _ask_asgi(app: Any, path: str) -> tuple[int, bytes]:
    """One GET through the ASGI app ``app``: (status, body)."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"desk.test")],
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_concurrent_misses_for_one_page_render_it_once(db: Database) -> None:
    calls: list[str] = []

    async def scenario() -> None:
        release = asyncio.Event()

        async def page(scope: Any, receive: Any, send: Any) -> None:
            calls.append(scope["path"])
            await release.wait()  # every other request arrives while the first renders
            headers = [(b"etag", b'"v1"')] if scope["path"] != "/plain" else []
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": f"{scope['path']} #{len(calls)}".encode()})

        app = cached_app(page, db, check_interval=60.0)

        async def crowd(path: str) -> list[tuple[int, bytes]]:
            release.clear()
            asking = [asyncio.ensure_future(_ask_asgi(app, path)) for _ in range(10)]
            for _ in range(20):  # let all ten reach the cache before the render ends
                await asyncio.sleep(0)
            release.set()
            return await asyncio.gather(*asking)

        answers = await crowd("/front/")
        assert calls == ["/front/"]  # ten at once, one render
        assert answers == [(200, b"/front/ #1")] * 10
        assert app.misses == 1 and app.hits == 9

        # An answer that cannot be kept (no ETag) is not shared: those who waited render their own.
        calls.clear()
        plain = await crowd("/plain")
        assert len(calls) == 10 and len({body for _, body in plain}) == 10

    asyncio.run(scenario())


def test_misses_beyond_max_renders_wait_their_turn(db: Database) -> None:
    calls: list[str] = []

    async def scenario() -> None:
        release = {path: asyncio.Event() for path in ("/a/", "/b/", "/c/")}

        async def page(scope: Any, receive: Any, send: Any) -> None:
            calls.append(scope["path"])
            await release[scope["path"]].wait()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"etag", b'"v1"')]})
            await send({"type": "http.response.body", "body": scope["path"].encode()})

        app = cached_app(page, db, check_interval=60.0, max_renders=2)
        asking = [asyncio.ensure_future(_ask_asgi(app, path)) for path in release]
        for _ in range(20):
            await asyncio.sleep(0)
        assert calls == ["/a/", "/b/"]  # the third waits for a render to end
        release["/b/"].set()
        for _ in range(20):
            await asyncio.sleep(0)
        assert calls == ["/a/", "/b/", "/c/"]
        release["/a/"].set()
        release["/c/"].set()
        assert await asyncio.gather(*asking) == [(200, b"/a/"), (200, b"/b/"), (200, b"/c/")]

    asyncio.run(scenario())


def test_a_render_slot_is_free_once_the_answer_starts(db: Database) -> None:
    calls: list[str] = []

    async def scenario() -> None:
        reader_caught_up = asyncio.Event()

        async def page(scope: Any, receive: Any, send: Any) -> None:
            calls.append(scope["path"])
            await send({"type": "http.response.start", "status": 200, "headers": [(b"etag", b'"v1"')]})
            if scope["path"] == "/slow/":  # a body that waits on its reader
                await reader_caught_up.wait()
            await send({"type": "http.response.body", "body": scope["path"].encode()})

        app = cached_app(page, db, check_interval=60.0, max_renders=1)
        slow = asyncio.ensure_future(_ask_asgi(app, "/slow/"))
        following = asyncio.ensure_future(_ask_asgi(app, "/next/"))
        for _ in range(20):
            await asyncio.sleep(0)
        assert calls == ["/slow/", "/next/"]  # not queued behind the slow body
        assert following.done() and following.result() == (200, b"/next/")
        reader_caught_up.set()
        assert await slow == (200, b"/slow/")

    asyncio.run(scenario())
