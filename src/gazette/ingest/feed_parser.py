"""Ingest: read a fetched document as a feed — RSS 0.9x/1.0/2.0 and Atom (feedparser), JSON Feed 1.0/1.1.

The body is decoded once (:mod:`gazette.ingest.charset`, which refuses encodings that are not
ASCII-compatible), and every check below reads that text; feedparser then gets the same text as UTF-8 that
says so, with the response's Content-Location as its base. Before any XML parser sees it, the prolog is
read here: entity declarations and internal DTD subsets (XXE, billion laughs) and external DTDs other than
RSS 0.91's well-known one are refused, and an HTML page is told apart from a feed. Feeds with more items
than the cap are cut before parsing, so a 100,000-item feed costs no more than a 500-item one. Entries
leave with absolute http(s) URLs, plain-text titles (read as text or as HTML, the way feedparser typed
them) and authors, sanitized summaries and UTC dates. Only ``FeedError`` is raised.
"""

from __future__ import annotations

import calendar
import html
import io
import json
import logging
import re
import time
import unicodedata
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from feedparser.exceptions import NonXMLContentType

from gazette import htmlpolicy, models
from gazette.errors import FeedError
from gazette.ingest.charset import decode_feed

logger = logging.getLogger(__name__)

MAX_TITLE = 1000
MAX_AUTHOR = 300
MAX_SUMMARY = 20_000
MAX_GUID = 1000
MAX_URL = 2048  # the store's URL columns hold this much; a longer link is dropped

# The DTD RSS 0.91 feeds name; it is never loaded, and a DOCTYPE naming it is dropped before parsing.
RSS091_PUBLIC_IDS = frozenset({"-//Netscape Communications//DTD RSS 0.91//EN"})

JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")

