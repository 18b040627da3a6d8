"""extract_article on the fixture pages listed in cases.json; each case states what must and must not appear."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazette import models
from gazette.errors import ExtractionRejected
from gazette.extract.article import clean_line, content_hash, extract_article
from tests.extract.safety import executable_constructs

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
CASES: list[dict[str, Any]] = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))
BAD_CHARS = "\x00\ufffe\uffff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _document(case: dict[str, Any]) -> models.FetchedDocument:
    headers = case.get("headers", {"content-type": "text/html"})
    charset = None
    for param in headers.get("content-type", "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip()
    return models.FetchedDocument(
        url=case["url"],
        final_url=case["url"],
        status=200,
        content=(FIXTURES / case["file"]).read_bytes(),
        headers=headers,
        charset=charset,
    )


def _entry(case: dict[str, Any]) -> models.FeedEntry | None:
    data = case.get("entry")
    if data is None:
        return None
    published = data.get("published_at")
    return models.FeedEntry(
        url=case["url"],
        title=data.get("title"),
        summary=data.get("summary"),
        author=data.get("author"),
        published_at=datetime.fromisoformat(published) if published else None,
    )


def test_every_fixture_is_used() -> None:
    used = {case["file"] for case in CASES}
    assert used == {p.name for p in FIXTURES.iterdir()}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    expect = case["expect"]
    doc = _document(case)
    if "rejected" in expect:
        with pytest.raises(ExtractionRejected) as info:
            extract_article(doc, _entry(case))
        assert expect["rejected"] in info.value.reason
        assert info.value.url == case["url"]
        return

    article = extract_article(doc, _entry(case))

    for key in ("title", "author", "site", "language", "canonical_url"):
        if key in expect:
            assert getattr(article, key) == expect[key], key
    if "date" in expect:
        want = expect["date"]
        assert (article.published_at.isoformat() if article.published_at else None) == want
    if "updated" in expect:
        assert (article.updated_at.isoformat() if article.updated_at else None) == expect["updated"]
    if article.updated_at is not None:
        assert article.published_at is not None and article.updated_at > article.published_at
    if article.published_at is not None:
        assert article.published_at.utcoffset() is not None  # aware, in the page's own offset
    for needle in expect.get("text_contains", []):
        assert needle in article.text, needle
    for needle in expect.get("text_not_contains", []):
        assert needle not in article.text, needle
    for needle in expect.get("html_contains", []):
        assert needle in article.html, needle
    for needle in expect.get("html_not_contains", []):
        assert needle not in article.html, needle
    if "title_startswith" in expect:
        assert article.title.startswith(expect["title_startswith"])
    if "title_max_len" in expect:
        assert len(article.title) <= expect["title_max_len"]
    if "text_startswith" in expect:
        assert article.text.startswith(expect["text_startswith"])
    if "paragraphs_at_least" in expect:
        assert len(article.text.split("\n\n")) >= expect["paragraphs_at_least"]

    # Invariants of every extracted article.
    assert executable_constructs(article.html) == []
    assert article.url == case["url"]
    assert article.canonical_url.startswith(("http://", "https://"))
    assert "#" not in article.canonical_url and "utm_" not in article.canonical_url
    assert article.content_hash == content_hash(article.text)
    assert len(article.content_hash) == 64
    for field in (article.title, article.text, article.author or "", article.site or ""):
        assert not any(c in field for c in BAD_CHARS)
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in field)
        assert unicodedata.is_normalized("NFC", field)
    assert "\n" not in article.title and article.title == article.title.strip()
    assert "\n\n\n" not in article.text


def test_content_hash_ignores_whitespace_and_case() -> None:
    assert content_hash("Hello  World\n\nAgain") == content_hash("hello world again")
    assert content_hash("Hello world") != content_hash("Hello world!")


def test_same_story_twice_has_one_hash() -> None:
    case = next(c for c in CASES if c["id"] == "news_chrome")
    first = extract_article(_document(case), None)
    moved = dict(case, url="https://news.example.com/other/path?fbclid=1")
    second = extract_article(_document(moved), None)
    assert first.content_hash == second.content_hash
    assert first.canonical_url == second.canonical_url  # rel=canonical decides


def test_clean_line() -> None:
    assert clean_line("  Bol\u00c3\u00advar \n\t wins\u202e ", 100) == "Bolívar wins"
    assert clean_line("", 10) is None
    assert clean_line("\x00\u202e", 10) is None
    capped = clean_line("word " * 1000, 500)
    assert capped is not None and len(capped) <= 500 and capped.endswith("word…")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   \n",
        b"\x00" * 5000,
        b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40,
        b"<html><body></body></html>",
        b"<" * 200_000,
        b"<title" * 40_000,
        b"<html><body>" + b"<div>" * 10_000 + b"deep" + b"</div>" * 10_000 + b"</body></html>",
        "<p>\udcff</p>".encode("utf-8", "surrogatepass"),
        b"<?xml version='1.0' encoding='bogus-charset'?><p>x</p>",
        b"<meta charset='utf-16'><p>" + "Bolívar ".encode("latin-1") * 50 + b"</p>",
    ],
    ids=[
        "empty",
        "blank",
        "nul",
        "binary",
        "no-text",
        "angles",
        "redos-title",
        "deep",
        "surrogate",
        "bogus-charset",
        "meta-utf16",
    ],
)
def test_junk_is_rejected_or_clean(content: bytes) -> None:
    doc = models.FetchedDocument(
        url="https://x.example/a", final_url="https://x.example/a", status=200, content=content
    )
    try:
        article = extract_article(doc, None)
    except ExtractionRejected as exc:
        assert exc.reason
        return
    assert executable_constructs(article.html) == []
    assert "\x00" not in article.text


_pieces = st.sampled_from(
    [
        "<html>",
        "<head>",
        "<title>",
        "</title>",
        "<meta charset='utf-8'>",
        "<meta charset=zlib>",
        "<link rel=canonical href='javascript:x'>",
        "<link rel=canonical href='//other.example/a'>",
        "<base href='http://evil.example/'>",
        "<article>",
        "<p>",
        "</p>",
        "<script>alert(1)</script>",
        "<svg onload=alert(1)>",
        "<a href='java&#x09;script:x'>",
        "</a>",
        "<time datetime='9999-99-99'>",
        "<meta property='article:published_time' content='2026-13-45T99:99:99Z'>",
        "\x00",
        "\u202e",
        "\ud800",
        "Bol\u00c3\u00advar ",
        "word " * 40,
        "<h1>",
        "</h1>",
        "<!--",
        "-->",
        "<![CDATA[",
        "&#0;",
        "&#xD800;",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=400),
        st.lists(st.one_of(_pieces, st.text(max_size=15)), max_size=25).map(
            lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
        ),
    ),
    st.sampled_from([None, "utf-8", "latin-1", "zlib", "utf-16"]),
    st.booleans(),
)
def test_only_gazette_errors_leave_extract(content: bytes, charset: str | None, with_entry: bool) -> None:
    doc = models.FetchedDocument(
        url="https://x.example/a",
        final_url="https://x.example/a",
        status=200,
        content=content,
        charset=charset,
    )
    entry = (
        models.FeedEntry(url=doc.url, title="<b>T</b>", summary="<p>sum</p>", author="\u202eA")
        if with_entry
        else None
    )
    try:
        article = extract_article(doc, entry)
    except ExtractionRejected as exc:
        assert exc.reason
        return
    assert executable_constructs(article.html) == []
    assert not any(c in article.title + article.text for c in BAD_CHARS)


def test_hostile_element_count_is_refused() -> None:
    content = b"<html><body>" + b"<i>x</i>" * 120_000 + b"</body></html>"
    doc = models.FetchedDocument(
        url="https://x.example/a", final_url="https://x.example/a", status=200, content=content
    )
    with pytest.raises(ExtractionRejected, match="too complex"):
        extract_article(doc, None)


def test_text_without_spaces_is_counted_by_characters() -> None:
    body = "".join(
        f"<p>{s}</p>"
        for s in [
            "東京都の人口は増え続けている。",
            "政府は火曜日に新しい計画を発表した。",
            "専門家は慎重な見方を示している。",
            "市民の間では賛否が分かれており、議論は今後も続きそうだと報じられている。",
        ]
    )
    content = f"<html><head><title>人口</title></head><body><article>{body}</article></body></html>".encode()
    doc = models.FetchedDocument(
        url="https://x.example/jp", final_url="https://x.example/jp", status=200, content=content
    )
    article = extract_article(doc, None)
    assert "政府は火曜日に新しい計画を発表した。" in article.text
    assert article.language == "ja"


def _cleaned_pages() -> list[str]:
    """Every HTML fixture of tests/extract and tests/hostile, decoded and cleaned as ``_extract`` does."""
    from gazette.extract.article import _XML_INVALID
    from gazette.extract.text import decode_html

    files = sorted(FIXTURES.glob("*.html")) + sorted((HERE.parent / "hostile" / "fixtures").glob("*.html"))
    return [_XML_INVALID.sub("", decode_html(path.read_bytes())[0]) for path in files]


# What load_html's other steps act on: a doctype with a slash, a self-closing <html/>, a fragment, not HTML.
_ODD_PAGES = [
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/TR/xhtml1/DTD/x.dtd">\n'
    "<html><body><p>Text.</p></body></html>",
    '<?xml version="1.0" encoding="utf-8"?>\n<html><body><p>Declared.</p></body></html>',
    '<html xmlns="http://www.w3.org/1999/xhtml"/>\n<head><title>T</title></head><body><p>x</p></body>',
    "<p>One block alone.</p>",
    "<div><p>One</p></div><div><p>Two</p></div>",
    "plain words, no markup at all",
    "",
    "<html><body><FORM action=/s><Label>Q <INPUT name=q></Label><select><option>a</select><textarea>t</textarea>"
    "</FORM><!-- gone --><?pi gone?><p>&amp; &nbsp;</p></body></html>",
]


@pytest.mark.parametrize("html", [*_cleaned_pages(), *_ODD_PAGES])
def test_parse_gives_trafilaturas_tree(html: str) -> None:
    from lxml import etree
    from trafilatura.utils import load_html

    from gazette.extract.article import _load_html

    ours, theirs = _load_html(html), load_html(html)
    assert (ours is None) == (theirs is None)
    if ours is not None:
        assert etree.tostring(ours.getroottree()) == etree.tostring(theirs.getroottree())
        # the same element classes, node by node (FormElement, InputElement … HtmlElement)
        assert [type(n) for n in ours.getroottree().iter()] == [type(n) for n in theirs.getroottree().iter()]


def test_parser_has_lxml_html_element_classes() -> None:
    import lxml.html

    from gazette.extract.article import _HTML_CLASSES

    assert _HTML_CLASSES == lxml.html.HtmlElementClassLookup._default_element_classes


def test_page_loses_every_character_trafilatura_removes() -> None:
    # _load_html skips load_html's removal of these: _extract has removed them already.
    from trafilatura.utils import INVALID_XML_CHARS

    from gazette.extract.article import _XML_INVALID_CHARS

    removed = {chr(c) for c in range(0x110000) if INVALID_XML_CHARS.match(chr(c))}
    assert removed <= set(_XML_INVALID_CHARS)
