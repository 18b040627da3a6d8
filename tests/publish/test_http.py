"""HTTP behaviour of the live site: caching validators and 304s, security headers, assets, hostile URLs."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

import httpx
from starlette.testclient import TestClient

from gazette.config import Settings
from gazette.publish.policy import CSP
from gazette.store.db import Database
from tests.publish.conftest import article_path
from tests.publish.publish_corpus import LiveServer

PAGES_AND_FEEDS = [
    "/",
    "/politics-government/",
    "/politics-government/page/2/",
    "/archive/2026/02/10/",
    "/archive/2026/02/",
    "/locale/venezuela/",
    "/locale/venezuela/bolivar/",
    "/source/harbour-ledger/",
    "/search?q=desalination",
    "/feed.rss",
    "/feed.atom",
    "/feed.json",
    "/health/feed.json",
    "/source/valley-courier/feed.atom",
    "/locale/venezuela/feed.rss",
    "/locale/venezuela/aragua/feed.json",
    "/sitemap.xml",
    "/sitemap-news.xml",
    "/robots.txt",
    "/assets/gazette.css",
    "/assets/gazette.js",
    "/assets/print.css",
    "/api/docs",
    "/api/articles?section=health",
    "/api/articles/1",
    "/api/sections",
    "/api/locales",
    "/api/sources",
    "/api/search?q=desalination",
]


def test_every_page_and_feed_has_validators_and_cache_control(client: TestClient) -> None:
    for path in [*PAGES_AND_FEEDS, article_path(client, "Released prisoners face travel bans")]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["etag"]), path
        assert response.headers["cache-control"], path
        assert parsedate_to_datetime(response.headers["last-modified"]).tzinfo is not None, path
        again = client.get(path, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["etag"] == response.headers["etag"]


def test_etag_changes_with_content_and_last_modified_revalidates(client: TestClient) -> None:
    first = client.get("/")
    assert client.get("/", headers={"If-None-Match": '"0000"'}).status_code == 200
    assert client.get("/", headers={"If-None-Match": f'W/{first.headers["etag"]}, "x"'}).status_code == 304
    since = first.headers["last-modified"]
    assert client.get("/", headers={"If-Modified-Since": since}).status_code == 304
    old = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)
    assert client.get("/", headers={"If-Modified-Since": old}).status_code == 200
    assert client.get("/", headers={"If-Modified-Since": "not a date"}).status_code == 200


def test_security_headers_everywhere(client: TestClient) -> None:
    for path in [
        "/",
        "/feed.rss",
        "/api/articles",
        "/api/openapi.json",
        "/api/docs",
        "/nope/",
        "/api/articles/0",
    ]:
        response = client.get(path)
        assert response.headers["content-security-policy"] == CSP, path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP


def test_no_inline_script_or_style_on_any_page(client: TestClient) -> None:
    for path in [
        "/",
        "/health/",
        "/search?q=harbour",
        "/api/docs",
        "/nope/",
        article_path(client, "Assembly debates the harbour budget"),
    ]:
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert "cdn" not in html.lower(), path


def test_api_docs_are_served_without_scripts(client: TestClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert "<script src=" in response.text  # only the site's own file
    assert "/api/articles" in response.text and "/api/openapi.json" in response.text
    spec = client.get("/api/openapi.json").json()
    assert {
        "/api/articles",
        "/api/articles/{article_id}",
        "/api/sections",
        "/api/locales",
        "/api/sources",
        "/api/search",
    } <= set(spec["paths"])


TRAVERSALS = [
    "/assets/../app.py",
    "/assets/..%2Fapp.py",
    "/assets/%2e%2e/%2e%2e/etc/passwd",
    "/assets/gazette.css%00",
    "/assets/",
    "/assets/nope.css",
    "/archive/../../etc/passwd",
    "/archive/2026/..%2F../",
    "/content/2026/02/10/..%2F..%2F..%2Fetc%2Fpasswd",
    "/source/%00/",
    "/source/..%2F/",
    "/locale/%00/x/",
    "/%00/",
    "/health/page/99999999999999999999999/",
    "/health/page/%EF%BC%92/",
    "/feed.exe",
    "/health/feed.%00",
]


def test_traversal_and_odd_paths_are_404(client: TestClient) -> None:
    for path in TRAVERSALS:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "root:" not in response.text and "import" not in response.text


MALFORMED = [
    "q=%00",
    "q=%ff%fe%fd",
    'q="""(((*^-:NEAR',
    "q=a&source=%00",
    "q=a&locale=%00%2F%00",
    "q=a&section=%00&language=%00",
    "q=a&from=2026-99-99&to=%00",
    "q=a&page=-1",
    "q=a&page=99999999999999999999",
    "q&&&=&=&",
    "q=" + "x" * 5000,
    "view=%00",
]


def test_malformed_query_strings_never_give_500(client: TestClient) -> None:
    for query in MALFORMED:
        for path in ("/search", "/", "/api/articles", "/api/search"):
            response = client.get(f"{path}?{query}")
            assert response.status_code < 500, (path, query, response.text[:200])


BAD_API = [
    "limit=0",
    "limit=1000",
    "limit=x",
    "cursor=%%%",
    "cursor=bm90IGpzb24",
    "cursor=WyIyMDI2LTAxLTAxIiwgOTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ",  # id out of range
    "cursor=WyJub3QgYSBkYXRlIiwgMV0",
]


def test_bad_api_parameters_are_400_json(client: TestClient) -> None:
    for query in BAD_API:
        response = client.get(f"/api/articles?{query}")
        assert response.status_code == 400, (query, response.text)
        assert response.json()["error"]["status"] == 400


def test_api_errors_are_json_and_pages_errors_html(client: TestClient) -> None:
    for path in ("/api/articles/99999", "/api/articles/99999999999999999999", "/api/nothing"):
        response = client.get(path)
        assert response.status_code in (404, 400), path
        assert response.headers["content-type"].startswith("application/json")
    page = client.get("/nothing/here/")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


def raw_get(port: int, target: str) -> bytes:
    """Send the request target exactly as written (an HTTP client would normalize the dots away)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_real_server_on_localhost(site: tuple[Settings, Database]) -> None:
    settings, db = site
    with LiveServer(settings, db) as server, httpx.Client(base_url=server.base_url) as http:
        front = http.get("/")
        assert front.status_code == 200
        assert front.headers["content-security-policy"] == CSP
        assert http.get("/", headers={"If-None-Match": front.headers["etag"]}).status_code == 304
        head = http.head("/feed.rss")
        assert head.status_code == 200 and head.content == b""
        assert raw_get(server.port, "/assets/../../pyproject.toml").startswith(b"HTTP/1.1 404")
        assert raw_get(server.port, "/assets/%2e%2e/%2e%2e/pyproject.toml").startswith(b"HTTP/1.1 404")
        raw = http.get("/search?q=%22OR%20NEAR(").status_code
        assert raw == 200
