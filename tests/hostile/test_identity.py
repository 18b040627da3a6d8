"""Hostile identity: shared, flipped, rewritten and churning GUIDs, tracking parameters, and NUL/control
characters — no article is stored twice, none is lost, and PostgreSQL accepts what SQLite accepts.
These run on SQLite and on PostgreSQL (``desk_any``)."""

from __future__ import annotations

import re
import uuid

import pytest

from gazette.urls import canonicalize_url
from tests.hostile.cases import case
from tests.hostile.conftest import Desk
from tests.hostile.server import HostileHandler

BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _keys(desk: Desk) -> set[str]:
    return set(desk.snapshot())


@case("guid_dupes")
def test_items_sharing_one_guid_are_three_articles_stable_on_refetch(desk_any: Desk) -> None:
    desk = desk_any
    desk.seed()
    for name in ("one", "two", "three"):
        desk.page(f"/dupes/{name}.html", title=f"Story {name}")
    url = desk.serve("/dupes.xml", "guid_dupes.xml")
    first = desk.ingest(url)
    assert first.new == 3, first
    keys = _keys(desk)
    second = desk.ingest(url)
    assert second.new == 0 and second.feeds_ok == 1
    assert _keys(desk) == keys and len(keys) == 4
    desk.assert_clean()


@case("guid_scheme_flip")
def test_guids_flipping_to_https_make_no_new_articles(desk_any: Desk) -> None:
    desk = desk_any
    desk.seed()
    desk.page("/flip/one.html", title="Flip one")
    desk.page("/flip/two.html", title="Flip two")
    url = desk.serve("/flip.xml", "guid_flip_a.xml")
    assert desk.ingest(url).new == 2
    keys = _keys(desk)
    desk.serve("/flip.xml", "guid_flip_b.xml")
    again = desk.ingest(url)
    assert again.new == 0 and again.feeds_ok == 1, again
    assert _keys(desk) == keys
    desk.assert_clean()


@case("guid_rewrite")
def test_rewritten_guids_and_links_are_matched_not_duplicated(desk_any: Desk) -> None:
    desk = desk_any
    desk.seed()
    canonical = desk.server.url("/story/rewrite-one")
    page_one = (
        desk.fixture("plain_article.html").replace(b"{title}", b"Rewrite one").replace(b"{author}", b"Staff")
    )
    page_one = page_one.replace(b"<head>", f'<head><link rel="canonical" href="{canonical}">'.encode())
    page_two = (
        desk.fixture("plain_article.html").replace(b"{title}", b"Rewrite two").replace(b"{author}", b"Staff")
    )
    page_two = page_two.replace(
        b"</article>", b"<p>A second story with its own closing paragraph.</p></article>"
    )

    def story(h: HostileHandler) -> None:
        body = page_one if h.path.endswith("=123") else page_two
        h.send_bytes(200, body, "text/html; charset=utf-8")

    desk.server.add("/story", story)
    desk.server.static("/story/rewrite-one", page_one)
    desk.server.static("/story/rewrite-two", page_two)
    url = desk.serve("/rewrite.xml", "guid_rewrite_a.xml")
    assert desk.ingest(url).new == 2
    keys = _keys(desk)
    assert canonical in keys  # page one is stored under its declared canonical URL
    desk.serve("/rewrite.xml", "guid_rewrite_b.xml")
    again = desk.ingest(url)
    assert again.new == 0 and again.feeds_ok == 1, again
    assert _keys(desk) == keys
    desk.assert_clean()


@case("guid_churn")
def test_guids_changing_on_every_fetch_make_no_duplicates(desk: Desk) -> None:
    desk.seed()
    for i in range(3):
        desk.page(f"/churn/{i}.html", title=f"Churn story {i}")

    def feed(h: HostileHandler) -> None:
        buster = uuid.uuid4().hex  # a cache-buster that is not a known tracking parameter
        items = "".join(
            f"<item><title>Churn story {i}</title><link>{desk.base}/churn/{i}.html?v={buster}</link>"
            f"<guid isPermaLink='false'>{uuid.uuid4()}</guid></item>"
            for i in range(3)
        )
        body = f'<rss version="2.0"><channel><title>Churn</title><link>{desk.base}/</link>{items}</channel></rss>'
        h.send_bytes(200, body.encode(), "application/rss+xml")

    url = desk.server.add("/churn.xml", feed)
    assert desk.ingest(url).new == 3
    keys = _keys(desk)
    for _ in range(2):
        again = desk.ingest(url)
        assert again.new == 0 and again.feeds_ok == 1, again
    assert _keys(desk) == keys  # matched on content hash though every URL and GUID was new
    desk.assert_clean()


@case("tracking_params")
def test_one_article_under_five_tracking_urls(desk_any: Desk) -> None:
    desk = desk_any
    desk.seed()
    desk.page("/tracked/story.html", title="Tracked story")
    url = desk.serve("/tracking.xml", "tracking_params.xml")
    report = desk.ingest(url)
    assert report.new == 1, report
    new = _keys(desk) - set(desk.baseline)
    assert new == {desk.server.url("/tracked/story.html")}
    assert len(desk.server.hits_for("/tracked/")) == 1  # the five URLs were one fetch
    for variant in (
        "/tracked/story.html?utm_source=a&fbclid=b#x",
        "/tracked/story.html?gclid=1&utm_term=2",
        "/tracked/story.html#frag",
    ):
        assert canonicalize_url(desk.server.url(variant)) == desk.server.url("/tracked/story.html")
    assert desk.ingest(url).new == 0
    desk.assert_clean()


