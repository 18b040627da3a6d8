"""extract.dates: htmldate's reading checked against the page's structured time, its byline and its URL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import lxml.html
import pytest

from gazette.extract.dates import byline_day, published_date, restate, settle_date, updated_date

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EST = timezone(timedelta(hours=-5))


def _tree(head: str = "", body: str = "") -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(
        f"<html><head><title>t</title>{head}</head><body>{body}<p>{'Words of the story. ' * 20}</p></body></html>"
    )


def test_structured_time_keeps_the_pages_offset() -> None:
    tree = _tree('<meta property="article:published_time" content="2026-02-18T23:04:24-05:00">')
    found = published_date(tree, None, NOW)
    assert found is not None
    assert found.isoformat() == "2026-02-18T23:04:24-05:00"  # not 2026-02-19 in UTC


def test_utc_instant_is_stated_on_the_bylines_day() -> None:
    # JSON-LD in UTC (the 20th), the byline the reader sees says Tuesday 19th, 10:01 pm PST.
    tree = _tree(
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2026-02-20T05:57:50Z"}'
        "</script>",
        '<h1>Man stabbed</h1><time class="date">10:01 pm PST, Thursday, February 19, 2026</time>',
    )
    found = published_date(tree, None, NOW)
    assert found is not None
    assert found.isoformat()[:10] == "2026-02-19"
    assert found == datetime(2026, 2, 20, 5, 57, 50, tzinfo=UTC)  # the same instant


def test_url_day_and_utc_instant() -> None:
    # The page's own URL gives the publisher's day; JSON-LD the moment, in UTC, early the next day.
    tree = _tree(
        '<link rel="canonical" href="https://news.example.com/2026/02/18/story.html">'
        '<script type="application/ld+json">{"datePublished": "2026-02-19T04:58:46Z"}</script>'
    )
    found = published_date(tree, None, NOW)
    assert found is not None
    assert found.isoformat() == "2026-02-18T23:58:46-05:00"


def test_og_url_gives_the_day_when_the_page_is_read_from_a_file() -> None:
    tree = _tree(
        '<meta property="og:url" content="https://news.example.com/story/news/2026/02/19/story/123/">'
        '<meta name="datePublished" content="0001-01-01T00:00:00Z">',
        "<p>Copyright 2017-03-28</p>",
    )
    found = published_date(tree, "file:///tmp/page.html", NOW)
    assert found is not None and found.date() == date(2026, 2, 19)


def test_a_related_storys_link_is_not_the_date() -> None:
    tree = _tree(body='<aside><a href="/2026/02/18/other-story.html">Other story</a></aside>')
    assert published_date(tree, None, NOW) is None


def test_an_explicit_offset_is_not_restated_by_a_masthead_date() -> None:
    tree = _tree(
        '<meta property="article:published_time" content="2026-02-19T06:30:42-05:00">',
        '<h1>Headline</h1><span class="date">February 20, 2026</span>',
    )
    found = published_date(tree, None, NOW)
    assert found is not None and found.isoformat() == "2026-02-19T06:30:42-05:00"


def test_future_and_placeholder_dates_are_dropped() -> None:
    tree = _tree('<meta property="article:published_time" content="2031-06-01T10:00:00Z">')
    assert published_date(tree, None, NOW) is None
    tree = _tree('<script type="application/ld+json">{"datePublished": "0001-01-01T00:00:00Z"}</script>')
    assert published_date(tree, None, NOW) is None


def test_updated_date_after_publication() -> None:
    tree = _tree(
        '<meta property="article:published_time" content="2026-02-20T14:30:00+01:00">'
        '<meta property="article:modified_time" content="2026-02-21T09:00:00Z">'
    )
    published = published_date(tree, None, NOW)
    updated = updated_date(tree, None, published, NOW)
    assert updated is not None and updated.isoformat() == "2026-02-21T09:00:00+00:00"
    assert updated_date(tree, None, None, NOW) is None


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("By Ana Pérez | November 18, 2019 at 2:26 PM HST", date(2019, 11, 18)),
        ("Nov. 18, 2019 7:04 pm ET", date(2019, 11, 18)),
        ("sexta-feira, 22 de outubro de 2010 às 20:13", date(2010, 10, 22)),
        ("19 Nov 2019 05:44 GMT", date(2019, 11, 19)),
        ("2018-08-25 15:24", date(2018, 8, 25)),
        ("Monday 10:00PM", None),
    ],
)
def test_byline_day(text: str, day: date | None) -> None:
    assert byline_day(_tree(body=f'<h1>Headline</h1><div class="byline">{text}</div>')) == day


def test_byline_skips_updates_and_the_masthead() -> None:
    tree = _tree(
        body='<div class="date">March 1, 2026</div><h1>Headline</h1>'
        '<span class="timestamp">Updated: Feb. 21, 2026</span><time>Feb. 19, 2026</time>'
    )
    assert byline_day(tree) == date(2026, 2, 19)


def test_restate() -> None:
    instant = datetime(2019, 11, 20, 5, 57, 50, tzinfo=UTC)
    moved = restate(instant, date(2019, 11, 19))
    assert moved is not None and moved == instant
    assert moved.isoformat() == "2019-11-19T23:57:50-06:00"  # the nearest whole-hour offset
    assert restate(instant, date(2019, 11, 20)) is instant
    assert restate(instant, date(2019, 11, 17)) is None  # no zone on Earth is two days behind
    east = restate(datetime(2019, 11, 19, 20, 11, tzinfo=UTC), date(2019, 11, 20))
    assert east is not None and east.isoformat() == "2019-11-20T00:11:00+04:00"


def test_settle_date() -> None:
    page_day = datetime(2026, 2, 21, tzinfo=UTC)  # the page gives only a day
    feed = datetime(2026, 2, 21, 9, 45, tzinfo=UTC)
    assert settle_date(page_day, feed, NOW) == feed  # the feed's time on the page's day
    late_feed = datetime(2026, 2, 22, 3, 0, tzinfo=UTC)  # evening of the 21st west of Greenwich
    settled = settle_date(page_day, late_feed, NOW)
    assert settled == late_feed and settled is not None and settled.isoformat()[:10] == "2026-02-21"
    page_time = datetime(2026, 2, 20, 14, 30, tzinfo=timezone(timedelta(hours=1)))
    assert settle_date(page_time, datetime(2026, 3, 5, tzinfo=UTC), NOW) == page_time  # the page wins
    assert settle_date(None, datetime(2026, 2, 19, 8, 15, tzinfo=EST), NOW) == datetime(
        2026, 2, 19, 13, 15, tzinfo=UTC
    )  # no page date: the feed's, in UTC
    assert settle_date(None, datetime(2099, 1, 1, tzinfo=UTC), NOW) is None
    assert settle_date(datetime(2031, 1, 1, tzinfo=UTC), feed, NOW) == feed
