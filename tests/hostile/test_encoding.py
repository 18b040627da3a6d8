"""Hostile encodings: charsets that lie or come late, no charset at all, double-encoded text, BOMs and
ISO-8859-2 — the stored text reads as the writer meant it."""

from __future__ import annotations

from typing import Any

import pytest

from gazette import models
from gazette.ingest.feed_parser import parse_feed
from tests.hostile.cases import case
from tests.hostile.conftest import Desk

TITLE = "La estatua de Simón Bolívar vuelve a la plaza"


def _bolivar(meta: str = "", pad: str = "") -> str:
    from tests.hostile.conftest import fixture_bytes

    return fixture_bytes("charset_bolivar.html").decode("utf-8").replace("{meta}", meta).replace("{pad}", pad)


def _ingest_page(desk: Desk, path: str, body: bytes, content_type: str) -> dict[str, Any]:
    desk.server.static(path, body, content_type)
    feed = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Enc</title><link>{desk.base}/</link>'
        f"<item><title>Page</title><link>{desk.server.url(path)}</link></item></channel></rss>"
    )
    url = desk.server.static(path + ".xml", feed.encode(), "application/rss+xml")
    before = set(desk.snapshot())
    report = desk.ingest(url)
    assert report.new == 1, report
    (new,) = [v for k, v in desk.snapshot().items() if k not in before]
    return new


@case("charset_lies")
@pytest.mark.parametrize(
    ("variant", "content_type", "encoding", "meta", "pad"),
    [
        ("utf8-labelled-latin1", "text/html; charset=ISO-8859-1", "utf-8", "", ""),
        ("late-meta", "text/html", "utf-8", '<meta charset="utf-8">', "<!-- " + "padding " * 200 + "-->"),
        ("cp1252-no-charset", "text/html", "cp1252", "", ""),
        ("cp1252-labelled-utf8", "text/html; charset=utf-8", "cp1252", "", ""),
    ],
)
def test_charset_lies_are_seen_through(
    desk: Desk, variant: str, content_type: str, encoding: str, meta: str, pad: str
) -> None:
    desk.seed()
    body = _bolivar(meta, pad).encode(encoding)
    if variant == "late-meta":
        assert body.find(b'<meta charset="utf-8">') > 1024
    stored = _ingest_page(desk, f"/charset/{variant}.html", body, content_type)
    assert stored["title"] == TITLE
    assert "Simón Bolívar volvió el martes" in stored["text"]
    assert "Ã" not in stored["text"] and "\ufffd" not in stored["text"]
    desk.assert_clean()


@case("charset_lies")
def test_feed_in_utf8_declared_latin1_reads_bolivar(desk: Desk) -> None:
    body = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Bolívar</title>'
        f"<link>{desk.base}/</link><item><title>{TITLE}</title><link>{desk.base}/x.html</link></item></channel></rss>"
    ).encode()
    parsed = parse_feed(
        models.FetchedDocument(
            url="http://feeds.test/f", final_url="http://feeds.test/f", status=200, content=body
        )
    )
    # The XML declaration lies; either reading is defensible for the parser, but the title must not be
    # double-encoded garbage once repaired: "Bolívar" or the raw mojibake repaired downstream.
    title = parsed.entries[0].title or ""
    assert title == TITLE or title.replace("Ã³", "ó").replace("Ã\xad", "í") == TITLE


@case("mojibake")
def test_double_encoded_text_is_repaired(desk: Desk) -> None:
    desk.seed()
    stored = _ingest_page(
        desk, "/mojibake/article.html", desk.fixture("mojibake.html"), "text/html; charset=utf-8"
    )
    assert stored["title"] == "Homenaje a Bolívar en la plaza"
    assert "El homenaje a Bolívar reunió" in stored["text"]
    assert "recordó que Bolívar pasó" in stored["text"]  # the cp1250 variant ftfy alone leaves
    assert "Ã" not in stored["text"] and "Ă" not in stored["text"]
    desk.assert_clean()


