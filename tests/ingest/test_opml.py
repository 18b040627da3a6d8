"""OPML import and export: nested folders, categories, junk and hostile XML, and round trips."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from gazette.errors import FeedError
from gazette.ingest.opml import OpmlFeed, read_opml, write_opml
from tests.ingest.conftest import FIXTURES


def test_read_nested_outlines() -> None:
    feeds = read_opml((FIXTURES / "subscriptions.opml").read_bytes())
    assert feeds == [
        OpmlFeed("https://wire.example/world.xml", "World Wire", "World", None),
        OpmlFeed("https://ciencia.example/rss", "Ciencia Hoy", "Science and Technology", None),
        OpmlFeed("https://sports.example/feed", "Sports Daily", "Sports", None),
        OpmlFeed("http://lone.example/atom.xml", "Lone Feed", None, "Lone Press"),
        OpmlFeed("https://upper.example/rss", "Upper", None, None),
    ]


def test_write_then_read_round_trip() -> None:
    feeds = [
        OpmlFeed("https://a.example/rss", "A & B <news>", "Politics and Government", "A Source"),
        OpmlFeed("https://b.example/feed.json", None, None, None),
        OpmlFeed("https://c.example/atom", "C", "Politics and Government", None),
        OpmlFeed("https://d.example/rss", "Día", "Sports", 'Diario "Uno"'),
    ]
    text = write_opml(feeds, title="Mine")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "<title>Mine</title>" in text
    back = read_opml(text.encode("utf-8"))
    by_url = {f.url: f for f in back}
    assert set(by_url) == {f.url for f in feeds}
    for feed in feeds:
        got = by_url[feed.url]
        assert (got.section, got.source) == (feed.section, feed.source)
        assert got.title == (feed.title or feed.url)


def test_written_opml_puts_feeds_in_section_folders() -> None:
    text = write_opml(
        [OpmlFeed("https://a.example/rss", "A", "World", None), OpmlFeed("https://b.example/rss", "B")]
    )
    root = ElementTree.fromstring(text)
    assert root.tag == "opml" and root.get("version") == "2.0"
    folder, top = root.find("body")  # type: ignore[misc]
    assert folder.get("text") == "World" and folder.get("xmlUrl") is None
    (inner,) = list(folder)
    assert inner.get("xmlUrl") == "https://a.example/rss" and inner.get("type") == "rss"
    assert top.get("xmlUrl") == "https://b.example/rss"


def test_empty_list_writes_a_valid_document() -> None:
    assert read_opml(write_opml([]).encode()) == []


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"not xml at all", "malformed"),
        (b"<rss version='2.0'><channel/></rss>", "root element"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (b"<opml><body><outline xmlUrl='https://x.example/'>", "malformed"),
    ],
)
def test_junk_is_a_feed_error(data: bytes, words: str) -> None:
    with pytest.raises(FeedError) as info:
        read_opml(data)
    assert words in info.value.message


def test_entities_are_refused() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<opml version='2.0'><body><outline text='&xxe;' xmlUrl='https://x.example/'/></body></opml>"
    )
    with pytest.raises(FeedError) as info:
        read_opml(data)
    assert "refused" in info.value.message


def test_billion_laughs_is_refused() -> None:
    data = (FIXTURES / "billion_laughs.xml").read_bytes().replace(b"<rss", b"<opml", 1)
    with pytest.raises(FeedError):
        read_opml(data)


def test_deep_nesting_does_not_recurse() -> None:
    depth = 50_000
    data = (
        b"<opml version='2.0'><body>"
        + b"<outline text='f'>" * depth
        + b"<outline xmlUrl='https://deep.example/rss' text='Deep'/>"
        + b"</outline>" * depth
        + b"</body></opml>"
    )
    try:
        feeds = read_opml(data)
    except FeedError:
        return  # refusing is fine too; crashing is not
    assert [f.url for f in feeds] == ["https://deep.example/rss"]
