"""Publish: feeds out (RSS 2.0, Atom 1.0, JSON Feed 1.1) for any listing, and the sitemaps.

XML is built with ElementTree, so every value is escaped by the serializer, never by hand.
"""

from __future__ import annotations

import html
import json
import logging
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from gazette.errors import NotFound
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
from gazette.store import listings
from gazette.store.listings import EVERY_SECTION, ArticleFilter
from gazette.store.schema import Article

logger = logging.getLogger(__name__)

FEED_ITEMS = 50
FORMATS = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
SITEMAP_LIMIT = 50_000  # URLs per sitemap file, by the sitemap protocol
NEWS_WINDOW = timedelta(days=2)
NEWS_LIMIT = (
    1000  # URLs per news sitemap, by Google's rules  # news sitemaps list only the last two days' articles
)
ET.register_namespace("atom", ATOM_NS)
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


def html_paragraphs(text: str) -> str:
    """Plain text as the HTML that RSS ``<description>`` holds: each paragraph escaped and wrapped in ``<p>``.

    Readers treat a description as HTML, so text that merely looks like markup (``<img onerror=…>`` in an
    article) must arrive as characters, not as an element.
    """
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs(text))


def _xml(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode", xml_declaration=False).join(
        ['<?xml version="1.0" encoding="utf-8"?>\n', "\n"]
    )


# Characters XML 1.0 forbids even when escaped (C0 controls but tab/newline/CR, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` without the characters that would make the document not well-formed."""
    return _NOT_XML.sub("", value)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


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


def _rss(site: Site, articles: list[Article], title: str, page: str, feed: str, updated: datetime) -> str:
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", title)
    _sub(channel, "link", page)
    _sub(channel, "description", f"{title}: briefs with links to the original reporting.")
    _sub(channel, f"{{{ATOM_NS}}}link", href=feed, rel="self", type="application/rss+xml")
    _sub(channel, "lastBuildDate", format_datetime(updated.astimezone(UTC), usegmt=True))
    _sub(channel, "generator", "Gazette")
    for a in articles:
        item = _sub(channel, "item")
        link = site.absolute(a)
        _sub(item, "title", a.title)
        _sub(item, "link", link)
        _sub(item, "guid", link, isPermaLink="true")
        _sub(item, "pubDate", format_datetime(_dated(a).astimezone(UTC), usegmt=True))
        _sub(item, "description", html_paragraphs(_full_text(a) or _summary(a)))
        if a.section:
            _sub(item, "category", site.settings.section_name(a.section))
    return _xml(rss)


def _atom(site: Site, articles: list[Article], title: str, page: str, feed: str, updated: datetime) -> str:
    ns = f"{{{ATOM_NS}}}"
    root = ET.Element(f"{ns}feed")
    _sub(root, f"{ns}id", feed)
    _sub(root, f"{ns}title", title)
    _sub(root, f"{ns}updated", _iso(updated))
    _sub(root, f"{ns}link", href=feed, rel="self", type="application/atom+xml")
    _sub(root, f"{ns}link", href=page, rel="alternate", type="text/html")
    author = _sub(root, f"{ns}author")
    _sub(author, f"{ns}name", site.settings.site.title)
    _sub(root, f"{ns}generator", "Gazette")
    for a in articles:
        entry = _sub(root, f"{ns}entry")
        link = site.absolute(a)
        _sub(entry, f"{ns}id", link)
        _sub(entry, f"{ns}title", a.title)
        _sub(entry, f"{ns}updated", _iso(a.updated_at or _dated(a)))
        _sub(entry, f"{ns}published", _iso(_dated(a)))
        _sub(entry, f"{ns}link", href=link, rel="alternate", type="text/html")
        original = safe_url(a.original_url)
        if original:
            _sub(entry, f"{ns}link", href=original, rel="related", type="text/html")
        entry_author = _sub(entry, f"{ns}author")
        _sub(entry_author, f"{ns}name", a.author or source_name(a))
        if a.section:
            _sub(entry, f"{ns}category", term=a.section, label=site.settings.section_name(a.section))
        # type="html" with escaped paragraphs, as in RSS: a reader that ignores type="text" and renders the
        # text as HTML would otherwise turn an article's "<img onerror=…>" into an element.
        _sub(entry, f"{ns}summary", html_paragraphs(_summary(a)), type="html")
        full = _full_text(a)
        if full:
            _sub(entry, f"{ns}content", html_paragraphs(full), type="html")
    return _xml(root)


