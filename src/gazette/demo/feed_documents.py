"""Demo publisher: the feed documents it serves (RSS 2.0, Atom 1.0, JSON Feed 1.1) and its OPML list.

Each feed's items come as ``FeedItem`` (an article with the link and GUID this feed gives it); ``feedwriter``
(the site's writer too) writes the body and the site wraps it in a response. Dates are written the way each
format asks: RFC 822 in RSS, RFC 3339 in Atom and JSON Feed. An undated article has no date in RSS or JSON Feed; Atom requires one,
so a source whose feeds include Atom must date every article (checked when the site is built).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gazette.demo.corpus import CorpusArticle, FeedSpec, Source
from gazette.errors import ConfigError
from gazette.feedwriter import Category, Channel, Item, write_feed
from gazette.ingest.opml import OpmlFeed, write_opml


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
    if doc.spec.format == "atom":
        for item in items:  # excluded when the site is built; kept as a guard for direct callers
            if item.article.published is None:
                a = item.article
                raise ConfigError(f"demo article {a.source}/{a.slug}: an Atom entry needs a date")
    channel = Channel(
        title=doc.spec.title,
        home_url=doc.home_url,
        self_url=doc.self_url,
        updated=doc.updated,
        description=doc.source.tagline,
        language=doc.source.language,
        author=doc.source.name,
        category=Category(section_label, doc.spec.section) if section_label else None,
        ttl_minutes=30,
    )
    return write_feed(doc.spec.format, channel, [_entry(doc, item) for item in items])


def _entry(doc: FeedDocument, item: FeedItem) -> Item:
    a = item.article
    return Item(
        id=item.guid,
        link=item.link,
        title=a.title,
        summary=a.paragraphs[0],
        published=a.published,
        author=a.author,
        category=Category(item.category, a.section),
        language=a.language,
        id_is_link=False,
        atom_id=f"tag:{doc.host},2026:{item.guid}",
    )


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
