"""Encodings the byte-level checks cannot read (issue 9, item 1): the same three attacks — entity
declarations, a regex-bomb author run, more items than the cap — written in UTF-7, HZ, ISO-2022-JP and
EBCDIC (refused as encodings), in UTF-16/UTF-32 with and without a byte-order mark (decoded, then checked),
and under an HTTP charset that contradicts the XML declaration. The non-ASCII-compatible variants are
written so that a scan reading the bytes as Latin-1 sees no DOCTYPE, no author element and no item end."""

from __future__ import annotations

import base64
import codecs

import pytest

from gazette import models
from gazette.errors import FeedError
from gazette.ingest.feed_parser import MAX_AUTHOR, parse_feed
from tests.hostile.cases import case
from tests.hostile.conftest import FETCH, Desk

MAX_ITEMS = int(FETCH["max_items"])  # type: ignore[call-overload]
RUN = "a@" + "a." * 16000 + "!"
EXPANDED = "LOLLOLLOL"


def _attacks(desk: Desk) -> dict[str, str]:
    items = "".join(
        f"<item><title>Item {i}</title><link>{desk.base}/smuggle/item{i}.html</link><guid>item-{i}</guid></item>\n"
        for i in range(MAX_ITEMS + 50)
    )
    return {
        "entities": desk.fixture("smuggle_entities.xml").decode(),
        "author": desk.fixture("smuggle_author.xml").decode().replace("{run}", RUN),
        "items": desk.fixture("smuggle_items.xml").decode().replace("{items}", items),
    }


def _with_declared(text: str, label: str) -> str:
    return text.replace('encoding="utf-8"', f'encoding="{label}"', 1)


def _utf7_block(s: str) -> bytes:
    """Every character of ``s`` inside one UTF-7 base64 block: no byte of it reads as ASCII markup."""
    return b"+" + base64.b64encode(s.encode("utf-16-be")).rstrip(b"=") + b"-"


def _split(text: str) -> tuple[str, str, str, str]:
    """(XML declaration, what comes before the root, the root's start tag, the rest)."""
    decl_end = text.index("?>") + 2
    root = text.index("<rss", decl_end)
    tag_end = text.index(">", root) + 1
    return text[:decl_end], text[decl_end:root], text[root:tag_end], text[tag_end:]


def smuggle(text: str, codec: str, declared: str | None = None) -> bytes:
    """``text`` written in ``codec`` (declared as ``declared`` in the XML declaration), hidden from a
    Latin-1 byte scan: the prolog's DOCTYPE sits inside what the scan takes for one comment, and every "<"
    after the root's start tag is split from its name by bytes the encoding swallows."""
    decl, before, tag, rest = _split(_with_declared(text, declared or codec))
    head = decl.encode("ascii")
    if codec == "utf-7":
        if before.strip():
            head += b"<!-- " + _utf7_block("-->" + before) + b" <!-- -->"
        return head + tag.encode("ascii") + _utf7_block(rest)
    swallowed = {"hz": "~\n", "iso-2022-jp": "\x1b(B"}[codec]
    if before.strip():
        # "-" + swallowed + "->" is "-->" once decoded; the scan runs on to the "-->" after the DOCTYPE.
        head += f"<!-- -{swallowed}->{before}<!-- -->".encode("ascii")
    return head + tag.encode("ascii") + rest.replace("<", "<" + swallowed).encode("ascii")


def _doc(body: bytes, ctype: str = "application/rss+xml") -> models.FetchedDocument:
    charset = None
    if "charset=" in ctype:
        charset = ctype.split("charset=", 1)[1].strip()
    return models.FetchedDocument(
        url="http://feeds.test/s.xml",
        final_url="http://feeds.test/s.xml",
        status=200,
        content=body,
        headers={"content-type": ctype},
        charset=charset,
    )


def _parse(body: bytes, ctype: str = "application/rss+xml", **kw: int) -> models.ParsedFeed | FeedError:
    try:
        return parse_feed(_doc(body, ctype), **kw)
    except FeedError as exc:
        return exc


def _ingest_refused(desk: Desk, served: dict[str, tuple[bytes, str]]) -> None:
    urls = [desk.server.static(f"/smuggle/{name}.xml", body, ctype) for name, (body, ctype) in served.items()]
    report = desk.ingest(*urls)
    assert report.new == 0, report
    for url in urls:
        assert "refused" in desk.failed(report, url), url
    assert not any(EXPANDED in (a["title"] or "") for a in desk.articles())
    desk.assert_clean()