@case("utf8_bom")
def test_utf8_bom_feed_and_page(desk: Desk) -> None:
    desk.seed()
    page = b"\xef\xbb\xbf" + _bolivar().encode("utf-8")
    desk.server.static("/bom/article.html", page, "text/html")
    url = desk.serve("/bom.xml", "utf8_bom.xml")
    parsed = parse_feed(
        models.FetchedDocument(url=url, final_url=url, status=200, content=desk.fixture("utf8_bom.xml"))
    )
    assert parsed.title == "Noticias de Bolívar" and parsed.entries[0].title == TITLE
    report = desk.ingest(url)
    assert report.new == 1, report
    assert any(a["title"] == TITLE and "\ufeff" not in a["text"] for a in desk.articles())
    desk.assert_clean()


@case("iso_8859_2")
def test_iso_8859_2_page_without_charset(desk: Desk) -> None:
    desk.seed()
    stored = _ingest_page(desk, "/pl/article.html", desk.fixture("iso_8859_2.html"), "text/html")
    assert stored["title"] == "Łódź otwiera nową linię tramwajową"
    assert "zażółć gęślą jaźń" in stored["text"]
    desk.assert_clean()


CJK_CHANNEL = "東京ニュース"
CJK_TITLE = "東京都で新しい図書館が開館しました"


@case("legacy_cjk")
@pytest.mark.parametrize("codec", ["euc-jp", "shift_jis", "gb18030", "utf-32-be"])
def test_cjk_feed_without_a_declared_encoding_keeps_its_titles(desk: Desk, codec: str) -> None:
    """No charset in the header, none in the XML declaration, no byte-order mark: the legacy multi-byte
    encoding is recognised before any repair (never U+FFFD runs or mojibake), and BOM-less UTF-32BE is read
    as feedparser reads it."""
    desk.seed()
    body = desk.fixture("euc_jp_feed.xml").decode("utf-8").encode(codec)
    assert b"encoding=" not in body.replace(b"\x00", b"")[:200]
    url = desk.server.static(f"/cjk/{codec}.xml", body, "application/rss+xml")
    with desk.fetcher() as fetcher:
        doc = fetcher.fetch(url)
    assert doc.charset is None
    parsed = parse_feed(doc)
    assert parsed.title == CJK_CHANNEL
    assert [e.title for e in parsed.entries] == [CJK_TITLE]
    assert "\ufffd" not in (parsed.entries[0].summary or "")
    assert "図書館には約十万冊" in (parsed.entries[0].summary or "")
    desk.untitled_page("/cjk/library.html")
    report = desk.ingest(url)
    assert desk.feed(url).last_error is None
    assert report.new == 1, report
    assert CJK_TITLE in [a["title"] for a in desk.articles()]
    desk.assert_clean()


@case("legacy_cjk")
def test_bytes_a_legacy_encoding_can_read_are_never_replaced(desk: Desk) -> None:
    """A declared UTF-8 feed that is really windows-1252 (no UTF-8 shape at all) is read as windows-1252,
    and a UTF-8 feed with one broken sequence keeps every other character: replacement only where no
    encoding could have read the bytes."""
    text = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bolívar</title>'
        f"<link>{desk.base}/</link><item><title>{TITLE}</title><link>{desk.base}/x.html</link></item>"
        "</channel></rss>"
    )
    cp1252 = text.encode("cp1252")
    broken = text.encode("utf-8").replace(b"plaza", b"plaza \xff")
    for body, title in ((cp1252, TITLE), (broken, TITLE + " \ufffd")):
        url = desk.server.static("/latin.xml", body, "application/rss+xml; charset=utf-8")
        with desk.fetcher() as fetcher:
            parsed = parse_feed(fetcher.fetch(url))
        assert parsed.title == "Bolívar"
        assert parsed.entries[0].title == title
