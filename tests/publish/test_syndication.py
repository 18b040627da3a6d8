"""Feeds out (RSS 2.0, Atom 1.0, JSON Feed 1.1) for the site and every listing; sitemaps and robots.txt."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from gazette.config import Settings
from gazette.errors import NotFound
from gazette.publish import syndication
from gazette.publish.pages import Site
from gazette.store.db import Database
from gazette.store.schema import Article, BriefSentenceRow
from tests.publish.publish_corpus import corpus_settings

LISTINGS = [
    "/",
    "/politics-government/",
    "/source/valley-courier/",
    "/locale/venezuela/",
    "/locale/venezuela/aragua/",
]
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def check_json_feed(doc: dict[str, object]) -> None:
    """The JSON Feed 1.1 required fields (and the types the spec gives them)."""
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(doc["title"], str) and doc["title"]
    assert isinstance(doc["items"], list)
    for item in doc["items"]:
        assert isinstance(item, dict)
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_text") or item.get("content_html"), str)
        for key in ("url", "external_url"):
            if key in item:
                assert str(item[key]).startswith(("http://", "https://"))
        for key in ("date_published", "date_modified"):
            if key in item:
                datetime.fromisoformat(str(item[key]).replace("Z", "+00:00"))
        assert all(isinstance(a, dict) and a.get("name") for a in item.get("authors", []))


def test_every_feed_parses_cleanly(client: TestClient) -> None:
    for listing in LISTINGS:
        for fmt in ("rss", "atom"):
            response = client.get(f"{listing}feed.{fmt}")
            assert response.status_code == 200, (listing, fmt)
            parsed = feedparser.parse(response.content)
            assert not parsed.bozo, (listing, fmt, parsed.get("bozo_exception"))
            assert parsed.version == ("rss20" if fmt == "rss" else "atom10")
            assert parsed.entries
            for entry in parsed.entries:
                assert entry.link.startswith("http://gazette.test/content/")
                assert entry.title
        response = client.get(f"{listing}feed.json")
        assert response.headers["content-type"].startswith("application/feed+json")
        doc = response.json()
        check_json_feed(doc)
        assert doc["feed_url"] == f"http://gazette.test{listing}feed.json"
        # feedparser 6.0 does not read JSON Feed, so check_json_feed holds it to the spec's required fields


def test_feed_contents_follow_the_listing(client: TestClient) -> None:
    site_rss = feedparser.parse(client.get("/feed.rss").content)
    assert len(site_rss.entries) == 27
    section = feedparser.parse(client.get("/health/feed.atom").content)
    assert len(section.entries) == 5
    assert section.feed.title == "Health — Test Gazette"
    region = json.loads(client.get("/locale/venezuela/aragua/feed.json").content)
    assert [item["title"] for item in region["items"]] == ["Released prisoners face travel bans"]
    undated = next(
        item for item in json.loads(client.get("/feed.json").content)["items"] if "Sin fecha" in item["title"]
    )
    assert undated["date_published"].startswith("2026-03-02T")  # dated by its fetch (issue 9, item 15)


def test_feeds_never_leak_full_text_of_brief_only_sources(client: TestClient) -> None:
    for fmt in ("rss", "atom", "json"):
        body = client.get(f"/feed.{fmt}").text
        assert "Lawyers say the bans have no end date." not in body  # Valley Courier, not in the brief
        assert "javascript:" not in body
    # a republishing source's entries carry the full text; a brief-only source's carry none
    harbour = feedparser.parse(client.get("/source/harbour-ledger/feed.atom").content)
    assert all(e.content[0].value for e in harbour.entries)
    valley = feedparser.parse(client.get("/source/valley-courier/feed.atom").content)
    assert not any("content" in e for e in valley.entries)


def test_unknown_feeds_are_404(client: TestClient) -> None:
    for path in ("/feed.xml", "/nope/feed.rss", "/locale/atlantis/feed.rss", "/source/nobody/feed.json"):
        assert client.get(path).status_code == 404, path


def test_sitemap_lists_every_page(client: TestClient) -> None:
    response = client.get("/sitemap.xml")
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP_NS}urlset"
    locs = []
    for url in root:
        assert url.tag == f"{SITEMAP_NS}url"
        loc = url.find(f"{SITEMAP_NS}loc")
        assert loc is not None and loc.text and loc.text.startswith("http://gazette.test/")
        locs.append(loc.text)
        lastmod = url.find(f"{SITEMAP_NS}lastmod")
        if lastmod is not None:
            datetime.fromisoformat(str(lastmod.text).replace("Z", "+00:00"))
    assert len(locs) == len(set(locs))
    assert sum("/content/" in loc for loc in locs) == 27
    for path in (
        "/",
        "/politics-government/page/2/",
        "/archive/2026/02/",
        "/locale/venezuela/aragua/",
        "/source/harbour-ledger/",
    ):
        assert f"http://gazette.test{path}" in locs
    for loc in locs:
        assert client.get(loc.removeprefix("http://gazette.test")).status_code == 200, loc


def test_news_sitemap_has_the_last_two_days(site: tuple[Settings, Database], client: TestClient) -> None:
    settings, db = site
    now = datetime(2026, 2, 18, 12, 0, tzinfo=UTC)
    body = syndication.render_news_sitemap(Site(settings, db), now=now).body
    root = ET.fromstring(body)
    urls = root.findall(f"{SITEMAP_NS}url")
    assert len(urls) == 6  # Feb 16 afternoon .. Feb 18: the last articles of the corpus
    for url in urls:
        news = url.find(f"{NEWS_NS}news")
        assert news is not None
        publication = news.find(f"{NEWS_NS}publication")
        assert publication is not None
        assert publication.findtext(f"{NEWS_NS}name") == "Test Gazette"
        assert publication.findtext(f"{NEWS_NS}language") in ("en", "es")
        assert news.findtext(f"{NEWS_NS}title")
        datetime.fromisoformat(str(news.findtext(f"{NEWS_NS}publication_date")).replace("Z", "+00:00"))
    live = ET.fromstring(client.get("/sitemap-news.xml").content)
    assert live.tag == f"{SITEMAP_NS}urlset"


def test_robots_txt_names_the_sitemaps(client: TestClient) -> None:
    response = client.get("/robots.txt")
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert "User-agent: *" in lines
    assert "Sitemap: http://gazette.test/sitemap.xml" in lines
    assert "Sitemap: http://gazette.test/sitemap-news.xml" in lines
    assert "Disallow: /search" in lines


def test_feeds_under_a_base_path(site: tuple[Settings, Database]) -> None:
    settings, db = site
    prefixed = Site(settings, db, base_url="https://example.org/news")
    rendered = syndication.render_feed(prefixed, prefixed.section_listing("health"), "rss")
    parsed = feedparser.parse(rendered.body)
    assert parsed.feed.link == "https://example.org/news/health/"
    assert all(e.link.startswith("https://example.org/news/content/") for e in parsed.entries)


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=80
)


GAZETTE = Site(corpus_settings("sqlite://"), Database("sqlite://"))  # the feed writers never query


@settings(max_examples=60, deadline=None)
@given(title=TEXT, author=TEXT, summary=TEXT)
def test_any_text_round_trips_through_every_feed(title: str, author: str, summary: str) -> None:
    article = Article(
        id=1,
        title=title,
        author=author,
        text=summary,
        html="",
        original_url="https://example.org/a?x=1&y=<2>",
        fetched_at=datetime(2026, 2, 1, tzinfo=UTC),
        published_at=datetime(2026, 2, 1, tzinfo=UTC),
        date_path="2026/02/01",
        slug="a",
        section="health",
    )
    article.brief = [BriefSentenceRow(position=0, text=summary, source_start=0, source_end=len(summary))]
    now = datetime.now(UTC)
    home, feed = "http://gazette.test/", "http://gazette.test/feed"
    for body in (
        syndication._rss(GAZETTE, [article], title, home, feed, now),
        syndication._atom(GAZETTE, [article], title, home, feed, now),
    ):
        parsed = feedparser.parse(body)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert len(parsed.entries) == 1
    doc = json.loads(syndication._json_feed(GAZETTE, [article], title, home, feed))
    check_json_feed(doc)
    assert doc["items"][0]["title"] == title
    assert doc["items"][0]["summary"] == summary


def test_large_sitemaps_become_an_index_of_parts(site: tuple[Settings, Database], client: TestClient) -> None:
    settings, db = site
    gazette = Site(settings, db)
    everything = {
        loc.text for loc in ET.fromstring(syndication.render_sitemap(gazette).body).iter(f"{SITEMAP_NS}loc")
    }
    assert syndication.sitemap_files(gazette) == ["/sitemap.xml"]
    assert client.get("/sitemap-1.xml").status_code == 404  # small sites have one file
    limit = 10
    index = ET.fromstring(syndication.render_sitemap(gazette, limit=limit).body)
    assert index.tag == f"{SITEMAP_NS}sitemapindex"
    parts = [str(loc.text) for loc in index.iter(f"{SITEMAP_NS}loc")]
    files = syndication.sitemap_files(gazette, limit=limit)
    assert files[0] == "/sitemap.xml" and [f"http://gazette.test{f}" for f in files[1:]] == parts
    seen: set[str | None] = set()
    for n in range(1, len(parts) + 1):
        part = ET.fromstring(syndication.render_sitemap_part(gazette, n, limit=limit).body)
        locs = [loc.text for loc in part.iter(f"{SITEMAP_NS}loc")]
        assert 0 < len(locs) <= limit
        seen.update(locs)
    assert seen == everything
    with pytest.raises(NotFound):
        syndication.render_sitemap_part(gazette, len(parts) + 1, limit=limit)
