"""Publish: feeds out (RSS 2.0, Atom 1.0, JSON Feed 1.1) for any listing, and the sitemaps.

The feeds are written by ``feedwriter`` (shared with the demo publisher); this module says what a listing's
feed holds. XML is built with ElementTree, so every value is escaped by the serializer, never by hand; the one
exception is a sitemap's ``<urlset>`` (up to 50,000 URLs), written as text with the standard library's ``escape``.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from gazette.errors import NotFound
from gazette.feedwriter import (
    CONTENT_TYPES,
    Category,
    Channel,
    Item,
    sub_element,
    write_atom,
    write_json_feed,
    write_rss,
    xml_document,
    xml_text,
)
from gazette.publish.pages import (
    MIN_STORY_ARTICLES,
    Listing,
    Rendered,
    Site,
    first_lines,
    paragraphs,
    safe_url,
    source_name,
)
from gazette.store import listings, sitemaps
from gazette.store.listings import EVERY_SECTION, ArticleFilter
from gazette.store.schema import Article

logger = logging.getLogger(__name__)

FEED_ITEMS = 50
FORMATS = CONTENT_TYPES
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
SITEMAP_LIMIT = 50_000  # URLs per sitemap file, by the sitemap protocol
NEWS_WINDOW = timedelta(days=2)
NEWS_LIMIT = (
    1000  # URLs per news sitemap, by Google's rules  # news sitemaps list only the last two days' articles
)
ET.register_namespace("news", NEWS_NS)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _summary(article: Article) -> str:
    if article.brief:
        return " ".join(b.text for b in article.brief)
    return first_lines(article, 400)


def _full_text(article: Article) -> str | None:
    if article.source is not None and article.source.republish_full_text:
        return "\n\n".join(paragraphs(article.text))
    return None


def _dated(article: Article) -> datetime:
    """When a feed says the article appeared: its publication date, else when we fetched it — the same key
    every listing sorts by, so an undated article sits where its fetch put it (its page still says "date
    unknown")."""
    return listings.sort_key_of(article)


def render_feed(site: Site, listing: Listing, fmt: str) -> Rendered:
    """The feed of a listing in ``fmt`` ("rss", "atom" or "json"), newest ``FEED_ITEMS`` articles."""
    with site.db.session() as s:
        articles = listings.list_articles(s, listing.flt, limit=FEED_ITEMS)
        changed = listings.latest_change(s, listing.flt)
        title = listing.title if listing.kind == "site" else f"{listing.title} — {site.settings.site.title}"
        page_url = site.absolute(listing.path)
        feed_url = site.absolute(f"{listing.path}feed.{fmt}")
        updated = changed or EPOCH
        if fmt == "rss":
            body = _rss(site, articles, title, page_url, feed_url, updated)
        elif fmt == "atom":
            body = _atom(site, articles, title, page_url, feed_url, updated)
        else:
            body = _json_feed(site, articles, title, page_url, feed_url)
    return Rendered(body, media_type=FORMATS[fmt], last_modified=changed, max_age=300)


def _channel(site: Site, title: str, page: str, feed: str, updated: datetime) -> Channel:
    return Channel(
        title=title,
        home_url=page,
        self_url=feed,
        updated=updated.astimezone(UTC),
        description=f"{title}: briefs with links to the original reporting.",
        author=site.settings.site.title,
        generator="Gazette",
    )


def _item(site: Site, a: Article) -> Item:
    link = site.absolute(a)
    dated = _dated(a).astimezone(UTC)
    return Item(
        id=link,
        link=link,
        title=a.title,
        summary=_summary(a),
        full_text=_full_text(a),
        published=dated,
        updated=a.updated_at.astimezone(UTC) if a.updated_at else dated,
        author=a.author or source_name(a),
        category=Category(site.settings.section_name(a.section), a.section) if a.section else None,
        language=a.language,
        related_url=safe_url(a.original_url),
        extra={"date_modified": _iso(a.updated_at or a.fetched_at)},
    )


def _rss(site: Site, articles: list[Article], title: str, page: str, feed: str, updated: datetime) -> str:
    return write_rss(_channel(site, title, page, feed, updated), [_item(site, a) for a in articles])


def _atom(site: Site, articles: list[Article], title: str, page: str, feed: str, updated: datetime) -> str:
    return write_atom(_channel(site, title, page, feed, updated), [_item(site, a) for a in articles])


def _json_feed(site: Site, articles: list[Article], title: str, page: str, feed: str) -> str:
    return write_json_feed(_channel(site, title, page, feed, EPOCH), [_item(site, a) for a in articles])


# --- sitemaps ----------------------------------------------------------------------------------------


def _articles_of(site: Site, host: str | None) -> str | None:
    """Whose articles a sitemap lists: every one on a single host; with section hosts, a section host's own,
    and on the base domain (``host`` None) those without a section."""
    return EVERY_SECTION if site.hosts is None or host == EVERY_SECTION else host


def _head_paths(site: Site, s: Any, host: str | None = EVERY_SECTION) -> list[tuple[str, datetime | None]]:
    """The sitemap's entries before the articles: front, listings and their pages, archives, stories — all from
    counted rows and narrow queries, so their cost follows the number of listings, not of articles. With
    section hosts, a section host's are its section's pages, the base domain's all the others."""
    scope = _articles_of(site, host)
    out: list[tuple[str, datetime | None]] = []
    shown = [
        listing for listing in site.listings_all(s) if scope == EVERY_SECTION or listing.flt.section == scope
    ]
    for listing, (total, changed) in zip(
        shown, listings.listing_totals(s, [x.flt for x in shown]), strict=True
    ):
        pages = max(1, -(-total // site.page_size))
        out.extend((site.page_path(listing.path, n), changed) for n in range(1, pages + 1))
    if scope not in (EVERY_SECTION, None):
        return out  # a section host holds its section's pages and articles only
    out.insert(0, ("/", listings.latest_change(s)))
    days = listings.archive_day_counts(s)
    for month in sorted({d[:7] for d, _held in days}):
        out.append((f"/archive/{month}/", listings.latest_change(s, ArticleFilter(date_prefix=month))))
    for day, held in days:  # a day's pages, as many as its listing has
        pages = max(1, -(-held // site.page_size))
        out.extend((site.page_path(f"/archive/{day}/", n), None) for n in range(1, pages + 1))
    stories, newest_story = sitemaps.story_summary(s, MIN_STORY_ARTICLES)
    story_pages = max(1, -(-stories // site.page_size))
    out.extend((site.page_path("/stories/", n), newest_story) for n in range(1, story_pages + 1))
    return out


def _story_entries(s: Any, offset: int = 0, limit: int | None = None) -> list[tuple[str, datetime | None]]:
    return [
        (f"/story/{story_id}/{slug}/", updated)
        for story_id, slug, updated in sitemaps.story_stamps(
            s, MIN_STORY_ARTICLES, offset=offset, limit=limit
        )
    ]


def sitemap_paths(site: Site, host: str | None = EVERY_SECTION) -> list[tuple[str, datetime | None]]:
    """(path, lastmod) of every HTML page on the site (or on one host), in the sitemap's order: front, listings
    and their pages, archives, ``/stories/`` pages (the head); each story told by two articles or more; the
    articles."""
    with site.db.session() as s:
        head = _head_paths(site, s, host)
        stories = _story_entries(s) if _has_stories(site, host) else []
        return [*head, *stories, *sitemaps.article_stamps(s, section=_articles_of(site, host))]


def _has_stories(site: Site, host: str | None) -> bool:
    """Whether a host's sitemap lists the story pages: the base domain's does, a section host's does not."""
    return _articles_of(site, host) in (EVERY_SECTION, None)


def _urlset(site: Site, entries: list[tuple[str, datetime | None]], host: str | None) -> Rendered:
    """A ``<urlset>``: written as text, each value made XML-safe by ``xml_text`` and escaped by the standard
    library's ``escape`` (ElementTree's per-element cost made a 50,000-URL file take seconds)."""
    out = ['<?xml version="1.0" encoding="utf-8"?>\n', f'<urlset xmlns="{SITEMAP_NS}">']
    newest: datetime | None = None
    for path, lastmod in entries:
        loc = escape(xml_text(site.absolute(path, section=host)))
        if lastmod is None:
            out.append(f"<url><loc>{loc}</loc></url>")
        else:
            out.append(f"<url><loc>{loc}</loc><lastmod>{_iso(lastmod)}</lastmod></url>")
            newest = lastmod if newest is None or lastmod > newest else newest
    out.append("</urlset>\n")
    return Rendered(
        "".join(out), media_type="application/xml; charset=utf-8", last_modified=newest, max_age=600
    )


@dataclass(frozen=True)
class _Layout:
    """A sitemap's entries as three runs: the head (in memory), the stories and the articles (read from the
    database by offset). ``section`` says whose articles; ``stories`` how many story entries."""

    head: list[tuple[str, datetime | None]]
    stories: int
    articles: int
    section: str | None

    @property
    def total(self) -> int:
        return len(self.head) + self.stories + self.articles


def _layout(site: Site, s: Any, host: str | None) -> _Layout:
    head = _head_paths(site, s, host)
    stories = sitemaps.story_summary(s, MIN_STORY_ARTICLES)[0] if _has_stories(site, host) else 0
    section = _articles_of(site, host)
    return _Layout(head, stories, listings.article_count(s, section), section)


def _entries(s: Any, layout: _Layout, start: int, stop: int) -> list[tuple[str, datetime | None]]:
    """Entries [start, stop) of the sitemap: a slice of the head, then of the stories, then of the articles."""
    out = layout.head[start:stop]
    first_story = len(layout.head)
    first_article = first_story + layout.stories
    lo, hi = max(start, first_story), min(stop, first_article)
    if hi > lo:
        out.extend(_story_entries(s, offset=lo - first_story, limit=hi - lo))
    lo = max(start, first_article)
    if stop > lo:
        out.extend(
            sitemaps.article_stamps(s, offset=lo - first_article, limit=stop - lo, section=layout.section)
        )
    return out


def sitemap_files(site: Site, limit: int = SITEMAP_LIMIT, host: str | None = None) -> list[str]:
    """The sitemap paths a site (or a host) has: ``/sitemap.xml``, plus ``/sitemap-N.xml`` parts when it is an
    index."""
    with site.db.session() as s:
        total = _layout(site, s, host).total
    parts = -(-total // limit) if total > limit else 0
    return ["/sitemap.xml", *(f"/sitemap-{n}.xml" for n in range(1, parts + 1))]


def render_sitemap(site: Site, limit: int = SITEMAP_LIMIT, host: str | None = None) -> Rendered:
    """``/sitemap.xml``: every page, or, past ``limit`` URLs (the protocol's 50,000), an index of parts.
    With section hosts, ``host`` names the section whose host asks (None: the base domain).

    The index is computed from counts: the head's entries in memory, and the newest change of each part's
    stories and articles in one grouped pass each in the database; no story or article row reaches Python.
    """
    with site.db.session() as s:
        layout = _layout(site, s, host)
        if layout.total <= limit:
            return _urlset(site, _entries(s, layout, 0, layout.total), host)
        newest_in: dict[int, list[datetime]] = {}
        for n in range(-(-len(layout.head) // limit)):
            stamps = [m for _path, m in layout.head[n * limit : (n + 1) * limit] if m is not None]
            if stamps:
                newest_in.setdefault(n, []).append(max(stamps))
        if layout.stories:
            skip = len(layout.head)
            for n, when in sitemaps.story_stamp_groups(s, MIN_STORY_ARTICLES, skip, limit).items():
                newest_in.setdefault(n, []).append(when)
        if layout.articles:
            skip = len(layout.head) + layout.stories
            for n, when in sitemaps.article_stamp_groups(s, skip, limit, layout.section).items():
                newest_in.setdefault(n, []).append(when)
    root = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
    newest: datetime | None = None
    for n in range(1, -(-layout.total // limit) + 1):
        entry = sub_element(root, "sitemap")
        sub_element(entry, "loc", _host_url(site, host, f"/sitemap-{n}.xml"))
        changed = max(newest_in.get(n - 1, []), default=None)
        if changed is not None:
            sub_element(entry, "lastmod", _iso(changed))
            newest = changed if newest is None or changed > newest else newest
    return Rendered(
        xml_document(root), media_type="application/xml; charset=utf-8", last_modified=newest, max_age=600
    )


def _host_url(site: Site, host: str | None, path: str) -> str:
    """``path`` on the host that asked (a sitemap part lives beside its index)."""
    if site.hosts is not None:
        return site.hosts.origin(host) + path
    return site.absolute(path)


def render_sitemap_part(
    site: Site, number: int, limit: int = SITEMAP_LIMIT, host: str | None = None
) -> Rendered:
    """Part ``number`` (1-based) of a sitemap index; NotFound when the sitemap is not split that far."""
    with site.db.session() as s:
        layout = _layout(site, s, host)
        parts = -(-layout.total // limit) if layout.total > limit else 0
        if not 1 <= number <= parts:
            raise NotFound(f"no sitemap part {number}")
        entries = _entries(s, layout, (number - 1) * limit, min(layout.total, number * limit))
    return _urlset(site, entries, host)


def render_news_sitemap(site: Site, now: datetime | None = None, host: str | None = None) -> Rendered:
    """Google News sitemap: articles published in the last two days (before ``now``); with section hosts, those
    on the asking host."""
    now = now or datetime.now(UTC)
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    newest: datetime | None = None
    with site.db.session() as s:
        section = _articles_of(site, host)
        for a in listings.published_between(s, now - NEWS_WINDOW, now, limit=NEWS_LIMIT, section=section):
            url = sub_element(root, "url")
            sub_element(url, "loc", site.absolute(a))
            news = sub_element(url, f"{{{NEWS_NS}}}news")
            pub = sub_element(news, f"{{{NEWS_NS}}}publication")
            sub_element(pub, f"{{{NEWS_NS}}}name", site.settings.site.title)
            sub_element(pub, f"{{{NEWS_NS}}}language", (a.language or "en")[:2])
            sub_element(news, f"{{{NEWS_NS}}}publication_date", _iso(a.published_at or a.fetched_at))
            sub_element(news, f"{{{NEWS_NS}}}title", a.title)
            changed = a.updated_at or a.fetched_at
            newest = changed if newest is None or changed > newest else newest
        if newest is None:
            newest = listings.latest_change(s)
    return Rendered(
        xml_document(root), media_type="application/xml; charset=utf-8", last_modified=newest, max_age=600
    )
