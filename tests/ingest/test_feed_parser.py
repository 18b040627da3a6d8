"""Feed parsing on the fixtures in ``fixtures/`` (each states its expectation in a header comment)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazette.errors import FeedError, GazetteError
from gazette.ingest.feed_parser import one_line_text, parse_feed
from gazette.models import FetchedDocument, ParsedFeed
from tests.ingest.conftest import FIXTURES, FetcherFactory, FixtureHTTPServer
from tests.workcount import count_calls


def doc_for(
    content: bytes, url: str = "https://feeds.example/feed", content_type: str = ""
) -> FetchedDocument:
    headers = {"content-type": content_type} if content_type else {}
    return FetchedDocument(url=url, final_url=url, status=200, content=content, headers=headers)


def fixture(name: str, url: str = "https://feeds.example/feed", content_type: str = "") -> FetchedDocument:
    return doc_for((FIXTURES / name).read_bytes(), url, content_type)


def test_rss091_with_netscape_doctype() -> None:
    feed = parse_feed(fixture("rss091.xml"))
    assert feed.title == "Old Wire" and feed.language == "en-us"
    assert [e.url for e in feed.entries] == [
        "http://oldwire.example/news/harbour",
        "http://oldwire.example/news/cafe",
    ]
    assert feed.entries[0].title == "Harbour reopens"
    assert feed.entries[1].title == "Café owners meet; café prices"


def test_rss10_rdf() -> None:
    feed = parse_feed(fixture("rss10.rdf"))
    assert feed.title == "Science Desk" and len(feed.entries) == 2
    comet = feed.entries[0]
    assert comet.url == "https://science.example/comet" and comet.author == "A. Astronomer"
    assert comet.published_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert feed.entries[1].published_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_rss20_links_text_and_dates() -> None:
    feed = parse_feed(
        fixture("rss20.xml", url="https://planet.example/feed.xml", content_type="application/rss+xml")
    )
    assert feed.title == "Daily Planet" and feed.link == "https://planet.example/"
    urls = [e.url for e in feed.entries]
    assert urls == [
        "https://planet.example/2026/04/mayor.html",
        "https://planet.example/2026/04/bold.html",
        "https://planet.example/2026/04/third.html",
        "https://planet.example/2026/04/guid-only.html",
    ]
    mayor, bold, third, _ = feed.entries
    assert mayor.published_at == datetime(2026, 4, 2, 13, 0, tzinfo=UTC)
    assert mayor.author == "Lois Lane"
    assert mayor.guid == "planet-1"
    assert mayor.summary is not None and "<b>won</b>" in mayor.summary
    assert "script" not in mayor.summary and "onerror" not in mayor.summary
    assert bold.title == "Bold & brave"
    assert third.guid == "tag:planet.example,2026:3"
    assert feed.warning is None


def test_atom() -> None:
    feed = parse_feed(fixture("atom.xml", url="https://atom.example/feed.atom"))
    assert feed.title == "Atom Times" and feed.link == "https://atom.example/"
    bridge, second = feed.entries
    assert bridge.url == "https://atom.example/bridge"
    assert bridge.title == "Bridge opens" and bridge.author == "Ana Ruiz"
    assert bridge.published_at == datetime(2026, 5, 5, 8, 0, tzinfo=UTC)
    assert bridge.summary == "<p>The bridge opened.</p>"
    assert second.url == "https://atom.example/articles/two"
    assert second.published_at == datetime(2026, 5, 4, 13, 0, tzinfo=UTC)


def test_json_feed_11() -> None:
    feed = parse_feed(
        fixture("jsonfeed11.json", url="https://json.example/feed.json", content_type="application/feed+json")
    )
    assert feed.title == "JSON Journal" and feed.language == "en"
    assert [e.url for e in feed.entries] == [
        "https://json.example/a/1",
        "https://json.example/a/2",
        "https://json.example/a/4",
    ]
    first = feed.entries[0]
    assert first.author == "Kim Lee, Sam Roe"
    assert first.published_at == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert first.summary is not None and "<p>Hello</p>" in first.summary
    assert "script" not in first.summary and "javascript" not in first.summary
    assert feed.entries[2].summary == "1 &lt; 2 &amp; &lt;b&gt;not bold&lt;/b&gt;"


def test_json_feed_10() -> None:
    feed = parse_feed(fixture("jsonfeed10.json"))
    (entry,) = feed.entries
    assert entry.url == "https://old-json.example/post" and entry.author == "Pat Doe"
    assert entry.published_at is None


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("xxe_file.xml", "refused"),
        ("billion_laughs.xml", "refused"),
        ("remote_dtd.xml", "external DTD"),
        ("html_page.html", "not a feed: got an HTML page"),
        ("malformed.xml", "not a feed"),
    ],
)
def test_hostile_and_broken_documents(name: str, words: str) -> None:
    error, calls = count_calls(lambda: parse_feed(fixture(name)))
    assert isinstance(error, FeedError), error
    assert words in error.message
    assert calls < 20_000  # refused up front: 56 to 2,956 function calls measured (a whole parse: 300,000+)
    with pytest.raises(FeedError) as info:
        parse_feed(fixture(name))
    if name == "xxe_file.xml":
        assert "root:" not in str(info.value)


def test_billion_laughs_in_utf16_is_refused_too() -> None:
    text = (FIXTURES / "billion_laughs.xml").read_text(encoding="utf-8")
    with pytest.raises(FeedError) as info:
        parse_feed(doc_for(text.encode("utf-16")))
    assert "refused" in info.value.message


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty body"),
        (b"   \n", "empty body"),
        (b"just some text", "neither XML nor JSON"),
        (b"<html><body>hi</body></html>", "HTML page"),
        (b'{"hello": "world"}', "JSON Feed version"),
        (b"[1, 2]", "not an object"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": 5}', "items list"),
        (b"{not json", "malformed JSON"),
        (b"<opml version='2.0'><body/></opml>", "not a feed"),
    ],
)
def test_not_feeds(content: bytes, words: str) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(doc_for(content))
    assert words in info.value.message


def _big_feed(items: int) -> bytes:
    head = b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Huge</title>\n'
    body = b"".join(
        b"<item><title>Item %d</title><link>https://huge.example/%d</link></item>\n" % (i, i)
        for i in range(items)
    )
    return head + body + b"</channel></rss>\n"


def test_hundred_thousand_items_are_capped_before_parsing() -> None:
    content = _big_feed(100_000)
    feed, calls = count_calls(lambda: parse_feed(doc_for(content), max_items=500))
    assert isinstance(feed, ParsedFeed), feed
    _, calls_for_500 = count_calls(lambda: parse_feed(doc_for(_big_feed(500)), max_items=500))
    assert len(feed.entries) == 500
    assert (
        feed.entries[0].url == "https://huge.example/0" and feed.entries[-1].url == "https://huge.example/499"
    )
    assert feed.warning is not None and "500" in feed.warning
    # The cut happens before feedparser: about the work of a 500-item feed (measured 1.25 times it), where
    # parsing all 100,000 items costs 200 times as much.
    assert calls < 2 * calls_for_500, (calls, calls_for_500)


def test_atom_entries_are_capped() -> None:
    entries = "".join(
        f"<entry><title>E{i}</title><link href='https://a.example/{i}'/><id>{i}</id></entry>"
        for i in range(50)
    )
    content = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>{entries}</feed>'.encode()
    feed = parse_feed(doc_for(content), max_items=10)
    assert [e.url for e in feed.entries] == [f"https://a.example/{i}" for i in range(10)]


def test_titles_are_plain_capped_and_clean() -> None:
    long_title = "A" * 100_000
    content = (
        '<rss version="2.0"><channel><title>T</title>'
        f"<item><title>{long_title}</title><link>https://t.example/1</link></item>"
        "<item><title>Nul\x01 and \u202eevil\u202c bidi</title><link>https://t.example/2</link></item>"
        "<item><title>&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;</title>"
        "<link>https://t.example/3</link></item>"
        "</channel></rss>"
    ).encode()
    feed = parse_feed(doc_for(content))
    first, second, third = feed.entries
    assert first.title is not None and len(first.title) <= 1000
    assert second.title == "Nul and evil bidi"
    # Double-encoded markup is text the publisher meant to show: it stays text (templates escape it).
    assert third.title == "<script>alert(1)</script>"


def test_plain_text_helper() -> None:
    assert one_line_text("  Tom &amp; Jerry  ") == "Tom & Jerry"
    assert one_line_text("<script>alert(1)</script>Hello") == "Hello"
    assert one_line_text("AT&T <3 you") == "AT&T <3 you"
    assert one_line_text("bad\x00\ud800text") == "badtext"
    assert one_line_text(None) is None and one_line_text("   ") is None


def test_json_feed_with_lone_surrogates_and_html_title() -> None:
    content = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
        b'{"id": "1", "url": "https://j.example/1", "title": "<img src=x onerror=alert(1)>Hi \\ud800there",'
        b' "content_html": "<svg onload=alert(1)><p>ok</p></svg><iframe src=\\"x\\"></iframe>"}]}'
    )
    (entry,) = parse_feed(doc_for(content)).entries
    assert entry.title == "Hi there"
    assert entry.summary is not None
    assert "onload" not in entry.summary and "iframe" not in entry.summary and "svg" not in entry.summary


def test_recoverable_problems_become_a_warning() -> None:
    content = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Ok</title>'
        b"<item><title>One &amp; only</title><link>https://w.example/1</link></item>"
        b"<item><title>Broken &nbsp; entity</title><link>https://w.example/2</link></item>"
        b"</channel></rss>"
    )
    feed = parse_feed(doc_for(content, content_type="application/rss+xml"))
    assert [e.url for e in feed.entries] == ["https://w.example/1", "https://w.example/2"]
    assert feed.warning is not None and "recovered" in feed.warning


@pytest.mark.parametrize(
    ("content", "refused"),
    [
        (b"<rss" * 50_000, "not well-formed"),
        (b"<" + b"a>" * 10_000, "no element found"),
        (b"<rss version='2.0'>" + b"<x>" * 10_000, "no element found"),
        (b"\xff\xfe<\x00r\x00", "unclosed token"),
        (b"<!DOCTYPE rss SYSTEM>", "references an external DTD"),
        (b"<!ELEMENT x ANY><rss/>", "unexpected markup declaration"),
    ],
)
def test_garbage_is_refused_with_a_feed_error(content: bytes, refused: str) -> None:
    with pytest.raises(FeedError, match=refused):
        parse_feed(doc_for(content))


def test_an_unknown_encoding_name_is_read_anyway() -> None:
    doc = b'<?xml version="1.0" encoding="bogus-enc"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    feed = parse_feed(doc_for(doc))
    assert feed.title == "x" and feed.entries == []


def test_json_feed_items_that_are_not_objects_or_lack_a_url_are_skipped() -> None:
    doc = b'{"version": "https://jsonfeed.org/version/1", "items": [1, null, {"url": 5}, {"url": "https://ok.example/"}]}'
    assert [e.url for e in parse_feed(doc_for(doc)).entries] == ["https://ok.example/"]


def test_feed_fetched_and_parsed_over_http(server: FixtureHTTPServer, make_fetcher: FetcherFactory) -> None:
    server.static("/feed.xml", (FIXTURES / "rss20.xml").read_bytes(), "application/rss+xml; charset=utf-8")
    doc = make_fetcher().fetch(server.url("/feed.xml"))
    feed = parse_feed(doc)
    assert feed.entries[0].url == server.url("/2026/04/mayor.html")


@pytest.mark.parametrize(
    ("name", "content_type", "words"),
    [
        ("html_page.html", "text/html; charset=utf-8", "HTML page"),
        ("malformed.xml", "application/rss+xml", "not a feed"),
        ("xxe_file.xml", "application/xml", "refused"),
        ("billion_laughs.xml", "application/rss+xml", "refused"),
    ],
)
def test_bad_feeds_over_http_give_a_clear_feed_error(
    server: FixtureHTTPServer, make_fetcher: FetcherFactory, name: str, content_type: str, words: str
) -> None:
    server.static("/feed", (FIXTURES / name).read_bytes(), content_type)
    doc = make_fetcher().fetch(server.url("/feed"))
    with pytest.raises(FeedError) as info:
        parse_feed(doc)
    assert words in info.value.message and info.value.url == server.url("/feed")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.builds(
            lambda a, b: (a + "<rss version='2.0'><channel><item><title>" + b + "</title>").encode(
                "utf-8", "surrogatepass"
            ),
            st.sampled_from(["", "<?xml version='1.0'?>", "<!DOCTYPE rss>", "\ufeff"]),
            st.text(max_size=200),
        ),
        st.builds(
            lambda v, items: json.dumps({"version": v, "items": items}).encode(),
            st.sampled_from(["https://jsonfeed.org/version/1.1", "x"]),
            st.lists(
                st.dictionaries(
                    st.sampled_from(["url", "id", "title", "content_html", "date_published", "authors"]),
                    st.one_of(st.text(max_size=50), st.integers(), st.none(), st.lists(st.integers())),
                ),
                max_size=5,
            ),
        ),
    )
)
def test_parse_feed_raises_only_gazette_errors(content: bytes) -> None:
    try:
        feed = parse_feed(doc_for(content))
    except GazetteError:
        return
    for entry in feed.entries:
        assert entry.url.startswith(("http://", "https://"))
        assert entry.published_at is None or entry.published_at.tzinfo is not None


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_feeds_are_read_and_capped(encoding: str) -> None:
    text = (
        _big_feed(2_000)
        .decode()
        .replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>')
    )
    content = text.encode(encoding)
    if encoding == "utf-16-be":
        content = b"\xfe\xff" + content
    feed = parse_feed(doc_for(content), max_items=50)
    assert len(feed.entries) == 50 and feed.entries[0].title == "Item 0"
    assert feed.warning is not None and "50" in feed.warning


def _one_item(title: bytes, decl: bytes = b'<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        decl + b'<rss version="2.0"><channel><title>C</title><item><title>' + title + b"</title>"
        b"<link>https://enc.example/1</link></item></channel></rss>"
    )


def test_forbidden_character_references_are_dropped_not_fatal() -> None:
    content = _one_item(b"Bad &#xD800; &#55296; &#0; &#x110000; good &#233; &#x1F600;")
    (entry,) = parse_feed(doc_for(content)).entries
    assert entry.title == "Bad good é \U0001f600"


@pytest.mark.parametrize("decl", [b'<?xml version="1.0" encoding="utf-8"?>', b'<?xml version="1.0"?>', b""])
def test_one_invalid_utf8_sequence_spoils_only_itself(decl: bytes) -> None:
    content = _one_item(b"Bol\xc3\xadvar \xed\xa0\x80 and Jos\xc3\xa9", decl)
    (entry,) = parse_feed(doc_for(content)).entries
    assert entry.title is not None and "Bolívar" in entry.title and "José" in entry.title


def test_undeclared_windows_1252_is_not_mistaken_for_broken_utf8() -> None:
    content = _one_item(b"Caf\xe9 cr\xe8me \x93quoted\x94", b"")
    (entry,) = parse_feed(doc_for(content)).entries
    assert entry.title == "Café crème \u201cquoted\u201d"
