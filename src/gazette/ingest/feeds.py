"""Ingest: read a fetched document as a feed — RSS 0.9x/1.0/2.0 and Atom (feedparser), JSON Feed 1.0/1.1.

Before any XML parser sees the body, its prolog is read here: entity declarations and internal DTD
subsets (XXE, billion laughs) and external DTDs other than RSS 0.91's well-known one are refused, and an
HTML page is told apart from a feed. Feeds with more items than the cap are cut before parsing, so a
100,000-item feed costs no more than a 500-item one. Entries leave with absolute http(s) URLs, plain-text
titles and authors, sanitized summaries and UTC dates. Only ``FeedError`` is raised.
"""

from __future__ import annotations

import calendar
import codecs
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
import nh3
from feedparser.exceptions import NonXMLContentType

from gazette import models
from gazette.errors import FeedError

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
_CHAR_REF_RE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
_XML_DECL_ENCODING_RE = re.compile(r"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*)(?:"[^"]*"|'[^']*')""")
# feedparser's e-mail regex is quadratic on author strings like "a@" + "a." * 16000: long runs of text in
# the elements it reads that way are shortened before it sees them.
AUTHOR_RUN_KEEP = 1000
_AUTHOR_RUN_RE = re.compile(
    rb"(<(?:[\w.-]+:)?(?:author|creator|managingEditor|webMaster|publisher|contributor|email|name)"
    rb"(?:\s[^<>]*)?>(?:<!\[CDATA\[)?)([^<\]]{%d,})" % (AUTHOR_RUN_KEEP + 1),
    re.IGNORECASE,
)
_EMAIL_NAME_RE = re.compile(r"^[^\s@()<>]+@[^\s()<>]+\s*\((?P<name>[^()]+)\)$")
_NAME_EMAIL_RE = re.compile(r"^(?P<name>[^<>]+?)\s*<[^\s@<>]+@[^\s<>]+>$")

SUMMARY_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "em", "figcaption", "figure", "h2", "h3",
    "h4", "hr", "i", "img", "li", "ol", "p", "pre", "q", "s", "small", "strong", "sub", "sup", "u", "ul",
}  # fmt: skip
SUMMARY_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}


# -- the prolog check ----------------------------------------------------------------------------------


def _scan_text(content: bytes) -> tuple[str, int, bool]:
    """Text to scan the prolog in, the byte offset it starts at, and whether offsets map 1:1 to bytes."""
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if content.startswith(bom):
            return content[len(bom) :].decode(enc, errors="replace"), len(bom), False
    if content[:4] in (b"<\x00?\x00", b"<\x00!\x00") or content[:2] == b"<\x00":
        return content.decode("utf-16-le", errors="replace"), 0, False
    if content[:4] in (b"\x00<\x00?", b"\x00<\x00!") or content[:2] == b"\x00<":
        return content.decode("utf-16-be", errors="replace"), 0, False
    start = 3 if content.startswith(codecs.BOM_UTF8) else 0
    # latin-1 keeps every byte at its offset; the markup we look for is ASCII.
    return content[start:].decode("latin-1"), start, True


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


def _shorten_author(m: re.Match[bytes]) -> bytes:
    run = m.group(2)
    cut = AUTHOR_RUN_KEEP
    while cut > 0 and 0x80 <= run[cut] < 0xC0:  # do not split a UTF-8 character
        cut -= 1
    return m.group(1) + run[:cut]


def _drop_bad_char_ref(m: re.Match[bytes]) -> bytes:
    """A character reference XML forbids (a surrogate, NUL, U+FFFE…) becomes nothing; others stay.

    (feedparser's fallback parser would raise UnicodeEncodeError on ``&#xD800;``, failing the whole feed.)
    """
    digits = m.group(1) or m.group(2)
    value = int(digits, 16) if m.group(1) else int(digits)
    allowed = value in (0x9, 0xA, 0xD) or 0x20 <= value <= 0xD7FF or 0xE000 <= value <= 0xFFFD
    return m.group(0) if allowed or 0x10000 <= value <= 0x10FFFF else b""


