"""HTML allow-lists: the nh3 policies every sanitizer in Gazette applies, kept in one module so they cannot drift.

- ``ARTICLE`` (``extract/sanitize.py``): a fetched page's article body. Text structure and links only; no
  images, no free-text attributes; scripts, frames, SVG, forms and the like go with their content.
- ``SUMMARY`` (``ingest/feed_parser.py``): a feed entry's summary, which readers expect to keep its images.
- ``RENDER`` (``publish/pages/formatting.py``): stored HTML sanitized once more when a page is rendered (defence in
  depth), with nh3's own allow-list.
- ``TEXT``: no tag at all, for titles and names made plain.

Every policy drops ``script`` and ``style`` with their content, strips comments, keeps only http, https and
mailto URLs and marks each link ``rel="noopener noreferrer nofollow"``. Resolving relative URLs is the
caller's business (only it knows the page's address); it passes ``url_relative`` and ``attribute_filter``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import nh3

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
SCRIPT_AND_STYLE: frozenset[str] = frozenset({"script", "style"})

ARTICLE_TAGS: frozenset[str] = frozenset(
    {
        "p",
        "br",
        "a",
        "em",
        "strong",
        "i",
        "b",
        "u",
        "s",
        "sub",
        "sup",
        "small",
        "mark",
        "q",
        "cite",
        "abbr",
        "time",
        "blockquote",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "h2",
        "h3",
        "h4",
        "figure",
        "figcaption",
        "code",
        "pre",
        "kbd",
        "hr",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
    }
)
# No free-text attributes (title, alt, lang): a value can hold any words, and "onerror=" inside a quoted
# title is inert but trips every naive check downstream. "*" empty also turns off nh3's generic lang/title.
ARTICLE_ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "*": frozenset(),
    "a": frozenset({"href"}),
    "time": frozenset({"datetime"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
    "td": frozenset({"colspan", "rowspan"}),
    "ol": frozenset({"start"}),
}
# Removed with everything inside them from an article (the others not allowed are unwrapped, keeping their
# text).
DROPPED_WITH_CONTENT: frozenset[str] = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "svg",
        "math",
        "noscript",
        "noembed",
        "noframes",
        "template",
        "textarea",
        "select",
        "button",
        "title",
        "head",
        "xmp",
        "plaintext",
        "canvas",
        "audio",
        "video",
        "form",
    }
)

SUMMARY_TAGS: frozenset[str] = frozenset({
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "em", "figcaption", "figure", "h2", "h3",
    "h4", "hr", "i", "img", "li", "ol", "p", "pre", "q", "s", "small", "strong", "sub", "sup", "u", "ul",
})  # fmt: skip
SUMMARY_ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title"}),
}


@dataclass(frozen=True)
class Policy:
    """One allow-list; ``None`` for tags or attributes means nh3's own defaults."""

    tags: frozenset[str] | None
    attributes: Mapping[str, frozenset[str]] | None
    clean_content_tags: frozenset[str] = SCRIPT_AND_STYLE
    url_schemes: frozenset[str] = URL_SCHEMES
    link_rel: str = LINK_REL

    def clean(
        self,
        html: str,
        *,
        attribute_filter: Callable[[str, str, str], str | None] | None = None,
        url_relative: Callable[[str], str | None] | None = None,
    ) -> str:
        """``html`` with everything outside the allow-list removed (comments too)."""
        return nh3.clean(
            html,
            tags=set(self.tags) if self.tags is not None else None,
            clean_content_tags=set(self.clean_content_tags),
            attributes={k: set(v) for k, v in self.attributes.items()}
            if self.attributes is not None
            else None,
            attribute_filter=attribute_filter,
            url_schemes=set(self.url_schemes),
            url_relative=url_relative,
            link_rel=self.link_rel,
            strip_comments=True,
        )


ARTICLE = Policy(tags=ARTICLE_TAGS, attributes=ARTICLE_ATTRIBUTES, clean_content_tags=DROPPED_WITH_CONTENT)
SUMMARY = Policy(tags=SUMMARY_TAGS, attributes=SUMMARY_ATTRIBUTES)
RENDER = Policy(tags=None, attributes=None)
TEXT = Policy(tags=frozenset(), attributes=None)

__all__ = [
    "ARTICLE",
    "ARTICLE_ATTRIBUTES",
    "ARTICLE_TAGS",
    "DROPPED_WITH_CONTENT",
    "LINK_REL",
    "RENDER",
    "SUMMARY",
    "SUMMARY_ATTRIBUTES",
    "SUMMARY_TAGS",
    "TEXT",
    "URL_SCHEMES",
    "Policy",
]
