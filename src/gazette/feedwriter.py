"""Feeds out: RSS 2.0, Atom 1.0 and JSON Feed 1.1 written from one description of a feed, for the site
(``publish/syndication.py``) and the demo publisher (``demo/feed_documents.py``).

XML is built with ElementTree, so every value is escaped by the serializer, never by hand, and the characters
XML 1.0 forbids even escaped are dropped. Text is plain: where a format carries HTML (RSS ``description``, Atom
``type="html"``), each paragraph is escaped and wrapped in ``<p>``, so text that merely looks like markup
(``<img onerror=…>`` in an article) reaches a reader as characters, never as an element. Dates are written as
each format asks: RFC 822 in RSS (GMT for a UTC time, else the time's own offset), RFC 3339 elsewhere.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
ET.register_namespace("atom", ATOM_NS)
ET.register_namespace("dc", DC_NS)
CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# Characters XML 1.0 forbids even when escaped (C0 controls but tab/newline/CR, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Category:
    """A section as a feed names it: the label readers see, and the machine term where the format has one."""

    label: str
    term: str | None = None


@dataclass(frozen=True)
class Channel:
    """What a feed says about itself."""

    title: str
    home_url: str
    self_url: str
    updated: datetime
    description: str = ""
    language: str | None = None
    author: str | None = None
    generator: str | None = None
    category: Category | None = None
    ttl_minutes: int | None = None  # RSS only


@dataclass(frozen=True)
class Item:
    """One entry. ``summary`` and ``full_text`` are plain text (paragraphs separated by newlines)."""

    id: str
    link: str
    title: str
    summary: str
    full_text: str | None = None  # only where the source allows republishing
    published: datetime | None = None
    updated: datetime | None = None
    author: str | None = None
    category: Category | None = None
    language: str | None = None
    related_url: str | None = None  # the original article, when the link is ours
    id_is_link: bool = True  # RSS guid isPermaLink
    atom_id: str | None = None  # when Atom's id (an IRI) differs from ``id``
    extra: dict[str, Any] = field(default_factory=dict)  # JSON Feed only, e.g. date_modified


def xml_text(value: str) -> str:
    """``value`` without the characters that would make the document not well-formed."""
    return _NOT_XML.sub("", value)


def html_paragraphs(text: str) -> str:
    """Plain text as HTML: each non-blank line escaped and wrapped in ``<p>``."""
    lines = (line.strip() for line in text.replace("\r\n", "\n").split("\n"))
    return "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in lines if line)


def rfc822(value: datetime) -> str:
    if value.utcoffset() == timedelta(0):
        return format_datetime(value.astimezone(UTC), usegmt=True)
    return format_datetime(value)


def rfc3339(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def sub_element(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    """A child element whose text and attributes are made safe for XML 1.0."""
    el = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def xml_document(root: ET.Element) -> str:
    """The document of ``root``, with its XML declaration."""
    return ET.tostring(root, encoding="unicode", xml_declaration=False).join(
        ['<?xml version="1.0" encoding="utf-8"?>\n', "\n"]
    )


def write_rss(channel: Channel, items: list[Item]) -> str:
    """An RSS 2.0 document."""
    rss = ET.Element("rss", {"version": "2.0"})
    ch = sub_element(rss, "channel")
    sub_element(ch, "title", channel.title)
    sub_element(ch, "link", channel.home_url)
    sub_element(ch, "description", channel.description or channel.title)
    sub_element(ch, f"{{{ATOM_NS}}}link", href=channel.self_url, rel="self", type="application/rss+xml")
    if channel.language:
        sub_element(ch, "language", channel.language)
    sub_element(ch, "lastBuildDate", rfc822(channel.updated))
    if channel.generator:
        sub_element(ch, "generator", channel.generator)
    if channel.ttl_minutes is not None:
        sub_element(ch, "ttl", str(channel.ttl_minutes))
    if channel.category:
        sub_element(ch, "category", channel.category.label)
    for item in items:
        el = sub_element(ch, "item")
        sub_element(el, "title", item.title)
        sub_element(el, "link", item.link)
        sub_element(el, "guid", item.id, isPermaLink="true" if item.id_is_link else "false")
        if item.published is not None:
            sub_element(el, "pubDate", rfc822(item.published))
        if item.author:
            sub_element(el, f"{{{DC_NS}}}creator", item.author)
        sub_element(el, "description", html_paragraphs(item.full_text or item.summary))
        if item.category:
            sub_element(el, "category", item.category.label)
    return xml_document(rss)


def write_atom(channel: Channel, items: list[Item]) -> str:
    """An Atom 1.0 document; an entry without a date of its own is dated by the feed."""
    ns = f"{{{ATOM_NS}}}"
    root = ET.Element(f"{ns}feed")
    if channel.language:
        root.set("{http://www.w3.org/XML/1998/namespace}lang", channel.language)
    sub_element(root, f"{ns}id", channel.self_url)
    sub_element(root, f"{ns}title", channel.title)
    if channel.description:
        sub_element(root, f"{ns}subtitle", channel.description)
    sub_element(root, f"{ns}updated", rfc3339(channel.updated))
    sub_element(root, f"{ns}link", href=channel.self_url, rel="self", type="application/atom+xml")
    sub_element(root, f"{ns}link", href=channel.home_url, rel="alternate", type="text/html")
    if channel.author:
        sub_element(sub_element(root, f"{ns}author"), f"{ns}name", channel.author)
    if channel.generator:
        sub_element(root, f"{ns}generator", channel.generator)
    if channel.category:
        _category(root, f"{ns}category", channel.category)
    for item in items:
        entry = sub_element(root, f"{ns}entry")
        sub_element(entry, f"{ns}id", item.atom_id or item.id)
        sub_element(entry, f"{ns}title", item.title)
        published = item.published or channel.updated
        sub_element(entry, f"{ns}updated", rfc3339(item.updated or published))
        sub_element(entry, f"{ns}published", rfc3339(published))
        sub_element(entry, f"{ns}link", href=item.link, rel="alternate", type="text/html")
        if item.related_url:
            sub_element(entry, f"{ns}link", href=item.related_url, rel="related", type="text/html")
        if item.author:
            sub_element(sub_element(entry, f"{ns}author"), f"{ns}name", item.author)
        if item.category:
            _category(entry, f"{ns}category", item.category)
        sub_element(entry, f"{ns}summary", html_paragraphs(item.summary), type="html")
        if item.full_text:
            sub_element(entry, f"{ns}content", html_paragraphs(item.full_text), type="html")
    return xml_document(root)


def _category(parent: ET.Element, tag: str, category: Category) -> None:
    sub_element(parent, tag, term=category.term or category.label, label=category.label)


def write_json_feed(channel: Channel, items: list[Item]) -> str:
    """A JSON Feed 1.1 document."""
    entries: list[dict[str, Any]] = []
    for item in items:
        entry: dict[str, Any] = {
            "id": item.id,
            "url": item.link,
            "title": item.title,
            "content_text": item.full_text or item.summary,
            "summary": item.summary,
        }
        if item.published is not None:
            entry["date_published"] = rfc3339(item.published)
        entry |= item.extra
        if item.author:
            entry["authors"] = [{"name": item.author}]
        if item.related_url:
            entry["external_url"] = item.related_url
        if item.category:
            entry["tags"] = [item.category.label]
        if item.language:
            entry["language"] = item.language
        entries.append(entry)
    doc: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": channel.title,
        "home_page_url": channel.home_url,
        "feed_url": channel.self_url,
        "description": channel.description,
    }
    if channel.language:
        doc["language"] = channel.language
    if channel.author:
        doc["authors"] = [{"name": channel.author}]
    doc["items"] = entries
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


WRITERS: dict[str, Callable[[Channel, list[Item]], str]] = {
    "rss": write_rss,
    "atom": write_atom,
    "json": write_json_feed,
}


def write_feed(fmt: str, channel: Channel, items: list[Item]) -> tuple[str, str]:
    """``(content_type, body)`` of the feed in ``fmt`` ("rss", "atom" or "json")."""
    return CONTENT_TYPES[fmt], WRITERS[fmt](channel, items)


__all__ = [
    "CONTENT_TYPES",
    "Category",
    "Channel",
    "Item",
    "html_paragraphs",
    "rfc822",
    "rfc3339",
    "sub_element",
    "write_atom",
    "write_feed",
    "write_json_feed",
    "write_rss",
    "xml_document",
    "xml_text",
]
