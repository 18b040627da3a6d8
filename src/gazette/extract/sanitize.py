"""Extract stage, last step: article HTML reduced to an allow-list (nh3) so nothing in it can execute.

The allow-list itself is ``htmlpolicy.ARTICLE``; this module resolves links against the page and checks them.

What survives: text structure (paragraphs, headings h2–h4, lists, quotes, code, simple tables, figures and
captions, line breaks, emphasis) and links to http, https and mailto URLs, each link marked
``rel="noopener noreferrer nofollow"``. Relative URLs are resolved against the page's URL, or dropped when
there is no http(s) base. Everything else goes: scripts, styles, frames, objects, SVG and MathML (with their
content), images (hotlinked images track readers, and an SVG image can carry script), event handlers,
``style`` attributes (CSS ``expression()``/``url(javascript:…)``), ``<meta>`` refresh, ``<base>``, forms,
free-text attributes (``title``, ``alt``, ``lang``) and links whose URL carries script bait.

nh3 parses with html5ever, the same tokenizer rules a browser uses, so entity-encoded and mixed-case tricks
(``JaVaScRiPt:``, ``java&#x09;script:``) are decoded before the scheme check rather than slipping past it.
"""

from __future__ import annotations

import logging
import re
from html import unescape
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
from lxml import etree

from gazette.htmlpolicy import ARTICLE, DROPPED_WITH_CONTENT, URL_SCHEMES

logger = logging.getLogger(__name__)

_URL_ATTRS = frozenset({"href", "src", "cite"})
_WS = re.compile(r"[ \t\r\f\v]+")
_ANY_WS = re.compile(r"\s+")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "nav",
        "blockquote",
        "pre",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "figure",
        "figcaption",
        "table",
        "caption",
        "tr",
        "hr",
        "address",
        "details",
        "summary",
    }
)


# Inert inside an http(s) URL, but a link that carries them is bait, and dropping it keeps the output
# clean for simple scanners (``"javascript:" in html``).
_URL_BAIT = re.compile(r"javascript:|vbscript:|data:|<|>|\bon[a-z]+=|expression\(", re.IGNORECASE)


def _safe_absolute(url: str) -> str | None:
    """The URL if it is absolute with an allowed scheme (and a host for http/https), else None."""
    try:
        parts = urlsplit(url.strip())
        decoded = unquote(url)
    except ValueError:
        return None
    if _URL_BAIT.search(decoded) or _URL_BAIT.search(unescape(decoded)):
        return None
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES:
        return None
    if scheme != "mailto" and not parts.hostname:
        return None
    return url.strip()


def _http_base(base_url: str | None) -> str | None:
    if not base_url:
        return None
    try:
        parts = urlsplit(base_url)
    except ValueError:
        return None
    return base_url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Reduce untrusted HTML to the allow-list; relative links are resolved against ``base_url``.

    Never raises on a ``str``; the result is an HTML fragment safe to insert into a page as-is.
    """
    if not html:
        return ""
    base = _http_base(base_url)

    def resolve(url: str) -> str | None:
        try:
            return _safe_absolute(urljoin(base, url) if base else url)
        except ValueError:
            return None

    def filter_attribute(tag: str, attr: str, value: str) -> str | None:
        # ammonia checks schemes too; resolving here as well means a URL attribute ends up absolute and
        # http(s)/mailto whichever order the two checks run in.
        if attr in _URL_ATTRS:
            return resolve(value)
        return value

    try:
        return ARTICLE.clean(html, attribute_filter=filter_attribute, url_relative=resolve).strip()
    except Exception:  # nh3 raising would be a bug; fail closed with the text only
        logger.warning("nh3 failed; falling back to escaped text", exc_info=True)
        from html import escape

        return f"<p>{escape(html_to_text(html))}</p>"


def _collect_text(el: etree._Element, out: list[str], pre: bool = False) -> None:
    def add(text: str | None) -> None:
        if text:
            # Source line breaks are spaces in HTML; only <br> and blocks break lines (and <pre> keeps them).
            out.append(text if pre else _ANY_WS.sub(" ", text))

    if not isinstance(el.tag, str) or el.tag.lower() in DROPPED_WITH_CONTENT:
        add(el.tail)  # comments and processing instructions carry no text; their tail does
        return
    tag = el.tag.lower()
    block = tag in _BLOCK_TAGS
    if block:
        out.append("\n\n")
    if tag == "br":
        out.append("\n")
    add(el.text)
    for child in el:
        _collect_text(child, out, pre or tag == "pre")
    if block:
        out.append("\n\n")
    add(el.tail)


def html_to_text(html: str) -> str:
    """Text of an HTML fragment: one paragraph per block element, paragraphs separated by a blank line.

    Plain text in (a feed summary without markup) comes out with its whitespace tidied.
    """
    if not html or not html.strip():
        return ""
    html = _XML_INVALID.sub("", html)  # lxml refuses them
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(unescape(re.sub(r"<[^>]*>", " ", html)))
    parts: list[str] = []
    _collect_text(root, parts)
    return _tidy("".join(parts))


def _tidy(text: str) -> str:
    lines = [_WS.sub(" ", line).strip() for line in text.replace("\xa0", " ").split("\n")]
    joined = "\n".join(lines)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", joined)]
    return "\n\n".join(p for p in paragraphs if p)


__all__ = ["html_to_text", "sanitize_html"]
