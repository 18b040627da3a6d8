"""Hostile content: scripts, handlers, javascript: and data: URLs, iframes, CSS, meta refresh, <base>, objects,
SVG, bidi overrides and HTML in JSON Feed — in bodies, summaries, titles, authors and links. After ingest
the stored HTML is inert and every page, feed and API answer over it is inert too."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree as ET

from gazette import models
from gazette.ingest.feed_parser import parse_feed
from tests.hostile.cases import case
from tests.hostile.conftest import Desk
from tests.hostile.safety import active_content, assert_inert

TEASER = b"<html><head><title>Teaser</title></head><body><p>Short teaser.</p></body></html>"


def _one_item_feed(desk: Desk, page_url: str, title: str = "Item") -> str:
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>One</title><link>{desk.base}/</link>'
        f"<description>x</description><item><title>{title}</title><link>{page_url}</link></item></channel></rss>"
    )
    path = "/feeds/" + hashlib.sha1(page_url.encode()).hexdigest()[:12] + ".xml"
    return desk.server.static(path, body.encode(), "application/rss+xml")


def ingest_page(desk: Desk, fixture: str, path: str) -> dict[str, Any]:
    """Serve a page fixture behind a one-item feed, ingest it, and return the stored article."""
    desk.server.static(path, desk.fixture(fixture))
    before = set(desk.snapshot())
    feed = _one_item_feed(desk, desk.server.url(path))
    report = desk.ingest(feed)
    assert report.new == 1, report
    new = [v for k, v in desk.snapshot().items() if k not in before]
    assert len(new) == 1
    return new[0]


def _markers(value: str) -> list[str]:
    return re.findall(r"xss-[a-z0-9-]+", value)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


@case("xss_content")
def test_scripts_handlers_and_script_urls_in_a_body_are_neutralized(desk: Desk) -> None:
    desk.seed()
    stored = ingest_page(desk, "xss_content.html", "/xss/article.html")
    assert_inert(stored["html"], "stored html")
    assert "Members will vote again in March" in stored["text"]
    assert _markers(stored["html"]) == [] and "xss-script" not in stored["text"]
    desk.assert_clean()


@case("xss_content")
def test_payloads_in_feed_summaries_are_neutralized(desk: Desk) -> None:
    desk.seed()
    desk.server.static("/xss/teaser.html", TEASER)
    url = desk.serve("/xss-feed.xml", "xss_feed.xml")
    parsed = parse_feed(
        models.FetchedDocument(url=url, final_url=url, status=200, content=desk.fixture("xss_feed.xml"))
    )
    assert parsed.entries and active_content(parsed.entries[0].summary or "") == []
    report = desk.ingest(url)
    assert report.new == 1, report
    stored = [a for a in desk.articles() if "nine in the evening" in a["text"]]
    assert stored and "nine in the evening" in stored[0]["text"]
    assert_inert(stored[0]["html"])
    desk.assert_clean()


@case("iframe_js")
def test_iframe_with_javascript_source_and_its_children_are_dropped(desk: Desk) -> None:
    desk.seed()
    stored = ingest_page(desk, "iframe_js.html", "/iframe/article.html")
    assert "iframe" not in stored["html"].lower() and "frame" not in stored["html"].lower()
    assert "CHILD-MARKER" not in stored["html"] and "CHILD-MARKER" not in stored["text"]
    assert _markers(stored["html"]) == []
    desk.assert_clean()


@case("xss_title")
def test_script_in_title_and_author_is_shown_as_text_everywhere(desk_any: Desk) -> None:
    desk = desk_any
    desk.seed()
    desk.server.static("/xss-title/article.html", desk.fixture("xss_title.html"))
    url = desk.serve("/xss-title.xml", "xss_title.xml")
    report = desk.ingest(url)
    assert report.new == 1, report
    stored = [a for a in desk.articles() if "Budget passes" in a["title"]][0]
    title = stored["title"]
    assert title.startswith("<script>alert('xss-title')</script> Budget passes"), title
    assert "<img" not in (stored["author"] or "") or "onerror" in (
        stored["author"] or ""
    )  # text, kept or cut
    rendered = desk.assert_clean()
    page = next(
        body.decode() for path, body in rendered.items() if path.startswith("/content/") and b"Budget" in body
    )
    assert "<script>alert('xss-title')</script>" in visible_text(page)  # readable as text …
    assert "<script>alert('xss-title')" not in page  # … because it is escaped in the markup
    assert "<b>bold" not in page
    rss = ET.fromstring(rendered["/feed.rss"])
    assert title in [el.text for el in rss.iter("title")]
    titles = [i["title"] for i in json.loads(rendered["/feed.json"])["items"]]
    assert title in titles
    api_titles = [i["title"] for i in json.loads(rendered["/api/articles"])["items"]]
    assert title in api_titles
    # The author is plain text too: kept as characters (or dropped), never an element in any page.
    assert "<img" not in "".join(
        b.decode() for p, b in rendered.items() if not p.startswith("/api/") and not p.endswith(".json")
    ).replace("&lt;img", "")


@case("xss_link")
def test_script_and_data_links_in_feeds_are_dropped(desk: Desk) -> None:
    desk.seed()
    body = desk.fixture("xss_link.xml")
    parsed = parse_feed(
        models.FetchedDocument(
            url="http://feeds.test/l.xml", final_url="http://feeds.test/l.xml", status=200, content=body
        )
    )
    assert [e.url for e in parsed.entries] == [f"{desk.base}/links/good.html"]
    assert parsed.link is None or parsed.link.startswith(("http://", "https://"))
    desk.page("/links/good.html", title="Good link")
    url = desk.server.static("/links.xml", body, "application/rss+xml")
    report = desk.ingest(url)
    assert report.new == 1 and report.feeds_ok == 1, report
    rendered = desk.assert_clean()
    assert not any(b"xss-enclosure" in b for b in rendered.values())


@case("svg_script")
def test_svg_with_script_is_never_served_from_our_origin(desk: Desk) -> None:
    desk.seed()
    svg = desk.fixture("svg_script.svg")
    desk.server.static("/img/evil.svg", svg, "image/svg+xml")
    stored = ingest_page(desk, "svg_page.html", "/svg/article.html")
    assert "<svg" not in stored["html"].lower() and _markers(stored["html"]) == []
    for src in re.findall(r'src="([^"]*)"', stored["html"]):
        assert src.startswith(desk.base), src  # the publisher's copy, absolute; never a path on our site
    # A feed item pointing straight at the SVG is not an article.
    feed = _one_item_feed(desk, desk.server.url("/img/evil.svg"))
    report = desk.ingest(feed)
    assert report.new == 0 and any("not an HTML page" in f.reason for f in report.failures), report
    rendered = desk.assert_clean()
    client = desk.client()
    for path in rendered:
        answer = client.get(path)
        assert "svg" not in answer.headers.get("content-type", "")
        assert answer.headers.get("x-content-type-options") == "nosniff"
    assert client.get("/img/evil.svg").status_code == 404
    assert client.get("/assets/evil.svg").status_code == 404


@case("css_expression")
def test_css_expression_and_url_javascript_are_removed(desk: Desk) -> None:
    desk.seed()
    stored = ingest_page(desk, "css_expression.html", "/css/article.html")
    html = stored["html"].lower()
    assert "style" not in html and "expression" not in html and "javascript" not in html
    assert "moz-binding" not in html and "behavior" not in html
    assert "less power" in stored["text"]
    desk.assert_clean()


@case("meta_refresh_base")
def test_meta_refresh_and_base_href_do_not_survive(desk: Desk) -> None:
    desk.seed()
    stored = ingest_page(desk, "meta_refresh_base.html", "/bridge/article.html")
    html = stored["html"].lower()
    assert "<meta" not in html and "<base" not in html and "evil.test" not in html
    links = re.findall(r'href="([^"]*)"', stored["html"])
    assert f"{desk.base}/bridge/photos.html" in links
    assert all(link.startswith(desk.base) for link in links)
    rendered = desk.assert_clean()
    assert not any(b"evil.test" in body for body in rendered.values())


@case("meta_refresh_base")
def test_relative_links_resolve_against_the_page_not_the_site_root(desk: Desk) -> None:
    stored = ingest_page(desk, "meta_refresh_base.html", "/bridge/article.html")
    links = re.findall(r'href="([^"]*)"', stored["html"])
    assert f"{desk.base}/bridge/timeline.html" in links, links


@case("object_embed")
def test_object_embed_applet_form_are_dropped(desk: Desk) -> None:
    desk.seed()
    stored = ingest_page(desk, "object_embed.html", "/museum/article.html")
    html = stored["html"].lower()
    for tag in ("<object", "<embed", "<applet", "<form", "<input", "<button", "<template", "<param"):
        assert tag not in html, tag
    assert _markers(stored["html"]) == [] and "xss-template" not in stored["text"]
    assert "four percent" in stored["text"]
    desk.assert_clean()


@case("rtl_override")
def test_bidi_overrides_are_removed_from_titles(desk: Desk) -> None:
    desk.seed()
    body = desk.fixture("rtl_override.xml")
    parsed = parse_feed(
        models.FetchedDocument(
            url="http://feeds.test/r.xml", final_url="http://feeds.test/r.xml", status=200, content=body
        )
    )
    bidi = re.compile("[\u202a-\u202e\u2066-\u2069]")
    for entry in parsed.entries:
        assert not bidi.search(entry.title or "") and not bidi.search(entry.author or "")
    assert parsed.entries[1].title == "مرحبا بالعالم שלום"
    desk.page("/rtl/article.html", title="Invoice\u202efdp.exe approved")
    desk.page("/rtl/arabic.html", title="مرحبا بالعالم שלום")
    url = desk.server.static("/rtl.xml", body, "application/rss+xml")
    report = desk.ingest(url)
    assert report.new == 2, report
    for article in desk.articles():
        assert not bidi.search(article["title"]) and not bidi.search(article["author"] or "")
    assert any(a["title"] == "مرحبا بالعالم שלום" for a in desk.articles())
    desk.assert_clean()


@case("json_feed_html")
def test_html_in_a_json_feed_is_inert(desk: Desk) -> None:
    desk.seed()
    desk.server.static("/json/teaser.html", TEASER)
    body = desk.fixture("json_feed_html.json")
    parsed = parse_feed(
        models.FetchedDocument(
            url="http://feeds.test/f.json",
            final_url="http://feeds.test/f.json",
            status=200,
            content=body,
            headers={"content-type": "application/feed+json"},
        )
    )
    assert [e.url for e in parsed.entries] == [
        f"{desk.base}/json/teaser.html",
        f"{desk.base}/json/second.html",
    ]
    for entry in parsed.entries:
        assert active_content(entry.summary or "") == []
    desk.page("/json/second.html", title="Second")
    url = desk.server.static("/f.json", body, "application/feed+json")
    report = desk.ingest(url)
    assert report.new == 2, report
    stored = [a for a in desk.articles() if "fuel costs" in a["text"]]
    assert stored and _markers(stored[0]["html"]) == []
    desk.assert_clean()


@case("entity_variants")
def test_entity_encoded_and_mixed_case_variants_are_inert(desk: Desk) -> None:
    desk.seed()
    desk.server.static("/variants/teaser.html", TEASER)
    body = desk.fixture("entity_variants.xml")
    parsed = parse_feed(
        models.FetchedDocument(
            url="http://feeds.test/v.xml", final_url="http://feeds.test/v.xml", status=200, content=body
        )
    )
    for entry in parsed.entries:
        assert active_content(entry.summary or "") == []
    desk.page("/variants/second.html", title="Second variant")
    url = desk.server.static("/v.xml", body, "application/rss+xml")
    report = desk.ingest(url)
    assert report.new == 2, report
    stored = [a for a in desk.articles() if "treatment plant" in a["text"]]
    assert stored
    assert_inert(stored[0]["html"])
    assert _markers(stored[0]["html"]) in ([], ["xss-escaped-text"])  # escaped text stays text
    assert "&lt;script&gt;alert('xss-escaped-text')" in stored[0]["html"]
    html = stored[0]["html"].lower()
    assert "pression(" not in html and "javascript" not in html and "onerror" not in html
    desk.assert_clean()
