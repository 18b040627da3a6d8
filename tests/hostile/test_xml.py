"""Hostile XML and feed parsing: entity bombs, XXE, remote DTDs, deep nesting, huge feeds and titles,
regex-bomb authors and tags, and a feed that poisons the parser — each through the pipeline and the parser."""

from __future__ import annotations

import codecs
import re
import tracemalloc
from typing import Any

import pytest

from gazette import models
from gazette.errors import FeedError, GazetteError
from gazette.extract.article import extract_article
from gazette.extract.sanitize import sanitize_html
from gazette.ingest import feed_parser
from gazette.ingest.feed_parser import AUTHOR_RUN_KEEP, MAX_TITLE, parse_feed
from tests.hostile.cases import case
from tests.hostile.conftest import Desk
from tests.workcount import count_calls

# Work is counted, never timed (a shared machine): function calls as the profiler sees them, memory with
# tracemalloc, and for the regex bombs the size of what reaches the regex. The ceilings are far above what was
# measured and far below a blow-up.
REFUSED_CALLS = 20_000  # a feed refused before parsing: about 60 calls measured


def _doc(
    body: bytes, url: str = "http://feeds.test/feed.xml", ctype: str = "application/rss+xml"
) -> models.FetchedDocument:
    return models.FetchedDocument(
        url=url, final_url=url, status=200, content=body, headers={"content-type": ctype}
    )


def _parse_bounded(body: bytes, **kw: int) -> tuple[models.ParsedFeed | FeedError, int, int]:
    """The parse's result (or its FeedError), the function calls it made and its peak memory."""
    tracemalloc.start()
    try:
        result, calls = count_calls(lambda: parse_feed(_doc(body), **kw))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(result, models.ParsedFeed | FeedError), result
    return result, calls, peak


@case("billion_laughs")
def test_billion_laughs_is_refused_fast(desk: Desk) -> None:
    desk.seed()
    body = desk.fixture("billion_laughs.xml")
    result, calls, peak = _parse_bounded(body)
    assert isinstance(result, FeedError) and "refused" in result.message
    assert calls < REFUSED_CALLS and peak < 50 * 1024**2
    url = desk.server.static("/lol.xml", body, "application/rss+xml")
    report = desk.ingest(url)
    assert "refused" in desk.failed(report, url)
    assert all("lol" not in a["title"] for a in desk.articles())
    desk.assert_clean()


@case("billion_laughs_utf16")
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_billion_laughs_in_utf16_is_refused_fast(desk: Desk, codec: str) -> None:
    desk.seed()
    text = desk.fixture("billion_laughs.xml").decode().replace('encoding="utf-8"', f'encoding="{codec[:6]}"')
    bom = {
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE,
    }
    body = bom[codec] + text.encode(codec)
    result, calls, peak = _parse_bounded(body)
    assert isinstance(result, FeedError)
    assert calls < REFUSED_CALLS and peak < 50 * 1024**2
    # Without a BOM too.
    result, _, _ = _parse_bounded(text.encode(codec))
    assert isinstance(result, FeedError)
    url = desk.server.static("/lol16.xml", body, "application/rss+xml")
    report = desk.ingest(url)
    desk.failed(report, url)
    desk.assert_clean()


@case("xxe_file")
def test_external_entity_reads_nothing(desk: Desk) -> None:
    desk.seed()
    url = desk.serve("/xxe.xml", "xxe_file.xml")
    report = desk.ingest(url)
    reason = desk.failed(report, url)
    assert "root:" not in reason
    rendered = desk.assert_clean()
    assert not any(b"root:x:" in body for body in rendered.values())
    assert desk.server.hits_for("/canary") == []


@case("xxe_dtd")
def test_remote_dtd_is_never_fetched(desk: Desk) -> None:
    desk.seed()
    url = desk.serve("/dtd.xml", "xxe_dtd.xml")
    result, _, _ = _parse_bounded(desk.fixture("xxe_dtd.xml"))
    assert isinstance(result, FeedError) and "DTD" in result.message
    report = desk.ingest(url)
    assert "DTD" in desk.failed(report, url)
    assert desk.server.hits_for("/canary") == []
    desk.assert_clean()


