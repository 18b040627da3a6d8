"""Ingest: read and write OPML subscription lists (``gazette import-opml`` / ``export-opml``).

Reading goes through defusedxml (no DTD entities, no external references). A feed is an ``outline`` with an
``xmlUrl``; its section is its ``category`` attribute, else the text of the folder outline it sits in; its
source is Gazette's own ``source`` attribute (OPML 2.0 allows extra attributes). Writing groups feeds in one
folder outline per section, so other feed readers show the sections as folders.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError, SubElement, indent, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from gazette.errors import FeedError

logger = logging.getLogger(__name__)

OPML_NAME = "OPML file"
MAX_OPML_BYTES = 20 * 1024 * 1024


@dataclass
class OpmlFeed:
    """One subscription as OPML carries it."""

    url: str
    title: str | None = None
    section: str | None = None
    source: str | None = None
    html_url: str | None = None  # written (htmlUrl), not read: the site the feed belongs to
    language: str | None = None  # written, not read


def _attr(el: Element, name: str) -> str | None:
    """An attribute by name, case-insensitively (``xmlUrl``, ``xmlurl`` and ``XMLURL`` all occur)."""
    wanted = name.lower()
    for key, value in el.attrib.items():
        if key.lower() == wanted:
            value = " ".join(value.split())
            return value or None
    return None


def _category(value: str | None) -> str | None:
    """The first category of an OPML ``category`` attribute ("/News/World,/Sport" → "World")."""
    if not value:
        return None
    first = value.split(",")[0].strip().strip("/")
    return first.rsplit("/", 1)[-1].strip() or None


def read_opml(data: bytes) -> list[OpmlFeed]:
    """Every http(s) feed listed in an OPML document, in document order, each URL once.

    Raises ``FeedError`` for anything that is not readable OPML.
    """
    if not data or not data.strip():
        raise FeedError(OPML_NAME, "not OPML: empty file")
    if len(data) > MAX_OPML_BYTES:
        raise FeedError(OPML_NAME, f"not OPML: larger than {MAX_OPML_BYTES} bytes")
    try:
        root = fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError(
            OPML_NAME, f"refused: {type(exc).__name__} (DTD entities or external references)"
        ) from exc
    except (ParseError, ValueError, UnicodeError) as exc:
        raise FeedError(OPML_NAME, f"not OPML: malformed XML ({exc})") from exc
    if root.tag.lower() != "opml":
        raise FeedError(OPML_NAME, f"not OPML: the root element is <{root.tag}>")
    body = next((child for child in root if child.tag.lower() == "body"), None)
    if body is None:
        raise FeedError(OPML_NAME, "not OPML: no <body>")

    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    # Depth-first, in document order, without recursion (a hostile file may nest 100,000 deep).
    stack: list[tuple[Element, str | None]] = [(el, None) for el in reversed(list(body))]
    while stack:
        el, folder = stack.pop()
        if not isinstance(el.tag, str) or el.tag.lower() != "outline":
            continue
        url = _attr(el, "xmlUrl")
        label = _attr(el, "title") or _attr(el, "text")
        if url is None:
            folder = label or folder  # a folder: its text names the section of what it holds
        elif urlsplit(url).scheme.lower() not in ("http", "https") or "://" not in url:
            logger.warning("OPML entry %r skipped: not an http(s) feed URL", url[:200])
        elif url not in seen:
            seen.add(url)
            section = _category(_attr(el, "category")) or folder
            feeds.append(OpmlFeed(url=url, title=label, section=section, source=_attr(el, "source")))
        stack.extend((child, folder) for child in reversed(list(el)))
    return feeds


def write_opml(
    feeds: list[OpmlFeed],
    title: str = "Gazette feeds",
    *,
    folder_of: Callable[[OpmlFeed], str | None] = lambda feed: feed.section,
    created: datetime | None = None,
) -> str:
    """An OPML 2.0 document listing ``feeds``, one folder outline per ``folder_of(feed)`` (by default the
    section; feeds without one at the top). Each feed's section is also its ``category``, so a reader that
    ignores folders still gets it. The one OPML writer: ``gazette feeds export`` and the demo publisher."""
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    SubElement(head, "dateCreated").text = format_datetime(created or datetime.now(UTC), usegmt=True)
    body = SubElement(root, "body")
    folders: dict[str, Element] = {}
    for feed in feeds:
        parent = body
        name = folder_of(feed)
        if name:
            parent = folders.get(name)  # type: ignore[assignment]
            if parent is None:
                parent = folders[name] = SubElement(body, "outline", text=name, title=name)
        attrs = {
            "type": "rss",
            "text": feed.title or feed.url,
            "xmlUrl": feed.url,
        }  # "rss": OPML's word for any feed
        optional = {
            "title": feed.title,
            "htmlUrl": feed.html_url,
            "language": feed.language,
            "category": feed.section,
            "source": feed.source,
        }
        attrs |= {key: value for key, value in optional.items() if value}
        SubElement(parent, "outline", attrs)
    indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode") + "\n"