def _repair_utf8(content: bytes, text: str, charset: str | None) -> bytes | None:
    """UTF-8 bytes with invalid sequences replaced by U+FFFD, when the document is UTF-8 but has some.

    Without this, one bad sequence makes feedparser read the whole document as windows-1252 and every
    other accented letter turns to mojibake. A document that names another encoding is left alone, and so
    is an undeclared one with no valid multi-byte UTF-8 at all (most likely really windows-1252).
    """
    m = _XML_DECL_ENCODING_RE.match(text)
    declared = (charset or (m.group(0).rsplit("=", 1)[-1].strip().strip("\"'") if m else "")).lower()
    if declared and declared.replace("-", "").replace("_", "") != "utf8":
        return None
    try:
        content.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    decoded = content.decode("utf-8", errors="replace")
    if not declared:
        bad = len(re.findall("\ufffd+", decoded))  # one broken sequence gives a run of U+FFFD
        good = sum(1 for ch in decoded if ord(ch) > 0x7F and ch != "\ufffd")
        if good <= bad:
            return None
    return decoded.encode("utf-8")


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


def plain_text(value: Any, limit: int = MAX_TITLE) -> str | None:
    """A one-line plain-text version of a title or name: tags dropped, entities decoded, capped."""
    if not isinstance(value, str):
        return None
    value = _clean_chars(value)
    if _MARKUP_RE.search(value):
        value = html.unescape(nh3.clean(value, tags=set()))
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
    cleaned = nh3.clean(
        value,
        tags=SUMMARY_TAGS,
        attributes=SUMMARY_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
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
    text, offset, bytewise = _scan_text(content)
    head = text.lstrip(" \t\r\n\ufeff")
    if head.startswith(("{", "[")):
        return _parse_json_feed(doc, max_items)
    if not bytewise and head.startswith("<"):
        # UTF-16/32: re-encode as UTF-8 so the checks and cuts below work on byte offsets.
        content = _XML_DECL_ENCODING_RE.sub(r'\1"utf-8"', text, count=1).encode("utf-8")
        text, offset, bytewise = _scan_text(content)
    elif head.startswith("<"):
        repaired = _repair_utf8(content, text, doc.charset)
        if repaired is not None:
            content = repaired
            text, offset, bytewise = _scan_text(content)
    if not head.startswith("<"):
        if "html" in doc.content_type:
            raise FeedError(url, "not a feed: got an HTML page")
        raise FeedError(url, "not a feed: the body is neither XML nor JSON")
    root, drop = _prolog(url, text)
    if root is None:
        raise FeedError(url, "not a feed: no root element")
    if root.lower() in ("html", "head", "body") or root.lower().endswith(":html"):
        raise FeedError(url, "not a feed: got an HTML page")

    body = content
    warning: str | None = None
    if bytewise:
        if drop is not None:
            start, end = drop[0] + offset, drop[1] + offset
            body = body[:start] + b" " * (end - start) + body[end:]
        cut = _cut_items(text, max_items)
        if cut is not None:
            closing = "</channel></rss>" if root.lower() == "rss" else f"</{root}>"
            body = body[: cut + offset] + closing.encode("ascii")
            warning = f"more than {max_items} items; read the first {max_items}"

        body = _AUTHOR_RUN_RE.sub(_shorten_author, body)
        body = _CHAR_REF_RE.sub(_drop_bad_char_ref, body)

    headers = {"content-location": doc.final_url or url}
    if doc.headers.get("content-type"):
        headers["content-type"] = doc.headers["content-type"]
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

    base = doc.final_url or url
    meta = result.get("feed") or {}
    feed_base = absolute_url(meta.get("link"), base) or base
    parsed = models.ParsedFeed(
        url=url,
        title=plain_text(meta.get("title")),
        link=absolute_url(meta.get("link"), base),
        language=plain_text(meta.get("language"), 35),
        warning=warning,
        ttl=plain_text(meta.get("ttl"), 20),
        update_period=plain_text(meta.get("sy_updateperiod"), 20),
        update_frequency=plain_text(meta.get("sy_updatefrequency"), 20),
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
        title=plain_text(raw.get("title")),
        summary=sanitize_summary(summary),
        author=plain_text(author, MAX_AUTHOR),
        published_at=published,
    )


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


def _parse_json_feed(doc: models.FetchedDocument, max_items: int) -> models.ParsedFeed:
    url = doc.url
    try:
        data = json.loads(doc.content.decode(doc.charset or "utf-8-sig", errors="replace"))
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
    base = doc.final_url or url
    if isinstance(data.get("feed_url"), str):
        base = absolute_url(data["feed_url"], base) or base
    parsed = models.ParsedFeed(
        url=url,
        title=plain_text(data.get("title")),
        link=absolute_url(data.get("home_page_url"), base),
        language=plain_text(data.get("language"), 35),
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
                title=plain_text(item.get("title")),
                summary=sanitize_summary(summary),
                author=plain_text(_json_author(item) or _json_author(data), MAX_AUTHOR),
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
