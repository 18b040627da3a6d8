"""Hostile input to our own server: reflected payloads in error pages, path traversal in every route family,
FTS syntax and giant search queries, malformed query strings — a 4xx or results, never a 500, never
anything that runs; and the static build never writes outside its folder."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from gazette.publish.static import build_site
from tests.hostile.cases import case
from tests.hostile.conftest import Desk
from tests.hostile.safety import assert_inert

PAYLOAD = "<script>alert('xss-reflect')</script>"
SRCSET = "<img srcset=\"x 1x, <script>alert('xss-srcset')</script> 2x\" onerror=alert(1)>"


def _check(answer: object, where: str) -> None:
    status = answer.status_code  # type: ignore[attr-defined]
    assert status < 500, (where, status)
    text = answer.text  # type: ignore[attr-defined]
    assert "<script>alert" not in text, where  # reflected only escaped, as text
    ctype = answer.headers.get("content-type", "")  # type: ignore[attr-defined]
    if ctype.startswith("text/html"):
        assert_inert(text, where)
    assert answer.headers.get("x-content-type-options") == "nosniff"  # type: ignore[attr-defined]


@case("error_reflect")
def test_payloads_in_urls_are_escaped_in_error_pages(desk: Desk) -> None:
    desk.seed()
    client = desk.client()
    for raw in (PAYLOAD, SRCSET, "\"><svg onload=alert('xss-svg')>", "javascript:alert('xss-js')"):
        q = quote(raw, safe="")
        for path in (
            f"/{q}/",
            f"/{q}/page/2/",
            f"/content/2026/11/20/{q}.html",
            f"/archive/2026/{q}/",
            f"/source/{q}/",
            f"/locale/{q}/",
            f"/assets/{q}",
            f"/feed.{q}",
            f"/search?q={q}&section={q}&from={q}",
            f"/api/articles?cursor={q}",
            f"/api/articles/{q}",
            f"/api/search?q={q}&language={q}",
            f"/api/nope/{q}",
        ):
            answer = client.get(path)
            _check(answer, path)
            if path.startswith("/api/") and answer.status_code >= 400:
                assert answer.headers["content-type"].startswith("application/json")
    desk.assert_clean()


TRAVERSALS = [
    "/assets/..%2F..%2F..%2Fetc%2Fpasswd",
    "/assets/..%2f..%2fpyproject.toml",
    "/assets/%2e%2e/%2e%2e/etc/passwd",
    "/assets/....//....//etc/passwd",
    "/assets/%252e%252e%252fetc%252fpasswd",
    "/assets/..%5c..%5cetc%5cpasswd",
    "/assets/gazette.css%00.js",
    "/content/2026/11/20/..%2F..%2F..%2Fetc%2Fpasswd",
    "/content/..%2F..%2F/11/20/x.html",
    "/content/2026/11/20/%2e%2e%2f%2e%2e%2fsecret.html",
    "/archive/..%2F..%2F/11/",
    "/archive/2026/%2e%2e/",
    "/source/..%2F..%2Fetc/",
    "/locale/..%2F../x/",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..%2F..%2Fetc%2Fpasswd/",
    "/society/..%2F..%2Fetc/feed.rss",
    "/society/page/..%2F1/",
]


@case("path_traversal")
def test_traversal_in_our_urls_is_a_404(desk: Desk) -> None:
    desk.seed()
    client = desk.client()
    for path in TRAVERSALS:
        answer = client.get(path)
        assert answer.status_code in (400, 404, 405), (path, answer.status_code)
        assert b"root:" not in answer.content and b"[project]" not in answer.content, path
        _check(answer, path)


@case("path_traversal")
def test_names_from_feeds_never_become_paths(desk: Desk, tmp_path: Path) -> None:
    desk.seed()
    hostile_titles = [
        "..%2F..%2Fetc%2Fpasswd",
        "../../../../tmp/owned",
        "..\\..\\windows\\win.ini",
        "/etc/passwd\x00.html",
    ]
    items = ""
    for i, title in enumerate(hostile_titles):
        path = f"/trav/{i}.html"
        desk.page(path, title=title.replace("\x00", ""))
        items += (
            f"<item><title>{title.replace(chr(0), '')}</title><link>{desk.server.url(path)}</link></item>"
        )
    url = desk.server.static(
        "/trav.xml",
        f'<rss version="2.0"><channel><title>..%2F..</title>{items}</channel></rss>'.encode(),
        "application/rss+xml",
    )
    report = desk.ingest(url)
    assert report.new == len(hostile_titles), report
    for article in desk.articles():
        slug = article["slug"]
        assert slug and all(c.isascii() and (c.isalnum() or c == "-") for c in slug), slug
    out = tmp_path / "site"
    before = {p for p in tmp_path.rglob("*")}
    build_site(desk.settings, desk.db, out)
    written = {p for p in tmp_path.rglob("*")} - before
    assert written and all(p == out or out in p.parents for p in written)
    for path in written:
        assert ".." not in path.relative_to(out).parts
        assert os.path.realpath(path).startswith(os.path.realpath(out))
    assert not (tmp_path / "owned").exists() and not Path("/tmp/owned").exists()
    desk.assert_clean()


FTS_QUERIES = [
    '"',
    '"unbalanced',
    "*",
    "ferry*",
    "NEAR(",
    "NEAR(ferry council, 2",
    "(",
    ")",
    "((ferry)",
    "ferry AND",
    "OR OR OR",
    "NOT",
    "-ferry",
    "ferry:council",
    "title:ferry",
    "^ferry",
    "ferry + council",
    "'",
    "\\",
    "%",
    "_",
    "ferry' OR '1'='1",
    'ferry"; DROP TABLE articles; --',
    "\x00",
    "&#0;",
    "💥" * 50,
    "a" * 10_000,
    "ferry " * 2000,
    "(" * 5000,
]


@case("query_abuse")
def test_search_syntax_and_giant_queries_never_500(desk_any: Desk) -> None:
    desk = desk_any  # SQLite FTS5 and PostgreSQL tsquery each have their own syntax to trip over
    desk.seed()
    client = desk.client()
    for query in FTS_QUERIES:
        for path in ("/search", "/api/search"):
            answer = client.get(path, params={"q": query})
            assert answer.status_code < 500, (path, query[:40], answer.status_code)
            _check(answer, f"{path}?q={query[:40]!r}")
    found = client.get("/api/search", params={"q": "ferry"})
    assert found.status_code == 200  # ordinary search still works after all that
    assert len(desk.articles()) == 1
    desk.assert_clean()


MALFORMED = [
    "/?page=-1",
    "/?page=0",
    "/?page=99999999999999999999999999",
    "/?page=1e308",
    "/?page=%00",
    "/society/page/0/",
    "/society/page/99999999999999999999999/",
    "/society/page/-3/",
    "/archive/99999/99/",
    "/archive/2026/13/",
    "/archive/2026/02/31/",
    "/content/0000/00/00/x.html",
    "/content/99999999999/11/20/x.html",
    "/search?q=%ZZ&from=2026-13-45&to=%ff%fe",
    "/search?" + "&".join(f"p{i}=x" for i in range(5000)),
    "/search?q=" + "%" * 3000,
    "/search?page=99999999999999999999&q=ferry",
    "/api/articles?limit=abc",
    "/api/articles?limit=-5",
    "/api/articles?limit=100000000000000000000000",
    "/api/articles?cursor=%ff%fe%fd",
    "/api/articles?cursor=WyIyMDI2LTExLTIwIiwgLTFd",
    "/api/articles?cursor=" + "A" * 10_000,
    "/api/articles?from=0000-00-00&to=9999-99-99&language=" + "x" * 1000,
    "/api/articles/0",
    "/api/articles/-1",
    "/api/articles/99999999999999999999999999999",
    "/api/articles/1.5",
    "/api/search?q=&limit=0",
    "/api/search",
    "/feed.rss?" + "x" * 20_000,
]


@case("malformed_query")
def test_malformed_query_strings_never_500(desk: Desk) -> None:
    desk.seed()
    client = desk.client()
    errors = []
    for path in MALFORMED:
        answer = client.get(path)
        if answer.status_code >= 500:
            errors.append((path[:80], answer.status_code))
        else:
            _check(answer, path[:80])
    assert errors == []
    desk.assert_clean()
