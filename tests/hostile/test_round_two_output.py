"""Issue 9, "our own output": hostile text that went through the real fetch → extract → store pipeline from a
server on 127.0.0.1 comes back out of our feeds as text, and the JSON API answers every bent cursor or filter
with a 400 — the site side of these checks is in tests/publish/test_hostile_output.py."""

from __future__ import annotations

import base64
import json
from email.utils import parsedate_to_datetime

import feedparser

from tests.hostile.cases import case
from tests.hostile.conftest import Desk, fixture_bytes

MARKUP = "<img src=x onerror=alert(1)>"


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _serve_article(desk: Desk, path: str, paragraph_html: str, dated: bool = True) -> str:
    """A feed with one item pointing at the plain article page with ``paragraph_html`` added to its body."""
    page = (
        fixture_bytes("plain_article.html")
        .replace(b"{title}", b"Markup as text")
        .replace(b"{author}", b"Staff")
    )
    page = page.replace(b"<article><h1>", b"<article><p>" + paragraph_html.encode() + b"</p><h1>")
    desk.server.static(f"{path}.html", page, "text/html; charset=utf-8")
    date = "<pubDate>Fri, 20 Nov 2026 09:00:00 GMT</pubDate>" if dated else ""
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>{desk.base}/</link><description>d</description><item><title>Markup as text</title>"
        f"<link>{desk.base}{path}.html</link><guid>{desk.base}{path}.html</guid>{date}</item></channel></rss>"
    )
    return desk.server.static(f"{path}.xml", feed.encode(), "application/rss+xml")


@case("feed_description_markup")
def test_markup_written_as_text_stays_text_in_our_rss(desk: Desk) -> None:
    desk.seed()
    escaped = MARKUP.replace("<", "&lt;").replace(">", "&gt;")
    url = _serve_article(desk, "/markup", f"Residents painted {escaped} on the harbour wall overnight.")
    assert desk.ingest(url).new == 1
    assert any(MARKUP in a["text"] for a in desk.articles())  # the page said it as text: stored as text
    body = desk.client().get("/feed.rss").content
    for sanitize in (True, False):
        entries = feedparser.parse(body, sanitize_html=sanitize).entries
        summaries = [e.summary for e in entries]
        assert all(s.startswith("<p>") for s in summaries), summaries
        assert not any("<img" in s for s in summaries), summaries
        assert any("&lt;img src=x onerror=alert(1)&gt;" in s for s in summaries), summaries
    desk.assert_clean()


@case("undated_feed_item")
def test_an_undated_article_is_dated_by_its_fetch_in_every_feed(desk: Desk) -> None:
    desk.seed()
    url = _serve_article(desk, "/undated", "A notice without any date on it.", dated=False)
    assert desk.ingest(url).new == 1
    client = desk.client()
    item = next(i for i in client.get("/api/articles").json()["items"] if i["title"] == "Markup as text")
    assert item["published_at"] is None  # pages keep saying "date unknown"
    fetched = item["fetched_at"]
    rss = next(
        e for e in feedparser.parse(client.get("/feed.rss").content).entries if e.title == "Markup as text"
    )
    assert parsedate_to_datetime(rss.published).isoformat()[:19] == fetched[:19]
    atom = next(
        e for e in feedparser.parse(client.get("/feed.atom").content).entries if e.title == "Markup as text"
    )
    assert atom.published[:19] == fetched[:19]
    doc = client.get("/feed.json").json()
    assert (
        next(i for i in doc["items"] if i["title"] == "Markup as text")["date_published"][:19] == fetched[:19]
    )
    # fetched now, it is the newest article: first in the feed because of its fetch time, not for lacking a date
    assert feedparser.parse(client.get("/feed.rss").content).entries[0].title == "Markup as text"
    desk.assert_clean()


@case("api_bent_cursors")
def test_bent_cursors_and_filters_are_400_never_500(desk: Desk) -> None:
    desk.seed()
    client = desk.client()
    cursors = [
        _b64('["2026-11-20T09:00:00+00:00", Infinity]'),
        _b64("[" * 5000 + "]" * 5000),
        _b64("[NaN]"),
        _b64('["0001-01-01T00:00:00+05:00", 1]'),
        "A" * 10_000,
    ]
    for endpoint in ("/api/articles", "/api/search?q=harbour", "/api/stories"):
        for cursor in cursors:
            sep = "&" if "?" in endpoint else "?"
            answer = client.get(f"{endpoint}{sep}cursor={cursor}")
            assert answer.status_code == 400, (endpoint, cursor[:40], answer.status_code)
            assert set(answer.json()["error"]) == {"status", "message"}
    for key, value in (("section", "nope"), ("locale", "atlantis"), ("from", "2026-02-30"), ("to", "soon")):
        answer = client.get("/api/articles", params={key: value})
        assert answer.status_code == 400, (key, value)
        assert json.loads(answer.content)["error"]["message"].startswith(f"{key}=")
    answer = client.post("/api/articles")
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"
    desk.assert_clean()
