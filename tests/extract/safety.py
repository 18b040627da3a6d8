"""What "nothing in this HTML can execute" means, checked on the markup and on a browser-like parse.

No tag that runs or loads code (script, iframe, object, svg, base, meta …) may appear as markup; no event
handler or style attribute; every URL attribute starts with http:, https: or mailto: (after the browser's own
removal of whitespace and controls). Words such as "javascript:" or "onerror=" inside text or inside a quoted,
escaped attribute value are inert and allowed: the article may be about them.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

FORBIDDEN_TAGS = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "object",
        "embed",
        "applet",
        "svg",
        "math",
        "base",
        "meta",
        "link",
        "form",
        "input",
        "button",
        "textarea",
        "template",
        "noscript",
        "img",
        "video",
        "audio",
        "source",
    }
)
SAFE_SCHEMES = ("http://", "https://", "mailto:")
_TAG = re.compile(r"<[^>]*>?")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            value = value or ""
            compact = re.sub(r"[\x00-\x20]", "", value).lower()
            if name.startswith("on"):
                self.problems.append(f"event handler {name}")
            if name in ("style", "srcset", "formaction", "action", "background", "poster", "xlink:href"):
                self.problems.append(f"attribute {name}")
            if name in ("href", "src", "cite") and not compact.startswith(SAFE_SCHEMES):
                self.problems.append(f"{name}={value!r}")

    handle_startendtag = handle_starttag


def executable_constructs(html: str) -> list[str]:
    """Everything in ``html`` that a browser could run; empty when the fragment is inert."""
    problems: list[str] = []
    lowered = html.lower()
    # Outside tags every "<" must be escaped, so these can only be real markup.
    for needle in (
        "<script",
        "<iframe",
        "<object",
        "<embed",
        "<svg",
        "<math",
        "<base",
        "<meta",
        "<style",
        "<link",
        "<img",
        "<form",
    ):
        if needle in lowered:
            problems.append(f"raw {needle}")
    for tag in _TAG.findall(html):
        # Quoted attribute values are inert text (their "<" and quotes are escaped); what is left of the tag
        # is names and unquoted values, where a handler or a script URL would act.
        bare = _QUOTED.sub('""', tag).lower()
        if re.search(r"[\s/]on[a-z]+\s*=", bare):
            problems.append(f"handler in {tag!r}")
        compact = re.sub(r"[\x00-\x20]", "", unescape(bare))
        for needle in ("javascript:", "vbscript:", "data:", "expression("):
            if needle in compact:
                problems.append(f"{needle} in {tag!r}")
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return problems + parser.problems
