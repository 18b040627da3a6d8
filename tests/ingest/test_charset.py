"""A feed's encoding, decided once: the order of authority, the refusals, and the undeclared guesses."""

from __future__ import annotations

import codecs

import pytest

from gazette.errors import FeedError
from gazette.ingest.charset import ascii_compatible, codec_name, decode_feed

URL = "http://feeds.test/f.xml"
FEED = '<?xml version="1.0" encoding="{enc}"?><rss version="2.0"><channel><title>Bolívar ☃</title></channel></rss>'


@pytest.mark.parametrize(
    "label", ["utf-7", "UTF7", "hz", "hz-gb-2312", "iso-2022-jp", "iso2022_jp_2", "iso-2022-kr", "cp037",
              "ebcdic-cp-us", "cp500", "cp1140", "cp273", "unicode_escape", "raw_unicode_escape"],
)  # fmt: skip
def test_encodings_where_ascii_bytes_lie_are_not_ascii_compatible(label: str) -> None:
    codec = codec_name(label)
    assert codec is not None and not ascii_compatible(codec)


@pytest.mark.parametrize(
    "label", ["utf-8", "latin-1", "windows-1252", "iso-8859-2", "koi8-r", "euc-jp", "shift_jis", "gb18030",
              "big5", "euc-kr", "windows-1251", "mac-roman"],
)  # fmt: skip
def test_ordinary_encodings_are_ascii_compatible(label: str) -> None:
    codec = codec_name(label)
    assert codec is not None and ascii_compatible(codec)


def test_non_text_codecs_are_not_charsets() -> None:
    assert codec_name("zlib") is None and codec_name("base64") is None and codec_name("nonsense-9") is None


def test_bom_outranks_header_and_prolog() -> None:
    body = codecs.BOM_UTF16_LE + FEED.format(enc="utf-7").encode("utf-16-le")
    decoded = decode_feed(URL, body, "utf-7")
    assert decoded.encoding == "utf_16_le" and decoded.source == "bom" and "Bolívar ☃" in decoded.text


def test_utf16_and_utf32_shape_without_a_bom() -> None:
    for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        decoded = decode_feed(URL, FEED.format(enc="utf-8").encode(codec), None)
        assert decoded.source == "shape" and decoded.encoding == codec.replace("-", "_")
        assert "Bolívar ☃" in decoded.text


def test_header_outranks_prolog() -> None:
    body = FEED.format(enc="utf-8").encode("iso-8859-2", "replace")
    decoded = decode_feed(URL, body, "iso-8859-2")
    assert decoded.source == "header" and decoded.encoding == "iso8859_2"
    with pytest.raises(FeedError, match="Content-Type"):
        decode_feed(URL, FEED.format(enc="utf-8").encode("ascii", "replace"), "utf-7")


def test_prolog_is_read_when_the_header_says_nothing_usable() -> None:
    body = FEED.format(enc="windows-1251").encode("cp1251", "replace")
    for header in (None, "x-unknown-charset", "utf-16"):  # absent, unknown, or a 16-bit label on 8-bit bytes
        decoded = decode_feed(URL, body, header)
        assert decoded.source == "prolog" and decoded.encoding == "cp1251"
    with pytest.raises(FeedError, match="XML declaration"):
        decode_feed(URL, FEED.format(enc="hz").encode("ascii", "replace"), None)


def test_western_label_on_utf8_is_read_as_utf8() -> None:
    body = FEED.format(enc="iso-8859-1").encode("utf-8")
    assert "Bolívar ☃" in decode_feed(URL, body, None).text
    assert "Bolívar ☃" in decode_feed(URL, body, "windows-1252").text


def test_undeclared_bytes_read_by_the_best_candidate() -> None:
    plain = '<?xml version="1.0"?><rss version="2.0"><channel><title>{t}</title></channel></rss>'
    utf8 = decode_feed(URL, plain.format(t="Bolívar").encode(), None)
    assert utf8.encoding == "utf_8" and "Bolívar" in utf8.text
    cp1252 = decode_feed(URL, plain.format(t="Bolívar “quoted”").encode("cp1252"), None)
    assert cp1252.encoding == "cp1252" and "Bolívar “quoted”" in cp1252.text
    japanese = plain.format(t="東京都で新しい図書館が開館しました。市民の皆さんに本を読む楽しさを伝えたい")
    euc = decode_feed(URL, japanese.encode("euc-jp"), None)
    assert euc.source == "detected" and "東京都で新しい図書館" in euc.text
    # windows-1252's unassigned bytes come back as the C1 controls the web maps them to, never U+FFFD.
    odd = decode_feed(URL, plain.format(t="x").encode().replace(b"x", b"\x81\x8d caf\xe9"), None)
    assert "\ufffd" not in odd.text and "café" in odd.text


def test_latin1_label_reads_as_windows_1252() -> None:
    body = FEED.format(enc="iso-8859-1").replace("Bolívar ☃", "\u201cBolívar\u201d").encode("cp1252")
    decoded = decode_feed(URL, body, None)
    assert decoded.encoding == "cp1252" and "\u201cBolívar\u201d" in decoded.text
    assert "\u201cBolívar\u201d" in decode_feed(URL, body, "us-ascii").text