@case("encoding_smuggling")
@pytest.mark.parametrize("codec", ["utf-7", "hz", "iso-2022-jp"])
def test_attacks_in_encodings_that_hide_markup_are_refused(desk: Desk, codec: str) -> None:
    desk.seed()
    served: dict[str, tuple[bytes, str]] = {}
    for name, text in _attacks(desk).items():
        body = smuggle(text, codec)
        # The disguise works: read as Latin-1, the bytes show no DOCTYPE, no author tag, no item end …
        latin = body.decode("latin-1")
        assert "<!DOCTYPE" not in latin.split("<!--", 1)[0] and "<author>" not in latin
        assert "</item>" not in latin
        # … while the declared encoding reads the attack back.
        assert codecs.decode(body, codec).count("</item>") == text.count("</item>")
        result = _parse(body, max_items=MAX_ITEMS)
        assert isinstance(result, FeedError) and "not ASCII-compatible" in result.reason, (name, result)
        served[name] = (body, "application/rss+xml")
    _ingest_refused(desk, served)


@case("encoding_smuggling")
def test_ebcdic_feed_is_refused(desk: Desk) -> None:
    desk.seed()
    text = _with_declared(_attacks(desk)["entities"], "cp037")
    body = text.encode("cp037")
    result = _parse(body)
    assert isinstance(result, FeedError) and "not ASCII-compatible" in result.reason
    _ingest_refused(desk, {"ebcdic": (body, "application/xml")})


@case("encoding_smuggling")
@pytest.mark.parametrize(
    ("header", "declared"),
    [("utf-7", "utf-8"), ("hz", "utf-8"), ("utf-7", "iso-8859-1"), ("csISO2022JP", "utf-8")],
)
def test_header_charset_that_contradicts_the_prolog_decides_and_is_refused(
    desk: Desk, header: str, declared: str
) -> None:
    """The HTTP charset outranks the XML declaration (feedparser's order too): a UTF-7 body declaring
    UTF-8 inside is read as UTF-7 — and refused — not scanned as UTF-8 and parsed as UTF-7."""
    desk.seed()
    codec = {"utf-7": "utf-7", "hz": "hz", "csISO2022JP": "iso-2022-jp"}[header]
    ctype = f"application/rss+xml; charset={header}"
    served = {}
    for name, text in _attacks(desk).items():
        body = smuggle(text, codec, declared=declared)
        result = _parse(body, ctype, max_items=MAX_ITEMS)
        assert isinstance(result, FeedError) and "Content-Type" in result.reason, (name, result)
        served[f"{name}-{header}"] = (body, ctype)
    _ingest_refused(desk, served)


@case("encoding_smuggling")
def test_prolog_naming_utf7_under_a_utf8_header_is_read_as_utf8(desk: Desk) -> None:
    """The other way round: the header says UTF-8, the declaration UTF-7. The bytes are read as UTF-8,
    where "+ADw-" is five ASCII characters, and feedparser is told UTF-8 too: nothing is declared, nothing
    expands, the item cap holds."""
    desk.seed()
    for name, text in _attacks(desk).items():
        body = smuggle(text, "utf-7")
        result = _parse(body, "application/rss+xml; charset=utf-8", max_items=MAX_ITEMS)
        if isinstance(result, FeedError):
            assert "refused" in result.reason or "not a feed" in result.reason, (name, result)
            continue
        assert len(result.entries) <= MAX_ITEMS
        assert all(EXPANDED not in (e.title or "") for e in result.entries)
        assert all(len(e.author or "") <= MAX_AUTHOR for e in result.entries)


@case("encoding_smuggling")
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
def test_attacks_in_utf16_and_utf32_are_checked_after_decoding(desk: Desk, codec: str, bom: bool) -> None:
    desk.seed()
    marks = {
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE,
        "utf-32-be": codecs.BOM_UTF32_BE,
    }
    attacks = _attacks(desk)

    def encode(text: str) -> bytes:
        return (marks[codec] if bom else b"") + _with_declared(text, codec[:6]).encode(codec)

    entities = _parse(encode(attacks["entities"]))
    assert isinstance(entities, FeedError) and "refused" in entities.reason
    author = _parse(encode(attacks["author"]))
    assert isinstance(author, models.ParsedFeed), author
    assert author.entries[0].title == "Long author"
    assert len(author.entries[0].author or "") <= MAX_AUTHOR
    items = _parse(encode(attacks["items"]), max_items=MAX_ITEMS)
    assert isinstance(items, models.ParsedFeed), items
    assert len(items.entries) == MAX_ITEMS and "more than" in (items.warning or "")
    # Through the pipeline, with the header naming the encoding family only.
    url = desk.server.static("/smuggle/entities16.xml", encode(attacks["entities"]), "application/rss+xml")
    many = desk.server.static("/smuggle/items16.xml", encode(attacks["items"]), "application/rss+xml")
    report = desk.ingest(url, many)
    assert "refused" in desk.failed(report, url)
    assert desk.feed(many).last_error is None
    assert not any(EXPANDED in (a["title"] or "") for a in desk.articles())
    desk.assert_clean()
