"""Demo publisher: the feed documents it serves (RSS 2.0, Atom 1.0, JSON Feed 1.1) and its OPML list.

Each renderer takes the items of one feed as ``FeedItem`` (an article with the link and GUID this feed gives
it) and returns the body; the site wraps it in a response. Dates are written the way each format asks: RFC 822
in RSS, RFC 3339 in Atom and JSON Feed. An undated article has no date in RSS or JSON Feed; Atom requires one,
so a source whose feeds include Atom must date every article (checked when the site is built).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape

from gazette.demo.corpus import CorpusArticle, FeedSpec, Source
from gazette.errors import ConfigError
from gazette.ingest.opml import OpmlFeed, write_opml

CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}


@dataclass(frozen=True)
class FeedItem:
    """One entry of one feed: the article, the link this feed gives it, and its GUID in this feed."""

    article: CorpusArticle
    link: str
    guid: str
    category: str  # the section's label in the source's language


@dataclass(frozen=True)
class FeedDocument:
    """What every renderer needs besides the items."""

    source: Source
    spec: FeedSpec
    self_url: str
    home_url: str
    updated: datetime
    host: str


def render_feed(doc: FeedDocument, items: list[FeedItem], section_label: str | None) -> tuple[str, str]:
    """``(content_type, body)`` of one feed in the format its spec names."""
    renderers = {"rss": _rss, "atom": _atom, "json": _json_feed}
    body = renderers[doc.spec.format](doc, items, section_label)
    return CONTENT_TYPES[doc.spec.format], body


def _rss(doc: FeedDocument, items: list[FeedItem], section_label: str | None) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        f"<title>{escape(doc.spec.title)}</title>",
        f"<link>{escape(doc.home_url)}</link>",
        f'<atom:link href="{escape(doc.self_url)}" rel="self" type="application/rss+xml"/>',
        f"<description>{escape(doc.source.tagline)}</description>",
        f"<language>{doc.source.language}</language>",
        f"<lastBuildDate>{format_datetime(doc.updated.astimezone(UTC), usegmt=True)}</lastBuildDate>",
        "<ttl>30</ttl>",
    ]
    if section_label:
        out.append(f"<category>{escape(section_label)}</category>")
    for item in items:
        a = item.article
        out += [
            "<item>",
            f"<title>{escape(a.title)}</title>",
            f"<link>{escape(item.link)}</link>",
            f'<guid isPermaLink="false">{escape(item.guid)}</guid>',
            f"<dc:creator>{escape(a.author)}</dc:creator>",
            f"<category>{escape(item.category)}</category>",
            f"<description>{escape(a.paragraphs[0])}</description>",
        ]
        if a.published is not None:
            out.append(f"<pubDate>{format_datetime(a.published)}</pubDate>")
        out.append("</item>")
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


def _atom(doc: FeedDocument, items: list[FeedItem], section_label: str | None) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{doc.source.language}">',
        f"<title>{escape(doc.spec.title)}</title>",
        f"<subtitle>{escape(doc.source.tagline)}</subtitle>",
        f"<id>{escape(doc.self_url)}</id>",
        f'<link rel="self" type="application/atom+xml" href="{escape(doc.self_url)}"/>',
        f'<link rel="alternate" type="text/html" href="{escape(doc.home_url)}"/>',
        f"<updated>{doc.updated.isoformat()}</updated>",
    ]
    if section_label:
        out.append(f'<category term="{escape(doc.spec.section or "")}" label="{escape(section_label)}"/>')
    for item in items:
        a = item.article
        if a.published is None:  # excluded when the site is built; kept as a guard for direct callers
            raise ConfigError(f"demo article {a.source}/{a.slug}: an Atom entry needs a date")
        out += [
            "<entry>",
            f"<title>{escape(a.title)}</title>",
            f'<link rel="alternate" type="text/html" href="{escape(item.link)}"/>',
            f"<id>tag:{doc.host},2026:{escape(item.guid)}</id>",
            f"<published>{a.published.isoformat()}</published>",
            f"<updated>{a.published.isoformat()}</updated>",
            f"<author><name>{escape(a.author)}</name></author>",
            f'<category term="{a.section}" label="{escape(item.category)}"/>',
            f'<summary type="text">{escape(a.paragraphs[0])}</summary>',
            "</entry>",
        ]
    out += ["</feed>", ""]
    return "\n".join(out)


def _json_feed(doc: FeedDocument, items: list[FeedItem], section_label: str | None) -> str:
    entries = []
    for item in items:
        a = item.article
        entry: dict[str, object] = {
            "id": item.guid,
            "url": item.link,
            "title": a.title,
            "summary": a.paragraphs[0],
            "content_text": a.paragraphs[0],
            "authors": [{"name": a.author}],
            "tags": [item.category],
            "language": a.language,
        }
        if a.published is not None:
            entry["date_published"] = a.published.isoformat()
        entries.append(entry)
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": doc.spec.title,
        "home_page_url": doc.home_url,
        "feed_url": doc.self_url,
        "description": doc.source.tagline,
        "language": doc.source.language,
        "authors": [{"name": doc.source.name}],
        "items": entries,
    }
    return json.dumps(feed, ensure_ascii=False, indent=1) + "\n"


def render_opml(sources: list[Source], base_url: str, created: datetime) -> str:
    """OPML 2.0: one folder per source, one outline per feed (``category`` holds the declared section slug)."""
    feeds = [
        OpmlFeed(
            url=f"{base_url}/{s.slug}/{f.path}",
            title=f.title,
            section=f.section,
            source=s.name,
            html_url=f"{base_url}/{s.slug}/",
            language=s.language,
        )
        for s in sources
        for f in s.feeds
    ]
    return write_opml(feeds, "Gazette demo feeds", folder_of=lambda feed: feed.source, created=created)
