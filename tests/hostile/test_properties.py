"""Property and fuzz tests (hypothesis): URL canonicalization, slugs, the sanitizer, and the parse boundary."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gazette import models
from gazette.demo.corpus import load_corpus
from gazette.errors import ExtractionRejected, FeedError
from gazette.extract.article import extract_article
from gazette.extract.sanitize import sanitize_html
from gazette.ingest.feed_parser import one_line_text, parse_feed, sanitize_summary
from gazette.store import articles as article_store
from gazette.store.db import Database
from gazette.urls import TRACKING_PARAMS, canonicalize_url
from tests.hostile.safety import active_content
from tests.shared import DATASETS  # noqa: E402

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- URL canonicalization --------------------------------------------------------------------------------

_label = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=12
).filter(lambda s: not s.startswith("-") and not s.endswith("-"))
_host = st.one_of(
    st.lists(_label, min_size=1, max_size=4).map(".".join).map(lambda h: h + ".example"),
    st.sampled_from(
        [
            "Example.COM",
            "example.com.",
            "bücher.example",
            "xn--bcher-kva.example",
            "[2001:db8::1]",
            "93.184.216.34",
        ]
    ),
)
_piece = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=10)
_segment = st.one_of(_piece, st.sampled_from([".", "..", "%2e", "%2F", "%41", "%zz", "a b", "~x", "%7e"]))
_path = st.lists(_segment, max_size=5).map(lambda parts: "/" + "/".join(parts))
_param_name = st.one_of(
    st.sampled_from(sorted(TRACKING_PARAMS) + ["utm_source", "utm_x", "id", "page", "q", "Id"]), _piece
)
_query = st.lists(st.tuples(_param_name, _piece), max_size=5).map(
    lambda ps: "&".join(f"{k}={v}" for k, v in ps)
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HtTpS"]))
    host = draw(_host)
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    query = draw(_query)
    frag = draw(st.one_of(st.just(""), _piece.map(lambda f: "#" + f)))
    userinfo = draw(st.sampled_from(["", "user:pw@"]))
    return f"{scheme}://{userinfo}{host}{port}{draw(_path)}{'?' + query if query else ''}{frag}"


@FUZZ
@given(urls())
@example("http://Example.com:80/a/./b/../c?utm_source=x&b=2&a=1#frag")
@example("https://example.com/%7Efoo/%41?fbclid=1")
def test_canonicalize_is_idempotent_on_urls(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    assert "#" not in once
    if "?" in once:
        names = [p.split("=", 1)[0].lower() for p in once.split("?", 1)[1].split("&")]
        assert not [n for n in names if n.startswith("utm_") or n in TRACKING_PARAMS]


@FUZZ
@given(st.text(max_size=200))
def test_canonicalize_never_raises_and_is_idempotent_on_any_text(text: str) -> None:
    once = canonicalize_url(text)
    assert canonicalize_url(once) == once


def _corpus_urls() -> list[str]:
    found = [f"https://{a.source}.example/{a.section}/{a.slug}.html" for a in load_corpus()]
    truth = DATASETS / "article-extraction-benchmark" / "ground-truth.json"
    if truth.exists():
        data = json.loads(truth.read_text())
        values = data.values() if isinstance(data, dict) else data
        found += [v["url"] for v in values if isinstance(v, dict) and isinstance(v.get("url"), str)]
    return sorted(set(found))


CORPUS_URLS = _corpus_urls()


def test_corpus_urls_keep_distinct_keys() -> None:
    """No two distinct articles of the test corpus share a key, and tracking variants of one share it."""
    assert len(CORPUS_URLS) >= 25
    keys = {canonicalize_url(u): u for u in CORPUS_URLS}
    assert len(keys) == len(CORPUS_URLS)


@FUZZ
@given(
    st.sampled_from(CORPUS_URLS),
    st.lists(
        st.sampled_from(["utm_source=rss", "utm_medium=x", "fbclid=Iw1", "gclid=9", "mc_eid=3"]), max_size=3
    ),
    st.sampled_from(["", "#top", "#"]),
)
def test_tracking_variants_of_a_corpus_url_share_its_key(url: str, extra: list[str], frag: str) -> None:
    sep = "&" if "?" in url else "?"
    variant = url + (sep + "&".join(extra) if extra else "") + frag
    assert canonicalize_url(variant) == canonicalize_url(url)


# -- slugs ------------------------------------------------------------------------------------------------

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_counter = itertools.count()


@pytest.fixture(scope="module")
def slug_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('slugs')}/slugs.db")
    db.init()
    return db


def _article(title: str, n: int) -> models.Article:
    return models.Article(
        url=f"http://slug.test/{n}",
        canonical_url=f"http://slug.test/{n}",
        title=title,
        text=f"text {n}",
        content_hash=f"hash-{n}",
        published_at=datetime(2026, 11, 20, 12, tzinfo=UTC),
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300), st.integers(min_value=2, max_value=4))
@example("../../etc/passwd", 3)
@example("<script>alert(1)</script>", 2)
@example("", 2)
@example("Ünïcödé — Bolívar ‮ 北京 😀", 2)
def test_slugs_are_safe_stable_and_unique_per_day(slug_db: Database, title: str, copies: int) -> None:
    ids = [next(_counter) for _ in range(copies)]
    with slug_db.session() as s:
        rows = [
            article_store.save_article(s, _article(title, n), source_id=None, feed_id=None)[0] for n in ids
        ]
        slugs = [r.slug for r in rows]
        days = {r.date_path for r in rows}
    assert len(days) == 1 and len(set(slugs)) == copies  # unique per day
    for slug in slugs:
        assert SLUG_RE.match(slug), slug  # safe characters only
        assert len(slug) <= article_store.SLUG_MAX + 8
    # Stable: saving the same article again (even with a new title) keeps its slug.
    with slug_db.session() as s:
        row, _ = article_store.save_article(
            s, _article(title + " (updated)", ids[0]), source_id=None, feed_id=None
        )
        assert row.slug == slugs[0]


# -- the sanitizer ----------------------------------------------------------------------------------------------

FRAGMENTS = [
    "<script>alert(1)</script>", "<script", "</script>", "<SCRIPT SRC=//evil.test/x.js>", "<img src=x onerror=alert(1)>",
    "<img src=\"x\" onerror=\"alert(1)\"", "<svg onload=alert(1)>", "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)>", "<a href=\"javascript:alert(1)\">", "<a href=\"JaVaScRiPt:alert(1)\">",
    "<a href=\"java&#x09;script:alert(1)\">", "<a href=\"&#106;avascript:alert(1)\">", "<a href=\" javascript:x\">",
    "<a href=\"jav\nascript:x\">", "<a href=\"data:text/html,<script>x</script>\">", "<a href=vbscript:x>",
    "<a href=\"http://ok.example/\">", "</a>", "<p style=\"x:expression(alert(1))\">", "<div style=\"background:url(javascript:x)\">",
    "<style>*{x:expression(alert(1))}</style>", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", "<!--", "-->", "<![CDATA[", "]]>", "<base href=http://evil.test/>",
    "<meta http-equiv=refresh content=0;url=javascript:x>", "<object data=javascript:x>", "<embed src=x>", "<form action=javascript:x>",
    "<button formaction=javascript:x>", "<input autofocus onfocus=alert(1)>", "<template><script>x</script></template>", "<p>", "</p>",
    "<b>", "&lt;script&gt;", "&amp;lt;", "\x00", "\ufeff", "\u202e", "'", '"', "`", "<", ">", "=", "/", " ", "<img srcset=\"x 1x, javascript:y 2x\">",
    "<video poster=javascript:x>", "<details open ontoggle=alert(1)>", "<a href=# onclick=alert(1)>", "<x onmouseover=alert(1)>",
    "<table background=javascript:x>", "<link rel=import href=x>", "<frameset onload=alert(1)>", "<body onload=alert(1)>",
]  # fmt: skip
html_soup = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=25).map("".join)


@FUZZ
@given(html_soup, st.sampled_from([None, "http://pub.example/a/b.html", "javascript:alert(1)"]))
def test_sanitizer_output_never_executes(html: str, base: str | None) -> None:
    out = sanitize_html(html, base)
    assert active_content(out) == [], (html, out)
    assert active_content(sanitize_html(out, base)) == []


@FUZZ
@given(html_soup)
def test_feed_summaries_and_titles_never_execute(html: str) -> None:
    assert active_content(sanitize_summary(html) or "") == []
    title = one_line_text(html) or ""
    assert not re.search("[\x00-\x08\ud800-\udfff\u202a-\u202e]", title)  # plain text, clean characters
    assert "\n" not in title


# -- the parse boundary ----------------------------------------------------------------------------------------------

FEED_PIECES = [
    b'<?xml version="1.0" encoding="utf-8"?>', b'<?xml version="1.0" encoding="utf-16"?>', b"<rss version=\"2.0\">", b"<channel>",
    b"<item>", b"</item>", b"<title>", b"</title>", b"<link>http://x.example/a</link>", b"<link>javascript:x</link>", b"<guid>",
    b"<feed xmlns=\"http://www.w3.org/2005/Atom\">", b"<entry>", b"<link href=\"http://x.example/b\"/>", b"<!DOCTYPE rss [",
    b"<!ENTITY a \"aaaa\">", b"]>", b"&a;", b"&#xD800;", b"&#0;", b"&#99999999;", b"<![CDATA[", b"]]>", b"\x00", b"\xff\xfe",
    b"\xef\xbb\xbf", b"\xed\xa0\x80", b"<pubDate>Sun, 99 Foo 99999 99:99:99 +9999</pubDate>", b"<author>a@" + b"a." * 50 + b"!</author>",
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [', b'{"url": "http://x.example/c", "title": 1}', b"]}", b"[", b"{",
    b"<html><body>", b"<description>&lt;script&gt;</description>",
]  # fmt: skip
feed_soup = st.lists(st.one_of(st.sampled_from(FEED_PIECES), st.binary(max_size=16)), max_size=30).map(
    b"".join
)


def _doc(body: bytes, ctype: str) -> models.FetchedDocument:
    return models.FetchedDocument(
        url="http://fuzz.example/x",
        final_url="http://fuzz.example/x",
        status=200,
        content=body,
        headers={"content-type": ctype},
    )


@FUZZ
@given(
    st.one_of(st.binary(max_size=400), feed_soup),
    st.sampled_from(["application/rss+xml", "application/json", "text/html", ""]),
)
def test_parse_feed_raises_only_feed_error(body: bytes, ctype: str) -> None:
    try:
        parsed = parse_feed(_doc(body, ctype), max_items=20)
    except FeedError:
        return
    for entry in parsed.entries:
        assert entry.url.startswith(("http://", "https://"))
        assert active_content(entry.summary or "") == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(st.binary(max_size=400), html_soup.map(lambda s: s.encode("utf-8", "surrogatepass")), feed_soup)
)
def test_extract_article_raises_only_extraction_rejected(body: bytes) -> None:
    try:
        article = extract_article(_doc(body, "text/html"))
    except ExtractionRejected:
        return
    assert active_content(article.html) == []