def _json_feed(site: Site, articles: list[Article], title: str, page: str, feed: str) -> str:
    items: list[dict[str, Any]] = []
    for a in articles:
        link = site.absolute(a)
        item: dict[str, Any] = {
            "id": link,
            "url": link,
            "title": a.title,
            "content_text": _full_text(a) or _summary(a),
            "summary": _summary(a),
            "date_published": _iso(_dated(a)),
            "date_modified": _iso(a.updated_at or a.fetched_at),
            "authors": [{"name": a.author or source_name(a)}],
        }
        original = safe_url(a.original_url)
        if original:
            item["external_url"] = original
        if a.section:
            item["tags"] = [site.settings.section_name(a.section)]
        if a.language:
            item["language"] = a.language
        items.append(item)
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": page,
        "feed_url": feed,
        "description": f"{title}: briefs with links to the original reporting.",
        "items": items,
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


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
    for listing in site.listings_all(s):
        if scope != EVERY_SECTION and listing.flt.section != scope:
            continue
        total = listings.count_matching(s, listing.flt)
        changed = listings.latest_change(s, listing.flt)
        pages = max(1, -(-total // site.page_size))
        out.extend((site.page_path(listing.path, n), changed) for n in range(1, pages + 1))
    if scope not in (EVERY_SECTION, None):
        return out  # a section host holds its section's pages and articles only
    out.insert(0, ("/", listings.latest_change(s)))
    days = listings.archive_days(s)
    for month in sorted({d[:7] for d in days}):
        out.append((f"/archive/{month}/", listings.latest_change(s, ArticleFilter(date_prefix=month))))
    for day in days:
        out.append((f"/archive/{day}/", None))
    stories = listings.story_stamps(s, MIN_STORY_ARTICLES)
    story_pages = max(1, -(-len(stories) // site.page_size))
    newest_story = stories[0][2] if stories else None
    out.extend((site.page_path("/stories/", n), newest_story) for n in range(1, story_pages + 1))
    out.extend((f"/story/{story_id}/{slug}/", updated) for story_id, slug, updated in stories)
    return out


def sitemap_paths(site: Site, host: str | None = EVERY_SECTION) -> list[tuple[str, datetime | None]]:
    """(path, lastmod) of every HTML page on the site (or on one host): front, listings and their pages,
    archives, stories (``/stories/`` and each story told by two articles or more), articles."""
    with site.db.session() as s:
        return [*_head_paths(site, s, host), *listings.article_stamps(s, section=_articles_of(site, host))]


def _urlset(site: Site, entries: list[tuple[str, datetime | None]], host: str | None) -> Rendered:
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    newest: datetime | None = None
    for path, lastmod in entries:
        url = _sub(root, "url")
        _sub(url, "loc", site.absolute(path, section=host))
        if lastmod is not None:
            _sub(url, "lastmod", _iso(lastmod))
            newest = lastmod if newest is None or lastmod > newest else newest
    return Rendered(
        _xml(root), media_type="application/xml; charset=utf-8", last_modified=newest, max_age=600
    )


def _size(site: Site, s: Any, host: str | None) -> tuple[list[tuple[str, datetime | None]], int]:
    """The head entries and the number of entries in all (head plus one per article)."""
    head = _head_paths(site, s, host)
    return head, len(head) + listings.article_count(s, _articles_of(site, host))


def _entries(
    s: Any, head: list[tuple[str, datetime | None]], start: int, stop: int, section: str | None
) -> list[tuple[str, datetime | None]]:
    """Entries [start, stop) of the sitemap: a slice of the head, then articles read from the sort index."""
    out = head[start:stop]
    first_article = max(0, start - len(head))
    wanted = stop - max(start, len(head))
    if wanted > 0:
        out.extend(listings.article_stamps(s, offset=first_article, limit=wanted, section=section))
    return out


def sitemap_files(site: Site, limit: int = SITEMAP_LIMIT, host: str | None = None) -> list[str]:
    """The sitemap paths a site (or a host) has: ``/sitemap.xml``, plus ``/sitemap-N.xml`` parts when it is an
    index."""
    with site.db.session() as s:
        _head, total = _size(site, s, host)
    parts = -(-total // limit) if total > limit else 0
    return ["/sitemap.xml", *(f"/sitemap-{n}.xml" for n in range(1, parts + 1))]


def render_sitemap(site: Site, limit: int = SITEMAP_LIMIT, host: str | None = None) -> Rendered:
    """``/sitemap.xml``: every page, or, past ``limit`` URLs (the protocol's 50,000), an index of parts.
    With section hosts, ``host`` names the section whose host asks (None: the base domain).

    The index is computed from counts: the head's entries in memory, and the newest change of each part's
    articles in one grouped pass in the database; no article row reaches Python.
    """
    section = _articles_of(site, host)
    with site.db.session() as s:
        head, total = _size(site, s, host)
        if total <= limit:
            return _urlset(site, _entries(s, head, 0, total, section), host)
        newest_articles = listings.article_stamp_groups(s, len(head), limit, section)
    root = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
    newest: datetime | None = None
    for n in range(1, -(-total // limit) + 1):
        entry = _sub(root, "sitemap")
        _sub(entry, "loc", _host_url(site, host, f"/sitemap-{n}.xml"))
        stamps = [lastmod for _path, lastmod in head[(n - 1) * limit : n * limit] if lastmod is not None]
        if n - 1 in newest_articles:
            stamps.append(newest_articles[n - 1])
        changed = max(stamps, default=None)
        if changed is not None:
            _sub(entry, "lastmod", _iso(changed))
            newest = changed if newest is None or changed > newest else newest
    return Rendered(
        _xml(root), media_type="application/xml; charset=utf-8", last_modified=newest, max_age=600
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
        head, total = _size(site, s, host)
        parts = -(-total // limit) if total > limit else 0
        if not 1 <= number <= parts:
            raise NotFound(f"no sitemap part {number}")
        entries = _entries(
            s, head, (number - 1) * limit, min(total, number * limit), _articles_of(site, host)
        )
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
            url = _sub(root, "url")
            _sub(url, "loc", site.absolute(a))
            news = _sub(url, f"{{{NEWS_NS}}}news")
            pub = _sub(news, f"{{{NEWS_NS}}}publication")
            _sub(pub, f"{{{NEWS_NS}}}name", site.settings.site.title)
            _sub(pub, f"{{{NEWS_NS}}}language", (a.language or "en")[:2])
            _sub(news, f"{{{NEWS_NS}}}publication_date", _iso(a.published_at or a.fetched_at))
            _sub(news, f"{{{NEWS_NS}}}title", a.title)
            changed = a.updated_at or a.fetched_at
            newest = changed if newest is None or changed > newest else newest
        if newest is None:
            newest = listings.latest_change(s)
    return Rendered(
        _xml(root), media_type="application/xml; charset=utf-8", last_modified=newest, max_age=600
    )
