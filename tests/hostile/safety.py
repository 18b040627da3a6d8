"""The hostile suite's own idea of "nothing executes": a browser-like parse of HTML, and checks on feeds and JSON."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

# Tags that run code, load active content, or change how the rest of the page resolves.
ACTIVE_TAGS = frozenset(
    {
        "script",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "base",
        "form",
        "svg",
        "math",
        "template",
    }
)
URL_ATTRS = frozenset(
    {"href", "src", "action", "formaction", "cite", "data", "poster", "background", "xlink:href"}
)
SAFE_URL = re.compile(r"^(https?:|mailto:|/|#|\?|\.{0,2}/|[^:/?#]+(?:[/?#]|$))", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


class _ActiveParser(HTMLParser):
    def __init__(self, own_scripts: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.own_scripts = own_scripts
        self._script_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            src = values.get("src", "")
            if not src or not src.startswith(self.own_scripts):
                self.problems.append(f"<script src={src!r}>")
            self._script_depth += 1
        elif (
            tag == "form"
            and values.get("action", "").startswith("/")
            and not values.get("action", "").startswith("//")
        ):
            pass  # the site's own search form
        elif tag in ACTIVE_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        for name, value in values.items():
            compact = _CONTROL.sub("", value).lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in URL_ATTRS and value and not SAFE_URL.match(compact):
                self.problems.append(f"<{tag} {name}={value[:60]!r}>")
            if name == "srcset" and ("javascript:" in compact or "data:" in compact):
                self.problems.append(f"<{tag} srcset={value[:60]!r}>")
            if name == "style" and (
                "expression(" in compact or "javascript:" in compact or "url(" in compact
            ):
                self.problems.append(f"<{tag} style={value[:60]!r}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_depth = max(0, self._script_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._script_depth and data.strip():
            self.problems.append(f"inline script {data[:60]!r}")


def active_content(html: str, own_scripts: tuple[str, ...] = ("/assets/",)) -> list[str]:
    """Every construct in ``html`` that could run code in a browser (empty list: none)."""
    parser = _ActiveParser(own_scripts)
    parser.feed(html)
    parser.close()
    return parser.problems


def assert_inert(html: str, where: str = "") -> None:
    problems = active_content(html)
    assert not problems, f"active content in {where}: {problems}"


def feed_text_fields(body: bytes) -> list[tuple[str, str]]:
    """(tag, text) of every element of an RSS/Atom document; the HTML ones are checked with ``active_content``."""
    root = ET.fromstring(body)
    return [(el.tag, el.text or "") for el in root.iter()]


def assert_feed_inert(body: bytes, where: str) -> None:
    """An RSS/Atom document: parses; HTML-bearing fields hold nothing active; links are http(s)."""
    for tag, text in feed_text_fields(body):
        local = tag.rsplit("}", 1)[-1]
        if local in ("description", "content", "summary", "encoded"):
            assert_inert(text, f"{where} <{local}>")
        if local in ("link", "guid", "id") and text.strip():
            assert SAFE_URL.match(_CONTROL.sub("", text).lower()), f"{where}: <{local}> {text[:80]!r}"
    root = ET.fromstring(body)
    for el in root.iter():
        href = el.get("href")
        if href is not None:
            assert SAFE_URL.match(_CONTROL.sub("", href).lower()), f"{where}: href {href[:80]!r}"


def assert_json_inert(body: bytes, where: str) -> None:
    """JSON (API or JSON Feed): every string holding HTML is inert, every URL-named field is http(s)."""
    data = json.loads(body)

    def walk(value: object, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            if key in ("content_html", "html", "summary_html"):
                assert_inert(value, f"{where} {key}")
            if key in ("url", "external_url", "link", "canonical_url", "image") and value:
                assert SAFE_URL.match(_CONTROL.sub("", value).lower()), f"{where} {key}={value[:80]!r}"

    walk(data, "")
