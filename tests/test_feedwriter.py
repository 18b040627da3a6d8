"""feedwriter: every feed we write parses back with feedparser and says what it was given."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazette.feedwriter import Category, Channel, Item, html_paragraphs, rfc822, write_feed

CHANNEL = Channel(
    title="Desk",
    home_url="https://desk.example/",
    self_url="https://desk.example/feed",
    updated=datetime(2026, 2, 20, 9, 30, tzinfo=UTC),
    description="News & more",
    language="es",
    author="The Desk",
    category=Category("Health", "health"),
)
CARACAS = timezone(timedelta(hours=-4))


def _item(**kw: object) -> Item:
    base: dict[str, object] = dict(
        id="https://desk.example/a/1",
        link="https://desk.example/a/1",
        title="Vaccines <arrive>",
        summary="First line & more.\nSecond line.",
        published=datetime(2026, 2, 19, 8, 0, tzinfo=CARACAS),
        author="Ana",
        category=Category("Health", "health"),
    )
    base.update(kw)
    return Item(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_a_feed_parses_back_with_what_it_was_given(fmt: str) -> None:
    content_type, body = write_feed(fmt, CHANNEL, [_item(), _item(id="x-2", link="https://desk.example/a/2")])
    assert content_type.endswith("charset=utf-8")
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "Desk"
    first = parsed.entries[0]
    assert first.title == "Vaccines <arrive>"
    assert first.link == "https://desk.example/a/1"
    assert first.author == "Ana"
    assert datetime(*first.published_parsed[:6], tzinfo=UTC) == datetime(2026, 2, 19, 12, 0, tzinfo=UTC)
    assert first.summary == "<p>First line &amp; more.</p><p>Second line.</p>"


def test_a_json_feed_says_what_it_was_given() -> None:
    content_type, body = write_feed("json", CHANNEL, [_item()])
    assert content_type.startswith("application/feed+json")
    doc = json.loads(body)
    assert (doc["version"], doc["title"], doc["language"]) == (
        "https://jsonfeed.org/version/1.1",
        "Desk",
        "es",
    )
    (item,) = doc["items"]
    assert item["title"] == "Vaccines <arrive>" and item["summary"] == "First line & more.\nSecond line."
    assert item["date_published"] == "2026-02-19T08:00:00-04:00"
    assert item["authors"] == [{"name": "Ana"}] and item["tags"] == ["Health"]


def test_text_that_looks_like_markup_arrives_as_characters() -> None:
    assert html_paragraphs("a <img onerror=x>\n\n b ") == "<p>a &lt;img onerror=x&gt;</p><p>b</p>"
    body = write_feed("rss", CHANNEL, [_item(summary="<script>alert(1)</script>")])[1]
    assert "<script>" not in body
    assert feedparser.parse(body).entries[0].summary == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_full_text_replaces_the_summary_where_a_format_has_room() -> None:
    item = _item(full_text="All of it.\nEvery paragraph.")
    atom = feedparser.parse(write_feed("atom", CHANNEL, [item])[1]).entries[0]
    assert atom.content[0].value == "<p>All of it.</p><p>Every paragraph.</p>"
    assert atom.summary == "<p>First line &amp; more.</p><p>Second line.</p>"
    doc = json.loads(write_feed("json", CHANNEL, [item])[1])
    assert doc["items"][0]["content_text"] == "All of it.\nEvery paragraph."


def test_rss_dates_are_gmt_for_utc_and_keep_any_other_offset() -> None:
    assert rfc822(datetime(2026, 2, 20, 9, 30, tzinfo=UTC)) == "Fri, 20 Feb 2026 09:30:00 GMT"
    assert rfc822(datetime(2026, 2, 20, 5, 30, tzinfo=CARACAS)) == "Fri, 20 Feb 2026 05:30:00 -0400"


def test_an_undated_entry_is_dated_by_the_feed_in_atom_and_undated_elsewhere() -> None:
    item = _item(published=None)
    atom = feedparser.parse(write_feed("atom", CHANNEL, [item])[1]).entries[0]
    assert atom.published.startswith("2026-02-20T09:30:00")
    assert "pubDate" not in write_feed("rss", CHANNEL, [item])[1]
    assert "date_published" not in json.loads(write_feed("json", CHANNEL, [item])[1])["items"][0]


@settings(max_examples=40, deadline=None)
@given(title=st.text(), summary=st.text(), fmt=st.sampled_from(["rss", "atom", "json"]))
def test_any_text_gives_a_feed_that_parses(title: str, summary: str, fmt: str) -> None:
    body = write_feed(fmt, CHANNEL, [_item(title=title, summary=summary)])[1]
    if fmt == "json":
        assert json.loads(body)["items"][0]["title"] == title
        return
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == 1