SURROGATE_REFS = (b" &#xD800;", b" &#xFFFF;")
RAW_SURROGATES = (b" \xed\xa0\x80", b" \xed\xb0\x80")


def _without(body: bytes, parts: tuple[bytes, ...]) -> bytes:
    for part in parts:
        body = body.replace(part, b"")
    return body


def _check_clean_article(desk: Desk) -> dict[str, str]:
    stored = [a for a in desk.articles() if "timetable changes" in " ".join(a["title"].split())]
    assert stored
    article = stored[0]
    for key in ("title", "text", "html", "author", "guid"):
        value = article[key] or ""
        assert not BAD_CHARS.search(value), (key, value[:200])
        assert "\ufffd" not in value and "\u00ed" not in value, (key, value[:300])  # stripped, not mojibake
    assert " ".join(article["title"].split()) == "Night ferry timetable changes"
    assert "stranded on the mainland" in article["text"]
    return article


@case("nul_ctrl")
def test_nul_controls_and_nonchars_are_stripped_and_stored(desk_any: Desk) -> None:
    desk = desk_any
    desk.seed()
    page = _without(desk.fixture("nul_ctrl.html"), SURROGATE_REFS + RAW_SURROGATES)
    desk.server.static("/nul/article.html", page)
    url = desk.server.static(
        "/nul.xml",
        _without(desk.fixture("nul_ctrl.xml"), SURROGATE_REFS + RAW_SURROGATES),
        "application/rss+xml",
    )
    report = desk.ingest(url)
    assert report.new == 1, report
    assert desk.feed(url).last_error is None
    _check_clean_article(desk)
    desk.assert_clean()


@case("nul_ctrl")
def test_surrogate_character_references_in_a_feed_are_stripped(desk_any: Desk) -> None:
    desk = desk_any
    desk.server.static("/nul/article.html", _without(desk.fixture("nul_ctrl.html"), RAW_SURROGATES))
    url = desk.server.static(
        "/nul.xml", _without(desk.fixture("nul_ctrl.xml"), RAW_SURROGATES), "application/rss+xml"
    )
    report = desk.ingest(url)
    assert desk.feed(url).last_error is None, report
    assert report.new == 1


@case("nul_ctrl")
def test_invalid_utf8_in_a_feed_spoils_only_itself(desk: Desk) -> None:
    from gazette import models
    from gazette.ingest.feed_parser import parse_feed

    body = _without(desk.fixture("nul_ctrl.xml"), SURROGATE_REFS).replace(b"Night", b"Bol\xc3\xadvar night")
    parsed = parse_feed(
        models.FetchedDocument(
            url="http://feeds.test/n.xml", final_url="http://feeds.test/n.xml", status=200, content=body
        )
    )
    title = parsed.entries[0].title or ""
    assert "Bolívar" in title and "\u00ed\u00a0" not in title, title


@case("nul_ctrl")
def test_raw_surrogate_bytes_in_a_page_are_stripped(desk: Desk) -> None:
    desk.server.static("/nul/article.html", desk.fixture("nul_ctrl.html"))
    url = desk.server.static(
        "/nul.xml",
        _without(desk.fixture("nul_ctrl.xml"), SURROGATE_REFS + RAW_SURROGATES),
        "application/rss+xml",
    )
    report = desk.ingest(url)
    assert report.new == 1, report
    _check_clean_article(desk)


@case("long_fields")
def test_a_three_kilobyte_article_url_never_aborts_the_run(
    desk_any: Desk, request: pytest.FixtureRequest
) -> None:
    desk = desk_any
    desk.seed()
    long_path = "/long/" + "a" * 3000 + ".html"
    desk.page(long_path, title="A story with a very long address")
    desk.page("/long/ok.html", title="An ordinary story next door")
    items = (
        f"<item><title>Long</title><link>{desk.server.url(long_path)}</link><guid>{'g' * 3000}</guid></item>"
    )
    body = f'<rss version="2.0"><channel><title>Long</title><link>{desk.base}/</link>{items}</channel></rss>'
    long_feed = desk.server.static("/long.xml", body.encode(), "application/rss+xml")
    ok = f'<rss version="2.0"><channel><title>OK</title><item><title>OK</title><link>{desk.server.url("/long/ok.html")}</link></item></channel></rss>'
    ok_feed = desk.server.static("/long-ok.xml", ok.encode(), "application/rss+xml")
    report = desk.ingest(long_feed, ok_feed)  # must not raise, on SQLite or PostgreSQL
    assert any("ordinary story" in a["title"] for a in desk.articles()), report
    row = desk.feed(long_feed)
    assert row.last_error is None or "internal error" not in row.last_error
    desk.assert_clean()


@case("long_fields")
def test_oversized_validators_are_dropped_not_stored(desk_any: Desk) -> None:
    desk = desk_any
    desk.seed()
    url = desk.serve(
        "/long-etag.xml",
        "rss_basic.xml",
        headers={
            "ETag": '"' + "e" * 3000 + '"',
            "Last-Modified": "Fri, 20 Nov 2026 09:00:00 GMT" + " x" * 300,
        },
    )
    desk.ingest(url)
    row = desk.feed(url)
    assert len(row.etag or "") <= 1024 and len(row.last_modified or "") <= 200
    desk.assert_clean()