@case("deep_nesting")
def test_ten_thousand_nested_elements(desk: Desk) -> None:
    desk.seed()
    depth = 10_000

    def deep_feed(depth: int) -> bytes:
        nested = "<x>" * depth + "deep" + "</x>" * depth
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Deep</title><link>http://feeds.test/</link>'
            f"<description>d</description><item><title>Deep item</title><link>{desk.base}/deep/article.html</link>"
            f"<description><![CDATA[{'<div>' * depth}deep{'</div>' * depth}]]></description>{nested}</item>"
            "</channel></rss>"
        ).encode()

    feed = deep_feed(depth)
    parsed, calls, _ = _parse_bounded(feed)
    assert isinstance(parsed, FeedError) or len(parsed.entries) <= 1
    _, quarter_calls, _ = _parse_bounded(deep_feed(depth // 4))
    assert calls <= 8 * quarter_calls + REFUSED_CALLS, (quarter_calls, calls)  # linear in the depth
    page = (
        "<html><body><article>"
        + "<div>" * depth
        + "deep text " * 50
        + "</div>" * depth
        + "</article></body></html>"
    ).encode()
    with pytest.raises(GazetteError):  # too deep to be an article, or no usable text; never a crash
        extract_article(_doc(page, ctype="text/html"), None)
    assert "<div>" not in sanitize_html("<div>" * depth + "x")  # nesting does not survive, nor crash
    desk.server.static("/deep/article.html", page)
    url = desk.server.static("/deep.xml", feed, "application/rss+xml")
    report = desk.ingest(url)
    assert not [f for f in report.failures if "internal error" in f.reason]
    desk.assert_clean()


@case("huge_feed")
def test_hundred_thousand_items_are_capped(desk: Desk) -> None:
    desk.seed()
    items = "".join(
        f"<item><title>Item {i}</title><link>{desk.base}/many/{i}.html</link><guid>many-{i}</guid></item>"
        for i in range(100_000)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title><link>{desk.base}/</link><description>d</description>{items}</channel></rss>'.encode()
    assert len(body) > 8 * 1024**2
    result, calls, peak = _parse_bounded(body, max_items=100)
    assert isinstance(result, models.ParsedFeed) and len(result.entries) == 100
    small = body[: body.index(b"<item>")] + items[: items.index("<item><title>Item 100<")].encode()
    _, calls_for_100, _ = _parse_bounded(small + b"</channel></rss>", max_items=100)
    assert calls < 3 * calls_for_100 + REFUSED_CALLS, (calls_for_100, calls)  # about a 100-item feed's work
    assert peak < 8 * len(body)  # bounded: the cut happens before feedparser builds 100,000 entries
    url = desk.server.static("/many.xml", body, "application/rss+xml")
    report = desk.ingest(url, max_bytes=32 * 1024**2)
    assert desk.feed(url).last_error is None
    assert report.articles_failed <= 100  # at most the cap was fetched (those pages 404)
    assert len(desk.server.hits_for("/many/")) <= 100
    desk.assert_clean()


@case("huge_title")
def test_hundred_kilobyte_title_is_truncated(desk: Desk) -> None:
    desk.seed()
    huge = ("Headline " * 12_000)[:100_000]
    body = desk.fixture("huge_title.xml").replace(b"{huge}", huge.encode())
    parsed = parse_feed(_doc(body))
    assert parsed.entries and len(parsed.entries[0].title or "") <= MAX_TITLE
    desk.page("/huge/article.html", title=huge)
    url = desk.server.static("/huge.xml", body, "application/rss+xml")
    report = desk.ingest(url)
    assert report.new == 1, report
    stored = [a for a in desk.articles() if a["title"].startswith("Headline")]
    assert stored and len(stored[0]["title"]) <= 1000 and len(stored[0]["slug"]) <= 100
    desk.assert_clean()


@case("redos_author")
def test_regex_bomb_author_parses_quickly(desk: Desk) -> None:
    desk.seed()
    author = "a@" + "a." * 16_000 + "!"
    body = desk.fixture("redos_author.xml").replace(b"{author}", author.encode())
    reached: list[int] = []
    real_parse = feed_parser.feedparser.parse

    def spy(data: Any, *args: Any, **kw: Any) -> Any:
        raw = data.getvalue() if hasattr(data, "getvalue") else data
        reached.append(max((len(run) for run in re.findall(rb"a\.[a.]*", raw)), default=0))
        return real_parse(data, *args, **kw)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(feed_parser.feedparser, "parse", spy)
        result, _, _ = _parse_bounded(body)
    assert isinstance(result, models.ParsedFeed) and result.entries
    # feedparser's e-mail regex is quadratic in the author run it is given: it is given at most the kept run.
    assert reached and max(reached) <= AUTHOR_RUN_KEEP, reached
    assert len(result.entries[0].author or "") <= 1000
    desk.page("/redos/article.html", author=author)
    url = desk.server.static("/redos.xml", body, "application/rss+xml")
    report = desk.ingest(url)
    assert report.new == 1, report
    desk.assert_clean()


@case("redos_tags")
def test_unclosed_title_tags_take_linear_time(desk: Desk) -> None:
    desk.seed()
    bomb = "<title" * (200 * 1024 // 6)

    def run(text: str) -> int:
        def work() -> None:
            try:
                parse_feed(
                    _doc(f'<?xml version="1.0"?><rss version="2.0"><channel>{text}</channel></rss>'.encode())
                )
            except FeedError:
                pass
            sanitize_html(text)
            with pytest.raises(GazetteError):
                extract_article(
                    _doc(f"<html><head>{text}</head><body>x</body></html>".encode(), ctype="text/html")
                )

        outcome, calls = count_calls(work)
        assert outcome is None, outcome
        return calls

    run(bomb[:600])  # warm up lazy imports, so that neither count includes them
    quarter, full = run(bomb[: len(bomb) // 4]), run(bomb)
    # Linear: four times the input costs about four times as much work (quadratic would be sixteen).
    assert full < 8 * quarter + REFUSED_CALLS, (quarter, full)
    url = desk.server.static("/tags.xml", f"<rss><channel>{bomb}".encode(), "application/rss+xml")
    report = desk.ingest(url)
    desk.failed(report, url)
    desk.assert_clean()


@case("poison_feed")
def test_poison_feed_is_recorded_and_the_batch_carries_on(desk: Desk) -> None:
    desk.seed()
    poison = desk.serve("/poison.xml", "poison_feed.xml")
    bad_json = desk.server.static(
        "/poison.json",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [' + b"[" * 100_000 + b"]]}",
        "application/feed+json",
    )
    wrong_types = desk.server.static(
        "/types.json",
        b'{"version": "https://jsonfeed.org/version/1.1", "title": ["x"], "items": [{"id": {"a": 1}, "url": 7,'
        b' "title": null, "date_published": "99999-99-99"}, "string item", {"url": "http://[::1"}]}',
        "application/feed+json",
    )
    desk.page("/fine/article.html", title="Night buses extended to the suburbs")
    fine = desk.server.static(
        "/fine.xml",
        f'<rss version="2.0"><channel><title>Fine</title><item><title>Night buses</title><link>{desk.base}/fine/article.html</link></item></channel></rss>'.encode(),
        "application/rss+xml",
    )
    for body in (desk.fixture("poison_feed.xml"), b"\xff\xfe\x00\x00" * 100, b"<rss" + b"\x00" * 1000):
        try:
            parse_feed(_doc(body))
        except FeedError:
            pass
    report = desk.ingest(poison, bad_json, wrong_types, fine)
    assert report.new == 1  # the good feed in the same batch went through
    assert not [f for f in report.failures if "internal error" in f.reason], report.failures
    for url in (poison, bad_json, wrong_types):
        row = desk.feed(url)
        assert row.last_error is None or "internal error" not in row.last_error
    desk.failed(report, bad_json)
    desk.assert_clean()
