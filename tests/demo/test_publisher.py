"""The demo publisher over a real socket: feeds parse, pages carry what the pipeline must cope with."""

from __future__ import annotations

import calendar
import html as htmllib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser
import httpx
import pytest

from gazette.demo import DemoArticle, DemoFeed, DemoPublisher, site
from gazette.demo.corpus import load_corpus, load_sources
from gazette.errors import ConfigError, GazetteError


@pytest.fixture(scope="module")
def publisher() -> Iterator[DemoPublisher]:
    with DemoPublisher() as pub:
        yield pub


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as c:
        yield c


def _feed_entries(client: httpx.Client, feed: DemoFeed) -> list[dict[str, Any]]:
    """(link, published) of each entry: RSS and Atom through feedparser, JSON Feed (which it lacks) as JSON."""
    response = client.get(feed.url)
    assert response.status_code == 200
    if response.headers["content-type"].startswith("application/feed+json"):
        return [
            {"link": item["url"], "published": item.get("date_published")}
            for item in response.json()["items"]
        ]
    parsed = feedparser.parse(response.content, response_headers=dict(response.headers))
    assert not parsed.bozo, parsed.get("bozo_exception")
    entries = []
    for entry in parsed.entries:
        stamp = entry.get("published_parsed")
        published = calendar.timegm(stamp) if stamp else None
        entries.append({"link": entry["link"], "published": published})
    return entries


def _by_flag(publisher: DemoPublisher, pattern: str) -> DemoArticle:
    (article,) = [a for a in publisher.articles() if pattern in a.url]
    return article


def test_corpus_size_sources_sections_and_languages(publisher: DemoPublisher) -> None:
    articles = publisher.articles()
    assert len(articles) >= 25
    assert len({a.source for a in articles}) >= 2
    assert len({a.section for a in articles}) >= 4
    languages = Counter(a.language for a in articles)
    assert languages["es"] >= 5 and languages["en"] >= 5
    assert all(250 <= len(a.text.split()) <= 600 for a in articles)
    assert len({a.url for a in articles}) == len(articles)
    stories = Counter(a.story for a in articles if a.story)
    assert max(stories.values()) >= 2


def test_every_feed_parses_and_lists_absolute_urls_on_this_host(
    publisher: DemoPublisher, client: httpx.Client
) -> None:
    host = urlsplit(publisher.base_url).netloc
    known = {a.url for a in publisher.articles()}
    listed: set[str] = set()
    formats = set()
    for feed in publisher.feeds():
        entries = _feed_entries(client, feed)
        assert entries, feed.url
        formats.add(feed.url.rsplit(".", 1)[-1])
        for entry in entries:
            assert urlsplit(entry["link"]).netloc == host
            listed.add(entry["link"].split("?")[0])
    assert formats == {"rss", "atom", "json"}
    assert listed == known  # every article is reachable from some feed


def test_json_feed_is_valid_json_feed_1_1(publisher: DemoPublisher, client: httpx.Client) -> None:
    (feed,) = [f for f in publisher.feeds() if f.url.endswith(".json")]
    doc = client.get(feed.url).json()
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert all(item["url"].startswith(publisher.base_url) for item in doc["items"])


def test_one_article_is_in_two_feeds_once_with_tracking_parameters(
    publisher: DemoPublisher, client: httpx.Client
) -> None:
    links: dict[str, list[str]] = {}
    for feed in publisher.feeds():
        for entry in _feed_entries(client, feed):
            links.setdefault(entry["link"].split("?")[0], []).append(entry["link"])
    doubled = {url: found for url, found in links.items() if len(found) > 1}
    assert len(doubled) == 1
    ((url, found),) = doubled.items()
    assert url in found and any("utm_source=" in link and "utm_medium=" in link for link in found)
    # the tracked link serves the same page, whose canonical URL is the clean one
    tracked = next(link for link in found if "utm_" in link)
    page = client.get(tracked)
    assert page.status_code == 200
    assert f'<link rel="canonical" href="{url}">' in page.text
    section_feeds = [f for f in publisher.feeds() if f.section]
    assert section_feeds and all(f.section == "politics-government" for f in section_feeds)


def test_cp1252_page_has_no_charset_anywhere(publisher: DemoPublisher, client: httpx.Client) -> None:
    (article,) = [a for a in publisher.articles() if a.encoding == "cp1252"]
    response = client.get(article.url)
    assert response.headers["content-type"] == "text/html"
    body = response.content
    assert b"charset" not in body.lower() and b"encoding=" not in body.lower()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    # bytes that mean curly quotes only in Windows-1252 (C1 controls in ISO-8859-1)
    assert b"\x93" in body and b"\x94" in body
    decoded = body.decode("cp1252")
    assert "Bolívar" in decoded and "“" in decoded
    assert article.text.split(". ")[0] in decoded


def test_utf8_pages_declare_their_charset(publisher: DemoPublisher, client: httpx.Client) -> None:
    article = next(a for a in publisher.articles() if a.language == "es" and a.encoding == "utf-8")
    response = client.get(article.url)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<meta charset="utf-8">' in response.text
    assert article.title in response.text


def test_article_page_has_chrome_metadata_and_canonical(
    publisher: DemoPublisher, client: httpx.Client
) -> None:
    article = next(a for a in publisher.articles() if a.published and a.language == "en")
    html = client.get(article.url).text
    for marker in ('class="cookie-banner"', "<nav", 'class="related"', "<footer", "<time datetime="):
        assert marker in html
    assert f'<link rel="canonical" href="{article.url}">' in html
    assert '<meta property="og:title"' in html and '<meta property="og:site_name"' in html
    assert f'content="{article.author}"' in html and 'rel="author"' in html
    assert article.published is not None
    assert f'content="{article.published.isoformat()}"' in html
    # related links point to other articles of the same source, which exist
    related = re.search(r'<aside class="related">(.*?)</aside>', html, re.S)
    assert related is not None
    hrefs = re.findall(r'href="([^"]+)"', related.group(1))
    assert hrefs
    for href in hrefs:
        assert client.get(publisher.base_url + href).status_code == 200


