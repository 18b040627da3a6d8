"""Extract stage: a fetched page (and its feed entry) becomes an ``Article`` with clean text and metadata.

Steps: decode the bytes (``text.decode_html``), parse once, read metadata and main text with trafilatura
from that one tree, settle the publication date (``dates``: htmldate, checked against the page's structured
time and byline; the feed entry when the page has none), pick the canonical URL, repair every text
field with ftfy (``text.repair_text``), sanitize the article HTML (``sanitize.sanitize_html``) and hash the
normalized text. A page the extractor cannot use raises ``ExtractionRejected`` with a reason (permanent); any other
exception inside it (a bug, a package that cannot load) leaves as ``ExtractionFailed``, which the pipeline
retries on the next run.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import logging
import re
from datetime import UTC, datetime
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from gazette import models
from gazette.errors import ExtractionFailed, ExtractionRejected, GazetteError
from gazette.extract.byline import extract_byline
from gazette.extract.dates import published_date, settle_date, updated_date
from gazette.extract.sanitize import html_to_text, sanitize_html
from gazette.extract.text import decode_html, detect_language, repair_text
from gazette.urls import canonicalize_url, is_http_url, same_site

logger = logging.getLogger(__name__)

MIN_WORDS = 30  # below this a page is a teaser, an error page or a paywall stub
TITLE_MAX = 500
AUTHOR_MAX = 200
SITE_MAX = 200
# Real article pages stay far below this; extraction costs about a tenth of a millisecond per element.
MAX_ELEMENTS = 100_000
# The nodes ``tree.iter()`` walks (elements, comments, processing instructions), counted inside libxml2.
_COUNT_NODES = etree.XPath(
    "count(descendant-or-self::*|descendant::comment()|descendant::processing-instruction())"
)
# Characters given to py3langid, whose cost grows with them: on the 181 benchmark pages, the same answers as 5,000.
LANGUAGE_SAMPLE = 1000
# Below this many words, trafilatura's fast extraction is checked against its fallbacks (readability, jusText).
FALLBACK_WORDS = 100

_REJECTED_TYPES = (
    "image/",
    "audio/",
    "video/",
    "font/",
    "application/pdf",
    "application/zip",
    "application/json",
    "application/feed+json",
    "application/rss+xml",
    "application/atom+xml",
)
# Controls lxml refuses, noncharacters, and U+FFFD (bytes lost in decoding: nothing a reader can use).
_XML_INVALID_CHARS = "".join(
    map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xFFFD, 0xFFFE, 0xFFFF])
)
_XML_INVALID = re.compile(f"[{re.escape(_XML_INVALID_CHARS)}]")
_WS = re.compile(r"\s+")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


# What extraction imports (some lazily, inside a page's extraction): trafilatura pulls in jusText, which needs
# lxml's HTML cleaner, a separate package (lxml_html_clean) since lxml 5.2.
STACK = ("lxml.html", "lxml.html.clean", "justext", "trafilatura", "htmldate", "ftfy", "nh3", "py3langid")


def stack_problem() -> str | None:
    """None when every library extraction needs imports; else one line saying which one cannot and why."""
    for name in STACK:
        try:
            importlib.import_module(name)
        except Exception as exc:  # ImportError, or a package that breaks while importing
            detail = " ".join(str(exc).split())
            return (
                f"cannot extract articles: {name} does not import ({type(exc).__name__}: {detail}); "
                "reinstall gazette with its dependencies"
            )
    return None


def extract_article(doc: models.FetchedDocument, entry: models.FeedEntry | None = None) -> models.Article:
    """Text and metadata of one page; the feed entry fills what the page lacks.

    Raises ``ExtractionRejected(url, reason)`` when the page has no usable text, and ``ExtractionFailed`` when
    the extractor itself broke (nothing about the page is known then, so it is not a rejection).
    """
    try:
        return _extract(doc, entry)
    except GazetteError:
        raise
    except Exception as exc:  # a parser bug or a package that cannot load must not stop the batch
        logger.warning("extraction failed on %s: %s: %s", doc.url, type(exc).__name__, exc, exc_info=True)
        raise ExtractionFailed(doc.url, f"extraction failed ({type(exc).__name__}: {exc})") from exc


def _extract(doc: models.FetchedDocument, entry: models.FeedEntry | None) -> models.Article:
    url = doc.final_url or doc.url
    if doc.content_type.startswith(_REJECTED_TYPES):
        raise ExtractionRejected(doc.url, f"not an HTML page ({doc.content_type})")
    if not doc.content.strip():
        raise ExtractionRejected(doc.url, "empty page")
    declared = doc.charset or _header_charset(doc.headers.get("content-type", ""))
    html, codec = decode_html(doc.content, declared)
    if "\x00" in html[:4096] and html[:4096].count("\x00") > 64:
        raise ExtractionRejected(doc.url, "binary content")
    # One fast scan per character finds none of them on almost every page; the regex scan is slower.
    if any(ch in html for ch in _XML_INVALID_CHARS):
        html = _XML_INVALID.sub("", html)
    logger.debug("decoded %s as %s", url, codec)

    tree = _parse(html, doc.url)
    elements = int(_COUNT_NODES(tree))
    if elements > MAX_ELEMENTS:
        raise ExtractionRejected(doc.url, f"page too complex ({elements} elements)")
    _defuse(tree)
    base = url if is_http_url(url) else None
    meta = _metadata(tree)
    body_html = _main_html(tree)

    title = clean_line(meta.get("title"), TITLE_MAX) or clean_line(entry.title if entry else None, TITLE_MAX)
    body_html = _tidy_headings(body_html, title)
    # Repaired once, as HTML: the text is read from the repaired markup (ftfy costs per character).
    repaired = repair_text(body_html) if body_html else ""
    text = html_to_text(repaired) if repaired else ""
    html_out = sanitize_html(repaired, base) if repaired else ""

    words = _word_count(text)
    if words < MIN_WORDS and entry is not None and entry.summary:
        summary_text = repair_text(html_to_text(entry.summary))
        summary_words = _word_count(summary_text)
        if summary_words > words:
            logger.debug("page text too short on %s; using the feed summary", url)
            text, words = summary_text, summary_words
            html_out = sanitize_html(repair_text(entry.summary), base)
    if words == 0 or (words < MIN_WORDS and not (entry and entry.summary)):
        raise ExtractionRejected(doc.url, f"no usable text ({words} words)")
    if not title:
        title = clean_line(text.split("\n", 1)[0], 120) or ""

    author = clean_line(meta.get("author"), AUTHOR_MAX) or clean_line(
        entry.author if entry else None, AUTHOR_MAX
    )
    site = _site_name(meta.get("sitename")) or _host(url)
    now = datetime.now(UTC)
    page_date = published_date(tree, url, now)
    published = settle_date(page_date, entry.published_at if entry else None, now)
    updated = updated_date(tree, url, published, now) if page_date is not None else None
    language = detect_language(text[:LANGUAGE_SAMPLE]) or _html_lang(tree)

    return models.Article(
        url=doc.url,
        canonical_url=_canonical_url(tree, url),
        title=title,
        text=text,
        html=html_out,
        published_at=published,
        updated_at=updated,
        fetched_at=now,
        author=author,
        site=site,
        language=language,
        content_hash=content_hash(text),
        guid=entry.guid if entry else None,
    )


# -- fields ---------------------------------------------------------------------------------------


def clean_line(value: str | None, limit: int) -> str | None:
    """A one-line field (title, author, site): repaired, whitespace collapsed, capped at a word boundary."""
    if not value:
        return None
    text = _WS.sub(" ", repair_text(value)).strip()
    if len(text) > limit:
        cut = text[: limit - 1]
        space = cut.rfind(" ")
        if space > limit // 2:
            cut = cut[:space]
        text = cut.rstrip(" ,;:-") + "…"
    return text or None


def content_hash(text: str) -> str:
    """sha256 hex of the text with whitespace collapsed and case folded: the same story, the same hash."""
    normalized = " ".join(text.split()).casefold()
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACED_WORD = re.compile(f"[^\\W{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")


def _word_count(text: str) -> int:
    """Words, where Chinese and Japanese (written without spaces) count one word per two characters."""
    return len(_SPACED_WORD.findall(text)) + len(_CJK_CHAR.findall(text)) // 2


def _site_name(value: str | None) -> str | None:
    """A publisher's own name (og:site_name …); a bare domain is left out, since trafilatura takes that
    from ``<base>`` or ``rel=canonical``, which a page may point anywhere — the fetched host is used instead."""
    name = clean_line(value, SITE_MAX)
    if name and " " not in name and "." in name:
        return None
    return name


def _header_charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def _html_lang(tree: Any) -> str | None:
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    primary = lang.strip().split("-")[0].split("_")[0].lower()
    return primary if len(primary) == 2 and primary.isalpha() else None


# -- parsing and trafilatura ----------------------------------------------------------------------


def _parse(html: str, url: str) -> Any:
    tree = _load_html(html)
    if tree is None:
        try:
            tree = lxml.html.document_fromstring(html)
        except (etree.ParserError, ValueError) as exc:
            raise ExtractionRejected(url, "unparsable HTML") from exc
    return tree


def _load_html(html: str) -> Any:
    """The tree ``trafilatura.utils.load_html(html)`` gives for a decoded page, without its first step: that
    removes controls, U+FFFE and U+FFFF, which ``_extract`` has already removed (``_XML_INVALID_CHARS`` holds
    them all), and its regex scan of the whole page cost 0.6 ms a page. Its other steps, in its order:
    ``tests/extract/test_article.py`` checks that both give the same tree on every HTML fixture, its nodes of the
    same classes (the parser is trafilatura's, with a faster class lookup: ``_html_parser``)."""
    try:
        from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, HTML_PARSER  # noqa: F401 - present?
    except ImportError:  # a trafilatura whose inner names differ: its own loader, scan and all
        from trafilatura.utils import load_html

        return load_html(html)

    beginning = html[:50].lower()
    # repair_faulty_html, less the scan: a doctype libxml2 misreads (lxml bug 1955915), a self-closing <html/>
    if "doctype" in beginning:
        first, _, rest = html.partition("\n")
        html = DOCTYPE_TAG.sub("", first, count=1) + "\n" + rest
    for line in html[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            html = FAULTY_HTML.sub(r"\1>", html, count=1)
            break
    tree = None
    parsed_bytes = False
    try:
        tree = lxml.html.fromstring(html, parser=_html_parser())
    except ValueError:  # "Unicode strings with encoding declaration are not supported"
        tree, parsed_bytes = _from_bytes(html), True
    except Exception:
        logger.debug("lxml could not parse the page", exc_info=True)
    if (tree is None or len(tree) < 1) and not parsed_bytes:
        tree = _from_bytes(html)
    # not HTML at all: no "html" in its first 50 characters and fewer than two elements under the root
    if tree is not None and "html" not in beginning and len(tree) < 2:
        return None
    return tree


def _from_bytes(html: str) -> Any:
    """trafilatura's ``fromstring_bytes``: the page given to the parser as UTF-8, None when that fails too."""
    try:
        return lxml.html.fromstring(html.encode("utf8", "surrogatepass"), parser=_html_parser())
    except Exception:
        logger.debug("lxml could not parse the page as bytes", exc_info=True)
        return None


# lxml.html's element classes by tag (its HtmlElementClassLookup table); every other element is an HtmlElement.
_HTML_CLASSES = {
    "form": lxml.html.FormElement,
    "input": lxml.html.InputElement,
    "label": lxml.html.LabelElement,
    "select": lxml.html.SelectElement,
    "textarea": lxml.html.TextareaElement,
}


@functools.cache
def _html_parser() -> Any:
    """trafilatura's parser (``trafilatura.utils.HTML_PARSER``: comments and processing instructions dropped, no
    default doctype …), copied, with a class lookup that runs inside lxml. lxml.html's own lookup is a Python
    method, called for each element the first time any code reaches it: about 2,500 calls a page between
    trafilatura, htmldate and our own walks. This one gives every node the same class (the tag table above, by
    the lower-case names the HTML parser gives; ``HtmlComment`` and the like for the other nodes); trafilatura's
    extraction on the 181 pages of the article-extraction benchmark: 10.83 -> 10.44 ms a page."""
    from trafilatura.utils import HTML_PARSER

    lookup = etree.ElementNamespaceClassLookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    by_tag = lookup.get_namespace(None)
    for tag, element_class in _HTML_CLASSES.items():
        by_tag[tag] = element_class
    parser = HTML_PARSER.copy()
    parser.set_element_class_lookup(lookup)
    return parser


_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
# The links that can name a scheme: a colon, and not plainly http(s) or root-relative (most links are). libxml2
# reads the values; only these few become Python strings, where a loop over every element with a link cost more.
_SCHEMED_LINKS = etree.XPath(
    " | ".join(
        f"//@{attr}[contains(., ':') and not(starts-with(., 'http://') or starts-with(., 'https://')"
        " or starts-with(., '/'))]"
        for attr in ("href", "src")
    )
)
_DEAD_LINKS = etree.XPath("//a[not(@href)]")


def _defuse(tree: Any) -> None:
    """Before any extraction: drop ``<base>`` (it would move every relative link) and any link whose
    scheme, read the way a browser reads it (tabs, newlines and controls removed), is not http(s) or mailto.
    ``java&#x09;script:`` is otherwise taken for a relative path and joined to the page URL."""
    for el in list(tree.iter("base")):
        el.drop_tree()
    for value in _SCHEMED_LINKS(tree):
        match = _SCHEME.match(_URL_NOISE.sub("", value).lower())
        if match and match.group(1) not in ("http", "https", "mailto"):
            del value.getparent().attrib[value.attrname]
    for el in _DEAD_LINKS(tree):
        if el.getparent() is not None:
            el.drop_tag()  # keep the words, lose the dead link


def _metadata(tree: Any) -> dict[str, str | None]:
    """Title, author and site name, read the way ``trafilatura.extract_metadata`` reads them (meta tags, then
    JSON-LD, then the page's markup) without its date, URL, categories, tags and licence: the date is
    settled by ``extract.dates``, the rest is unused. None of these readers modifies the tree."""
    from trafilatura.metadata import (
        examine_meta,
        extract_meta_json,
        extract_sitename,
        extract_title,
    )

    try:
        document = examine_meta(tree)
        if document.author and " " not in document.author:
            document.author = None  # a handle or a single word is not a byline
        try:
            document = extract_meta_json(tree, document)
        except Exception:  # trafilatura's JSON-LD reader on broken JSON
            logger.debug("JSON-LD metadata failed", exc_info=True)
        title = document.title or extract_title(tree)
        author = document.author or extract_byline(tree)
        sitename = document.sitename or extract_sitename(tree)
    except Exception:  # metadata is optional; the feed entry fills in
        logger.debug("metadata extraction failed", exc_info=True)
        return {}
    if sitename:
        sitename = sitename.lstrip("@")
        if sitename and "." not in sitename and not sitename[0].isupper():
            sitename = sitename.title()
    return {"title": _trimmed(title), "author": _trimmed(author), "sitename": _trimmed(sitename)}


def _trimmed(value: str | None) -> str | None:
    """trafilatura's own last step on a metadata field: entities decoded, whitespace and controls trimmed."""
    from trafilatura.utils import line_processing

    if not isinstance(value, str):
        return None
    if len(value) > 10000:
        value = value[:9999] + "…"
    return line_processing(unescape(value))


def _main_html(tree: Any) -> str:
    """The article body as HTML. trafilatura's own extractor first, alone; its fallbacks (readability and
    jusText, compared against it) only when that finds less than ``FALLBACK_WORDS`` words — on the
    article-extraction benchmark the comparison changed a handful of pages in both directions at two thirds
    of trafilatura's cost (docs/benchmarks.md, "Extraction")."""
    from trafilatura.metadata import Document

    document = _bare_extraction(tree, fast=True)
    if not isinstance(document, Document) or _text_words(document) < FALLBACK_WORDS:
        document = _bare_extraction(tree, fast=False)
    if not isinstance(document, Document) or document.body is None:
        return ""
    from trafilatura.htmlprocessing import convert_to_html

    # Not pretty-printed: ftfy works line by line, and a page of many short lines costs it dearly.
    return str(lxml.html.tostring(convert_to_html(document.body), encoding="unicode"))


def _bare_extraction(tree: Any, *, fast: bool) -> Any:
    import trafilatura

    # trafilatura works on its own copy of the tree. No URL: it would join relative links to the site root;
    # sanitize_html resolves them against the page's own URL instead.
    return trafilatura.bare_extraction(
        tree,
        fast=fast,
        url=None,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=True,
        include_formatting=True,
    )


def _text_words(document: Any) -> int:
    return _word_count(document.text or "") if document.body is not None else 0


def _tidy_headings(body_html: str, title: str | None) -> str:
    """Drop a leading heading that repeats the title; keep other headings inside the h2–h4 allow-list."""
    if not body_html:
        return ""
    try:
        root = lxml.html.fragment_fromstring(body_html, create_parent="div")
    except (etree.ParserError, ValueError):
        return body_html
    container = root.find(".//body")
    if container is None:
        container = root
    first = next((el for el in container if isinstance(el.tag, str)), None)
    if first is not None and first.tag in _HEADINGS and title and _same_title(first.text_content(), title):
        first.drop_tree()
    for el in container.iter("h1", "h5", "h6"):
        el.tag = "h2" if el.tag == "h1" else "h4"
    return (container.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in container if isinstance(child.tag, str)
    )


def _same_title(heading: str, title: str) -> bool:
    heading = _norm(heading)
    if title.endswith("…"):  # capped by clean_line
        return heading.startswith(_norm(title[:-1]))
    return heading == _norm(title)


def _norm(text: str) -> str:
    return " ".join(repair_text(text).split()).casefold()


# -- canonical URL --------------------------------------------------------------------------------


def _canonical_url(tree: Any, url: str) -> str:
    """The page's rel=canonical when it is http(s) on the same site, else the fetched URL without tracking."""
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" not in rel or not href:
            continue
        try:
            candidate = urljoin(url, href)
        except ValueError:
            continue
        # A CMS that points every page at its home page would fold all articles into one.
        if is_http_url(candidate) and same_site(candidate, url) and not _is_home(candidate, url):
            return canonicalize_url(candidate)
        logger.debug("ignoring rel=canonical %s on %s (other site or scheme)", href, url)
        break
    return canonicalize_url(url)


def _is_home(candidate: str, url: str) -> bool:
    try:
        return urlsplit(candidate).path in ("", "/") and urlsplit(url).path not in ("", "/")
    except ValueError:
        return True


__all__ = ["clean_line", "content_hash", "extract_article", "stack_problem"]