_DOCTYPE_RE = re.compile(
    r"""<!DOCTYPE\s+(?P<name>[^\s\[>]+)
        (?:\s+(?P<kind>SYSTEM|PUBLIC)
           (?P<ids>(?:\s+(?:"[^"]*"|'[^']*'))*))?
        \s*(?P<subset>\[)?""",
    re.IGNORECASE | re.VERBOSE,
)
_QUOTED_RE = re.compile(r"\"([^\"]*)\"|'([^']*)'")
_ROOT_RE = re.compile(r"<([A-Za-z_][\w.\-]*(?::[\w.\-]+)?)")
_ITEM_END_RE = re.compile(r"</(?:[\w.\-]+:)?(?:item|entry)\s*>")
_MARKUP_RE = re.compile(r"<[A-Za-z/!?]|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
# C0/C1 controls except tab/newline/CR, lone surrogates, non-characters U+FFFE/U+FFFF.
_BAD_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Directional overrides and isolates: legitimate right-to-left text does not need them in a headline,
# and they can make a title read differently from what it is.
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SPACE_RE = re.compile(r"\s+")
_CHAR_REF_RE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
# Where feedparser splits off the prolog (its pattern runs on bytes, so its \w is ASCII).
_FIRST_ELEMENT_RE = re.compile(r"<[A-Za-z0-9_]")
_XML_DECL_ENCODING_RE = re.compile(r"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*)(?:"[^"]*"|'[^']*')""")
# feedparser's e-mail regex is quadratic on author strings like "a@" + "a." * 16000: long runs of text in
# the elements it reads that way are shortened before it sees them.
AUTHOR_RUN_KEEP = 1000
_AUTHOR_RUN_RE = re.compile(
    r"(<(?:[\w.-]+:)?(?:author|creator|managingEditor|webMaster|publisher|contributor|email|name)"
    r"(?:\s[^<>]*)?>(?:<!\[CDATA\[)?)([^<\]]{" + str(AUTHOR_RUN_KEEP + 1) + ",})",
    re.IGNORECASE,
)
_EMAIL_NAME_RE = re.compile(r"^[^\s@()<>]+@[^\s()<>]+\s*\((?P<name>[^()]+)\)$")
_NAME_EMAIL_RE = re.compile(r"^(?P<name>[^<>]+?)\s*<[^\s@<>]+@[^\s<>]+>$")

# -- the prolog check ----------------------------------------------------------------------------------


def _prolog(url: str, text: str) -> tuple[str | None, tuple[int, int] | None]:
    """The root element's name, and the span of a DOCTYPE to drop before parsing (None: none).

    Raises FeedError for entity declarations, internal subsets and unknown external DTDs.
    """
    pos = 0
    n = len(text)
    drop: tuple[int, int] | None = None
    while pos < n:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            if end < 0:
                return None, drop
            pos = end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            if end < 0:
                return None, drop
            pos = end + 3
        elif text[pos : pos + 9].upper() == "<!DOCTYPE":
            m = _DOCTYPE_RE.match(text, pos)
            if m is None:
                raise FeedError(url, "refused: unreadable DOCTYPE declaration")
            name = m.group("name").lower()
            if name == "html":
                raise FeedError(url, "not a feed: got an HTML page")
            if m.group("subset") or "<!ENTITY" in text[pos : pos + 4096].upper():
                raise FeedError(
                    url, "refused: the document declares a DTD with entities (XXE or entity expansion)"
                )
            if m.group("kind"):
                ids = [a or b for a, b in _QUOTED_RE.findall(m.group("ids") or "")]
                public = ids[0] if m.group("kind").upper() == "PUBLIC" and ids else None
                if public not in RSS091_PUBLIC_IDS:
                    raise FeedError(url, "refused: the document references an external DTD")
            end = text.find(">", m.end())
            if end < 0:
                raise FeedError(url, "not a feed: unterminated DOCTYPE")
            drop = (pos, end + 1)
            pos = end + 1
        elif text.startswith("<!", pos):
            raise FeedError(url, "refused: unexpected markup declaration before the root element")
        elif text.startswith("<", pos):
            m = _ROOT_RE.match(text, pos)
            return (m.group(1) if m else None), drop
        else:
            return None, drop
    return None, drop


def _shorten_author(m: re.Match[str]) -> str:
    return m.group(1) + m.group(2)[:AUTHOR_RUN_KEEP]


def _drop_bad_char_ref(m: re.Match[str]) -> str:
    """A character reference XML forbids (a surrogate, NUL, U+FFFE…) becomes nothing; others stay.

    (feedparser's fallback parser would raise UnicodeEncodeError on ``&#xD800;``, failing the whole feed.)
    """
    digits = m.group(1) or m.group(2)
    value = int(digits, 16) if m.group(1) else int(digits)
    allowed = value in (0x9, 0xA, 0xD) or 0x20 <= value <= 0xD7FF or 0xE000 <= value <= 0xFFFD
    return m.group(0) if allowed or 0x10000 <= value <= 0x10FFFF else ""


def _cut_items(text: str, max_items: int) -> int | None:
    """Offset just after the ``max_items``-th item, or None when the feed has no more than that."""
    count = 0
    for m in _ITEM_END_RE.finditer(text):
        count += 1
        if count == max_items:
            nxt = _ITEM_END_RE.search(text, m.end())
            return m.end() if nxt is not None else None
    return None


# -- text cleaning ------------------------------------------------------------------------------------


def _clean_chars(value: str) -> str:
    return _BAD_CHARS_RE.sub("", value)


def one_line_text(value: Any, limit: int = MAX_TITLE, *, markup: bool = True) -> str | None:
    """A one-line plain-text version of a title or name: tags dropped, entities decoded, capped.

    With ``markup=False`` the value is already text (an Atom ``type="text"`` title, an RSS title feedparser
    did not take for HTML): "Vec<T>" keeps its "<T>" and "&amp;" stays as written.
    """
    if not isinstance(value, str):
        return None
    value = _clean_chars(value)
    if markup and _MARKUP_RE.search(value):
        value = html.unescape(htmlpolicy.TEXT.clean(value))
        value = _clean_chars(value)
    value = _BIDI_RE.sub("", value)
    value = _SPACE_RE.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return value or None


def sanitize_summary(value: Any) -> str | None:
    """Summary HTML with only harmless tags and http(s) links left; plain text stays text (escaped)."""
    if not isinstance(value, str):
        return None
    value = _clean_chars(value)[:MAX_SUMMARY]
    if not value.strip():
        return None
    cleaned = htmlpolicy.SUMMARY.clean(value)
    return cleaned.strip() or None


def absolute_url(value: Any, base_url: str) -> str | None:
    """``value`` resolved against the feed URL if it gives an http(s) URL with a host; else None."""
    if not isinstance(value, str):
        return None
    value = _clean_chars(value).strip()
    if not value or len(value) > MAX_URL:
        return None
    try:
        resolved = urljoin(base_url, value)
        parts = urlsplit(resolved)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        logger.debug("dropped link %r: not an http(s) URL", value[:200])
        return None
    return resolved


def _struct_to_utc(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _iso_to_utc(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _document_base(doc: models.FetchedDocument) -> str:
    """The URL relative references resolve against: the response's Content-Location (RFC 9110 §8.7)
    resolved against the URL fetched, when it is an http(s) URL; else the URL fetched."""
    fetched = doc.final_url or doc.url
    location = doc.headers.get("content-location", "").strip()
    return (absolute_url(location, fetched) if location else None) or fetched


# -- the parsers --------------------------------------------------------------------------------------


def parse_feed(doc: models.FetchedDocument, *, max_items: int = 500) -> models.ParsedFeed:
    """The feed in ``doc``: metadata and at most ``max_items`` entries. Raises only ``FeedError``."""
    url = doc.url
    try:
        return _parse(doc, max_items)
    except FeedError:
        raise
    except Exception as exc:  # a parser bug on hostile input is this feed's error, not the run's
        logger.warning("feed parser failed on %s: %s", url, exc, exc_info=True)
        raise FeedError(url, f"not a feed: parser failed ({type(exc).__name__})") from exc


def _parse(doc: models.FetchedDocument, max_items: int) -> models.ParsedFeed:
    url = doc.url
    content = doc.content or b""
    if not content.strip():
        raise FeedError(url, "not a feed: empty body")
    # Decided once; every check below and feedparser itself read this same text.
    decoded = decode_feed(url, content, doc.charset)
    text = decoded.text.lstrip("\ufeff")
    head = text.lstrip(" \t\r\n")
    if head.startswith(("{", "[")):
        return _parse_json_feed(doc, text, max_items)
    if not head.startswith("<"):
        if "html" in doc.content_type:
            raise FeedError(url, "not a feed: got an HTML page")
        raise FeedError(url, "not a feed: the body is neither XML nor JSON")
    root, drop = _prolog(url, text)
    if root is None:
        raise FeedError(url, "not a feed: no root element")
    if root.lower() in ("html", "head", "body") or root.lower().endswith(":html"):
        raise FeedError(url, "not a feed: got an HTML page")
    # feedparser collects <!ENTITY lines from everything before the first element, comments included.
    first = _FIRST_ELEMENT_RE.search(text)
    if "<!ENTITY" in text[: first.start() if first else len(text)].upper():
        raise FeedError(url, "refused: the document declares entities (XXE or entity expansion)")

    warning: str | None = None
    if drop is not None:
        text = text[: drop[0]] + " " * (drop[1] - drop[0]) + text[drop[1] :]
    cut = _cut_items(text, max_items)
    if cut is not None:
        closing = "</channel></rss>" if root.lower() == "rss" else f"</{root}>"
        text = text[:cut] + closing
        warning = f"more than {max_items} items; read the first {max_items}"
    text = _AUTHOR_RUN_RE.sub(_shorten_author, text)
    text = _CHAR_REF_RE.sub(_drop_bad_char_ref, text)
    text = _XML_DECL_ENCODING_RE.sub(r'\1"utf-8"', text, count=1)
    body = text.encode("utf-8", "replace")

    base = _document_base(doc)
    media_type = doc.content_type or "application/xml"
    # UTF-8 that says so, in the header and the XML declaration: feedparser has nothing left to guess.
    headers = {"content-location": base, "content-type": f"{media_type}; charset=utf-8"}
    # A stream, never bytes or str: feedparser opens a str (and may open bytes) as a URL or file path.
    result = feedparser.parse(
        io.BytesIO(body), response_headers=headers, resolve_relative_uris=True, sanitize_html=True
    )
    version = result.get("version") or ""
    entries_raw = result.get("entries") or []
    if not version:
        reason = _bozo_reason(result) or "no RSS, Atom or JSON Feed found"
        raise FeedError(url, f"not a feed: {reason}")
    if result.get("bozo") and not entries_raw and not (result.get("feed") or {}).get("title"):
        raise FeedError(url, f"not a feed: malformed XML ({_bozo_reason(result)})")
    if result.get("bozo") and not isinstance(result.get("bozo_exception"), NonXMLContentType):
        # (A feed served as text/plain or text/html is common and harmless, so not worth a warning.)
        bozo = f"recovered from: {_bozo_reason(result)}"
        warning = f"{warning}; {bozo}" if warning else bozo

    meta = result.get("feed") or {}
    feed_base = absolute_url(meta.get("link"), base) or base
    parsed = models.ParsedFeed(
        url=url,
        title=_title(meta),
        link=absolute_url(meta.get("link"), base),
        language=one_line_text(meta.get("language"), 35),
        warning=warning,
        ttl=one_line_text(meta.get("ttl"), 20),
        update_period=one_line_text(meta.get("sy_updateperiod"), 20),
        update_frequency=one_line_text(meta.get("sy_updatefrequency"), 20),
    )
    for raw in entries_raw[:max_items]:
        entry = _xml_entry(raw, base, feed_base)
        if entry is not None:
            parsed.entries.append(entry)
    logger.debug("parsed %s (%s): %d entries", url, version, len(parsed.entries))
    return parsed


def _bozo_reason(result: Any) -> str:
    exc = result.get("bozo_exception")
    if exc is None:
        return ""
    text = _SPACE_RE.sub(" ", str(exc)).strip()[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _xml_entry(raw: Any, base: str, feed_base: str) -> models.FeedEntry | None:
    link = None
    for candidate in _entry_links(raw):
        link = absolute_url(candidate, base)
        if link:
            break
    guid = raw.get("id")
    if link is None and raw.get("guidislink") is not False:
        link = absolute_url(guid, base) if isinstance(guid, str) and "://" in guid else None
    if link is None:
        logger.debug("dropped entry %r: no http(s) link", str(raw.get("title", ""))[:100])
        return None
    summary = raw.get("summary")
    if not summary:
        for content in raw.get("content") or []:
            if isinstance(content, dict) and content.get("value"):
                summary = content["value"]
                break
    author = _author_name(raw.get("author"))
    published = _struct_to_utc(raw.get("published_parsed")) or _struct_to_utc(raw.get("updated_parsed"))
    return models.FeedEntry(
        url=link,
        guid=_clean_chars(guid)[:MAX_GUID] if isinstance(guid, str) and guid.strip() else None,
        title=_title(raw),
        summary=sanitize_summary(summary),
        author=one_line_text(author, MAX_AUTHOR),
        published_at=published,
    )


def _title(obj: Any) -> str | None:
    """A feed's or entry's title as text, read the way feedparser typed it (``title_detail.type``)."""
    detail = obj.get("title_detail")
    kind = detail.get("type") if isinstance(detail, dict) else None
    return one_line_text(obj.get("title"), markup=kind != "text/plain")


def _author_name(value: Any) -> str | None:
    """The name in RSS's "email (Name)" or "Name <email>"; the value itself otherwise.

    (feedparser's own split of these misreads some addresses, e.g. "ple (Lois Lane" for
    "lois@planet.example (Lois Lane)".)
    """
    if not isinstance(value, str):
        return None
    value = value.strip()[: MAX_AUTHOR * 4]
    m = _EMAIL_NAME_RE.match(value) or _NAME_EMAIL_RE.match(value)
    return m.group("name").strip() if m else value


def _entry_links(raw: Any) -> list[Any]:
    links: list[Any] = []
    for item in raw.get("links") or []:
        if isinstance(item, dict) and item.get("rel", "alternate") == "alternate" and item.get("href"):
            links.append(item["href"])
    if raw.get("link"):
        links.insert(0, raw.get("link"))
    return links


def _parse_json_feed(doc: models.FetchedDocument, text: str, max_items: int) -> models.ParsedFeed:
    url = doc.url
    try:
        data = json.loads(text)
    except (ValueError, LookupError, RecursionError) as exc:
        raise FeedError(url, f"not a feed: malformed JSON ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise FeedError(url, "not a feed: JSON that is not an object")
    version = data.get("version")
    if not isinstance(version, str) or not version.startswith(JSON_FEED_VERSIONS):
        raise FeedError(url, "not a feed: JSON without a JSON Feed version")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError(url, "not a feed: JSON Feed without an items list")
    base = _document_base(doc)
    if isinstance(data.get("feed_url"), str):
        base = absolute_url(data["feed_url"], base) or base
    parsed = models.ParsedFeed(
        url=url,
        title=one_line_text(data.get("title")),
        link=absolute_url(data.get("home_page_url"), base),
        language=one_line_text(data.get("language"), 35),
    )
    if len(items) > max_items:
        parsed.warning = f"more than {max_items} items; read the first {max_items}"
    for item in items[:max_items]:
        if not isinstance(item, dict):
            continue
        link = absolute_url(item.get("url"), base) or absolute_url(item.get("external_url"), base)
        ident = item.get("id")
        ident = str(ident) if isinstance(ident, str | int) and not isinstance(ident, bool) else None
        if link is None and ident and "://" in ident:
            link = absolute_url(ident, base)
        if link is None:
            logger.debug("dropped JSON Feed item %r: no http(s) link", ident)
            continue
        summary = item.get("summary") or item.get("content_html")
        if not summary and isinstance(item.get("content_text"), str):
            summary = html.escape(item["content_text"])
        parsed.entries.append(
            models.FeedEntry(
                url=link,
                guid=_clean_chars(ident)[:MAX_GUID] if ident else None,
                title=one_line_text(item.get("title")),
                summary=sanitize_summary(summary),
                author=one_line_text(_json_author(item) or _json_author(data), MAX_AUTHOR),
                published_at=_iso_to_utc(item.get("date_published"))
                or _iso_to_utc(item.get("date_modified")),
            )
        )
    return parsed


def _json_author(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")
    if isinstance(authors, list):
        names = [str(a["name"]) for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
        if names:
            return ", ".join(names)
    author = obj.get("author")
    if isinstance(author, dict) and isinstance(author.get("name"), str):
        return str(author["name"])
    return None
