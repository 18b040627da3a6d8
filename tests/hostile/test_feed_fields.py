"""Feed fields read as the feed meant them (issue 9, items 11 and 13): a text title with angle brackets
keeps its words, and relative links resolve against the response's Content-Location."""

from __future__ import annotations

from gazette.ingest.feed_parser import parse_feed
from tests.hostile.cases import case
from tests.hostile.conftest import Desk

TEXT_TITLES = ["History of the <blink> tag", "Using Vec<T> in Rust", "<script> is text here"]


@case("plain_text_titles")
def test_text_titles_keep_their_angle_brackets(desk: Desk) -> None:
    desk.seed()
    url = desk.serve("/titles.xml", "plain_titles.xml", "application/atom+xml")
    with desk.fetcher() as fetcher:
        parsed = parse_feed(fetcher.fetch(url))
    assert parsed.title == "Tags <in> titles"
    assert [e.title for e in parsed.entries] == [*TEXT_TITLES, "Bold move"]
    for name in ("blink", "vec", "script", "bold"):
        desk.untitled_page(f"/titles/{name}.html")
    report = desk.ingest(url)
    assert report.new == 4, report
    stored = {a["title"] for a in desk.articles()}
    assert set(TEXT_TITLES) | {"Bold move"} <= stored
    rendered = desk.assert_clean()  # "<script> is text here" is shown as characters, never an element
    front = rendered["/"].decode()
    assert "History of the &lt;blink&gt; tag" in front and "<blink>" not in front


@case("plain_text_titles")
def test_rss_titles_with_escaped_brackets_keep_their_words(desk: Desk) -> None:
    items = [
        ("Using Vec&lt;T&gt; in Rust", "Using Vec<T> in Rust"),
        ("if a &lt; b &amp;&amp; c &gt; d", "if a < b && c > d"),
        ("Option&lt;Box&lt;dyn Error&gt;&gt; explained", "Option<Box<dyn Error>> explained"),
        (
            "Tom &amp;amp; Jerry",
            "Tom & Jerry",
        ),  # double-escaped: feedparser calls it HTML, so it is unescaped
        ("&lt;b&gt;Bold&lt;/b&gt; claim", "Bold claim"),  # escaped HTML in RSS: markup, dropped
    ]
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Rust weekly</title>'
        f"<link>{desk.base}/</link>"
        + "".join(
            f"<item><title>{raw}</title><link>{desk.base}/rss-titles/{i}.html</link></item>"
            for i, (raw, _) in enumerate(items)
        )
        + "</channel></rss>"
    )
    url = desk.server.static("/rss-titles.xml", body.encode(), "application/rss+xml")
    with desk.fetcher() as fetcher:
        parsed = parse_feed(fetcher.fetch(url))
    assert [e.title for e in parsed.entries] == [want for _, want in items]


@case("content_location")
def test_relative_links_resolve_against_content_location(desk: Desk) -> None:
    desk.seed()
    url = desk.serve(
        "/cl/feed.xml",
        "content_location.xml",
        headers={"Content-Location": "/cl/v2/feeds/main.xml"},
    )
    with desk.fetcher() as fetcher:
        doc = fetcher.fetch(url)
    assert doc.headers.get("content-location") == "/cl/v2/feeds/main.xml"
    parsed = parse_feed(doc)
    assert [e.url for e in parsed.entries] == [
        desk.server.url("/cl/v2/feeds/story.html"),
        desk.server.url("/cl/v2/story2.html"),
    ]
    assert f'href="{desk.server.url("/cl/v2/feeds/more.html")}"' in (parsed.entries[0].summary or "")
    desk.untitled_page("/cl/v2/feeds/story.html")
    desk.untitled_page("/cl/v2/story2.html")
    report = desk.ingest(url)
    assert report.new == 2, report
    assert desk.server.hits_for("/cl/story.html") == [] and desk.server.hits_for("/story2.html") == []
    desk.assert_clean()


@case("content_location")
def test_unusable_content_location_falls_back_to_the_fetched_url(desk: Desk) -> None:
    """A Content-Location that is not an http(s) URL once resolved (javascript:, data:) is ignored."""
    for bad in ("javascript:alert(1)", "data:text/html,x", "ftp://feeds.test/x/"):
        url = desk.serve("/cl/feed.xml", "content_location.xml", headers={"Content-Location": bad})
        with desk.fetcher() as fetcher:
            parsed = parse_feed(fetcher.fetch(url))
        assert [e.url for e in parsed.entries] == [
            desk.server.url("/cl/story.html"),
            desk.server.url("/story2.html"),
        ], bad