def test_hostile_page_carries_script_onerror_and_javascript_links(
    publisher: DemoPublisher, client: httpx.Client
) -> None:
    article = _by_flag(publisher, "online-lottery-scam-warning")
    html = client.get(article.url).text
    body = html.split('<div class="story-body">', 1)[1].split("</div>", 1)[0]
    assert "<script>" in body and "onerror=" in body and 'href="javascript:' in body
    # the visible text is intact around the hostile markup
    assert article.text.split("\n\n")[1].rsplit(". ", 1)[1] in htmllib.unescape(html)


def test_undated_article_has_no_date_anywhere(publisher: DemoPublisher, client: httpx.Client) -> None:
    (article,) = [a for a in publisher.articles() if a.published is None]
    response = client.get(article.url)
    assert "last-modified" not in response.headers
    html = response.text
    assert "<time" not in html and "published_time" not in html and "datePublished" not in html
    assert not re.search(r"\b(19|20)\d\d\b", html)  # no year, so no date a heuristic could find
    assert not re.search(r"\d{4}/\d\d/\d\d|\d{4}-\d\d-\d\d", html)
    for feed in publisher.feeds():
        for entry in _feed_entries(client, feed):
            if entry["link"] == article.url:
                assert entry["published"] is None


def test_dated_articles_carry_their_date_in_feeds(publisher: DemoPublisher, client: httpx.Client) -> None:
    dates = {a.url: a.published for a in publisher.articles() if a.published}
    for feed in publisher.feeds():
        for entry in _feed_entries(client, feed):
            published = dates.get(entry["link"].split("?")[0])
            if published is None:
                continue
            if isinstance(entry["published"], str):  # JSON Feed: RFC 3339
                assert datetime.fromisoformat(entry["published"]) == published
            else:
                assert entry["published"] == published.timestamp()


@pytest.mark.parametrize("kind", ["feed", "article"])
def test_conditional_get_answers_304(publisher: DemoPublisher, client: httpx.Client, kind: str) -> None:
    if kind == "feed":
        url = publisher.feeds()[0].url
    else:
        url = next(a.url for a in publisher.articles() if a.published)
    first = client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    again = client.get(url, headers={"If-Modified-Since": modified})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    earlier = format_datetime(datetime(2020, 1, 1).astimezone(), usegmt=False)
    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200


def test_robots_opml_and_404(publisher: DemoPublisher, client: httpx.Client) -> None:
    robots = client.get(f"{publisher.base_url}/robots.txt")
    assert robots.status_code == 200 and "User-agent: *" in robots.text
    opml = client.get(f"{publisher.base_url}/opml.xml")
    assert opml.status_code == 200
    outlines = ElementTree.fromstring(opml.content).iter("outline")
    urls = {o.get("xmlUrl") for o in outlines if o.get("xmlUrl")}
    assert urls == {f.url for f in publisher.feeds()}
    assert publisher.opml().startswith("<?xml")
    assert client.get(f"{publisher.base_url}/no-such-feed.xml").status_code == 404
    assert client.head(publisher.feeds()[0].url).status_code == 200


def test_start_stop_and_fresh_port() -> None:
    pub = DemoPublisher()
    pub.start()
    url = pub.base_url
    assert httpx.get(f"{url}/robots.txt").status_code == 200
    pub.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/robots.txt")
    pub.stop()  # stopping twice is harmless


def test_sitemap_and_navigation_pages(publisher: DemoPublisher, client: httpx.Client) -> None:
    sitemap = client.get(f"{publisher.base_url}/sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {e.text for e in ElementTree.fromstring(sitemap.content).findall("s:url/s:loc", ns)}
    assert locs == {a.url for a in publisher.articles()}
    assert "Sitemap:" in client.get(f"{publisher.base_url}/robots.txt").text
    article = publisher.articles()[0]
    html = client.get(article.url).text
    nav = re.search(r'<nav class="sections">(.*?)</nav>', html, re.S)
    assert nav is not None
    for href in re.findall(r'href="([^"]+)"', nav.group(1)):
        page = client.get(publisher.base_url + href)
        assert page.status_code == 200 and "<footer" in page.text
    assert client.get(f"{publisher.base_url}/static/site.css").status_code == 200


def test_a_corpus_the_site_cannot_serve_fails_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = load_corpus()
    atom_source = next(s.slug for s in load_sources() if any(f.format == "atom" for f in s.feeds))
    first = next(i for i, a in enumerate(corpus) if a.source == atom_source)
    broken = (*corpus[:first], replace(corpus[first], published=None), *corpus[first + 1 :])
    monkeypatch.setattr(site, "load_corpus", lambda: broken)
    pub = DemoPublisher()
    with pytest.raises(ConfigError, match="Atom"):
        pub.start()
    with pytest.raises(GazetteError, match="not running"):
        _ = pub.base_url


def test_a_taken_port_fails_clearly_or_falls_back(publisher: DemoPublisher) -> None:
    taken = int(urlsplit(publisher.base_url).port or 0)
    with pytest.raises(GazetteError, match=f"127.0.0.1:{taken}"):
        DemoPublisher(port=taken).start()
    with DemoPublisher(port=taken, fallback=True) as other:
        assert other.base_url != publisher.base_url
        assert httpx.get(f"{other.base_url}/robots.txt").status_code == 200
