"""Listing pages: front page, sections with pagination, date archives, locales, sources, and a link crawl."""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from urllib.parse import urlsplit

from starlette.testclient import TestClient

from gazette.config import Settings
from gazette.publish import syndication
from gazette.publish.app import create_app
from gazette.store import listings
from gazette.store.db import Database
from gazette.store.listings import ArticleFilter
from tests.publish.conftest import asset_url, parse
from tests.publish.publish_corpus import corpus_settings

SECTION_ORDER = [
    "Politics and Government",
    "Business and Finance",
    "Science and Technology",
    "Health",
    "Environment",
]


def card_titles(html: str) -> list[str]:
    page = parse(html)
    return [a["href"] or "" for a in page.find("a") if (a.get("href") or "").startswith("/content/")]


def test_front_page_groups_latest_articles_by_section(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = parse(response.text)
    assert len(page.h1) == 1
    sections = re.findall(r'<h2 id="sec-([a-z-]+)"><a href="/[a-z-]+/">([^<]+)</a></h2>', response.text)
    assert [name for _slug, name in sections] == SECTION_ORDER
    # each group: its newest articles (5 at most), with headline, date, source, locales and first lines
    groups = re.split(r'<section class="front-section"', response.text)[1:]
    assert [len(card_titles(group)) for group in groups] == [5, 5, 5, 5, 3]
    assert "Los ganaderos venden más carne al exterior" in page.text
    assert "Fri, February 13, 2026 · Diario del Llano · Andalucía, SPAIN" in page.text
    assert "Los ganaderos del llano vendieron más carne al exterior este año." in page.text
    assert "date unknown · Diario del Llano" in page.text


def test_section_pages_paginate_newest_first(client: TestClient) -> None:
    first = client.get("/politics-government/")
    second = client.get("/politics-government/page/2/")
    assert first.status_code == second.status_code == 200
    one, two = card_titles(first.text), card_titles(second.text)
    assert len(one) == 5 and len(two) == 2
    assert not set(one) & set(two)
    assert parse(first.text).find("a", href="/politics-government/page/2/", rel="next")
    assert parse(second.text).find("a", href="/politics-government/", rel="prev")
    # newest first: the undated article (sorted by when it was fetched, weeks later) leads
    assert "sin-fecha" in one[0]
    days = [href.split("/")[2:5] for href in one[1:] + two]
    assert days == sorted(days, reverse=True)
    for missing in (
        "/politics-government/page/3/",
        "/politics-government/page/1/",
        "/politics-government/page/0/",
    ):
        assert client.get(missing).status_code == 404, missing
    assert client.get("/no-such-section/").status_code == 404


def test_archive_day_with_previous_and_next_day(client: TestClient) -> None:
    response = client.get("/archive/2026/02/11/")
    assert response.status_code == 200
    page = parse(response.text)
    assert page.h1 == ["Wed, February 11, 2026"]
    assert page.find("a", href="/archive/2026/02/10/", rel="prev")
    assert page.find("a", href="/archive/2026/02/12/", rel="next")
    assert page.find("a", href="/archive/2026/02/")
    assert len(card_titles(response.text)) == 3
    first_day = parse(client.get("/archive/2026/02/10/").text)
    assert not first_day.find("a", rel="prev")


def test_archive_day_paginates_like_the_listings(site: tuple[Settings, Database]) -> None:
    settings, db = site
    one = dataclasses.replace(settings, site=dataclasses.replace(settings.site, page_size=1))
    app = create_app(one, db)
    small = TestClient(app, raise_server_exceptions=False)
    with db.session() as s:
        day, held = max(listings.archive_day_counts(s), key=lambda item: item[1])
        newest_first = [a.path for a in listings.list_articles(s, ArticleFilter(date_prefix=day), limit=held)]
    assert held >= 2
    base = f"/archive/{day}/"
    seen: list[str] = []
    for n in range(1, held + 1):
        path = base if n == 1 else f"{base}page/{n}/"
        response = small.get(path)
        assert response.status_code == 200, path
        page = parse(response.text)
        assert page.find("link", rel="canonical", href=f"http://gazette.test{path}")
        if n < held:
            assert page.find("a", href=f"{base}page/{n + 1}/", rel="next")
        if n > 1:
            assert page.find("a", href=base if n == 2 else f"{base}page/{n - 1}/", rel="prev")
            assert f"page {n} of {held}" in page.text
        seen += card_titles(response.text)
    assert seen == newest_first  # every article of the day once, newest first
    for missing in (f"{base}page/{held + 1}/", f"{base}page/1/", f"{base}page/0/"):
        assert small.get(missing).status_code == 404, missing
    mapped = {path for path, _changed in syndication.sitemap_paths(app.state.site)}
    day_pages = {p for p in mapped if p.startswith(base)}
    assert day_pages == {base} | {f"{base}page/{n}/" for n in range(2, held + 1)}


def test_archive_month_lists_days(client: TestClient) -> None:
    response = client.get("/archive/2026/02/")
    assert response.status_code == 200
    page = parse(response.text)
    assert page.h1 == ["February 2026"]
    assert page.find("a", href="/archive/2026/02/10/")
    assert page.find("a", href="/archive/2026/03/", rel="next")  # the undated article was fetched in March


def test_archive_bad_or_empty_dates_are_404(client: TestClient) -> None:
    for bad in (
        "/archive/2026/02/30/",
        "/archive/2026/13/",
        "/archive/1999/01/01/",
        "/archive/26/02/10/",
        "/archive/..%2F..%2F/02/",
        "/archive/%EF%BC%92026/02/10/",
    ):
        assert client.get(bad).status_code == 404, bad


def test_locale_pages_for_country_and_region(client: TestClient) -> None:
    country = client.get("/locale/venezuela/")
    assert country.status_code == 200
    page = parse(country.text)
    assert page.h1 == ["Venezuela"]
    assert page.find("a", href="/locale/venezuela/bolivar/")
    assert page.find("a", href="/locale/venezuela/aragua/")
    assert len(card_titles(country.text)) == 1
    region = client.get("/locale/venezuela/aragua/")
    assert region.status_code == 200
    assert parse(region.text).h1 == ["Aragua, Venezuela"]
    assert "Released prisoners face travel bans" in region.text
    assert client.get("/locale/spain/andalucia/").status_code == 200
    assert client.get("/locale/venezuela/antioquia/").status_code == 404
    assert client.get("/locale/atlantis/").status_code == 404


def test_source_page(client: TestClient) -> None:
    response = client.get("/source/diario-del-llano/")
    assert response.status_code == 200
    page = parse(response.text)
    assert page.h1 == ["Diario del Llano"]
    assert len(card_titles(response.text)) == 5
    assert client.get("/source/diario-del-llano/page/2/").status_code == 200
    assert client.get("/source/nobody/").status_code == 404


def test_every_page_has_one_h1_and_landmarks(client: TestClient) -> None:
    for path in (
        "/",
        "/health/",
        "/archive/2026/02/10/",
        "/archive/2026/02/",
        "/locale/venezuela/",
        "/source/valley-courier/",
        "/search?q=desalination",
        "/api/docs",
        "/nowhere/",
    ):
        page = parse(client.get(path).text)
        assert len(page.h1) == 1, path
        assert len(page.find("main")) == 1, path
        assert page.find("header") and page.find("footer"), path
        for field in page.find("input") + page.find("select"):
            assert page.find("label", **{"for": str(field.get("id"))}), (path, field)


def test_not_found_page(client: TestClient) -> None:
    response = client.get("/definitely/not/here")
    assert response.status_code == 404
    page = parse(response.text)
    assert page.h1 == ["Page not found"]
    assert page.find("a", href="/")


def crawl(client: TestClient, prefix: str = "") -> dict[str, int]:
    """Follow every same-site link from the front page; path → status."""
    seen: dict[str, int] = {}
    queue = deque(["/"])
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path)
        seen[path] = response.status_code
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        for href in parse(response.text).links():
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("#", "?")):
                continue
            assert parts.path.startswith(prefix + "/"), href
            target = parts.path[len(prefix) :]
            if target.startswith(("/search", "/api/")):
                continue
            queue.append(target)
    return seen


def test_crawl_finds_no_broken_internal_link(client: TestClient) -> None:
    seen = crawl(client)
    assert {status for status in seen.values()} == {200}, {p: s for p, s in seen.items() if s != 200}
    assert sum(p.startswith("/content/") for p in seen) == 27
    assert "/politics-government/page/2/" in seen
    assert "/locale/venezuela/nueva-esparta/" in seen
    assert "/archive/2026/02/" in seen


def test_links_live_under_the_base_url_path(site: tuple[Settings, Database]) -> None:
    settings, db = site
    prefixed = corpus_settings(settings.database_url, base_url="https://example.org/news")
    client = TestClient(create_app(prefixed, db))
    seen = crawl(client, prefix="/news")
    assert {status for status in seen.values()} == {200}
    front = parse(client.get("/").text)
    assert front.find("link", rel="stylesheet", href=asset_url("gazette.css", "/news"))
    article = next(p for p in seen if p.startswith("/content/"))
    page = parse(client.get(article).text)
    assert page.find("a", id="permalink", href=f"https://example.org/news{article}")
