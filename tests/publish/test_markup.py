"""Markup and styles: every page parses as HTML without a single parse error; dark mode, print, focus styles."""

from __future__ import annotations

import re

import html5lib
from starlette.testclient import TestClient

from gazette.publish.pages import ASSETS
from tests.publish.conftest import article_path, asset_url, parse

EXTRA_PAGES = [
    "/search?q=desalination",
    "/search",
    "/api/docs",
    "/no/such/page/",
    "/politics-government/page/2/",
]


def html_pages(client: TestClient) -> list[str]:
    """The front page, every page it links to, and a few more kinds (print view, search, API docs, 404)."""
    front = parse(client.get("/").text)
    linked = [href for href in front.links() if href.startswith("/") and not href.startswith("/feed.")]
    article = article_path(client, "Released prisoners face travel bans")
    return sorted({"/", *linked, *EXTRA_PAGES, article, f"{article}?view=print"})


def test_every_page_parses_without_an_html_error(client: TestClient) -> None:
    pages = html_pages(client)
    assert len(pages) > 20
    for path in pages:
        response = client.get(path)
        assert response.headers["content-type"] == "text/html; charset=utf-8", path
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        document = parser.parse(response.text)  # strict: the first parse error raises
        assert document.find("head/title").text, path
        assert len(document.findall(".//h1")) == 1, path


def test_stylesheets_cover_dark_mode_focus_and_print() -> None:
    screen = (ASSETS / "gazette.css").read_text(encoding="utf-8")
    printing = (ASSETS / "print.css").read_text(encoding="utf-8")
    assert "@media (prefers-color-scheme: dark)" in screen
    assert re.search(r":focus-visible[^{]*\{[^}]*outline:\s*3px solid", screen)
    assert ".print-view .site-header" in screen  # ?view=print drops navigation on screen too
    hidden = printing[printing.index(".site-header") : printing.index("{", printing.index(".site-header"))]
    for selector in (".site-header", ".site-footer", "nav", ".copy-link", ".print"):
        assert selector in hidden
    assert "display: none" in printing


def test_copy_button_script_uses_the_clipboard_api() -> None:
    script = (ASSETS / "gazette.js").read_text(encoding="utf-8")
    assert "navigator.clipboard" in script and "writeText" in script
    assert 'addEventListener("click"' in script  # a real <button>: Enter and Space click it too
    assert "eval(" not in script and "innerHTML" not in script


def test_favicon_is_declared_so_browsers_do_not_ask_for_favicon_ico(client: TestClient) -> None:
    page = parse(client.get("/").text)
    assert page.find("link", rel="icon", href=asset_url("favicon.svg"))
    icon = client.get(asset_url("favicon.svg"))
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert "<script" not in icon.text


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_colours_meet_wcag_aa_in_light_and_dark_mode() -> None:
    css = (ASSETS / "gazette.css").read_text(encoding="utf-8")
    light_block = css[css.index(":root") : css.index("}", css.index(":root"))]
    dark_start = css.index(":root", css.index("prefers-color-scheme: dark"))
    dark_block = css[dark_start : css.index("}", dark_start)]
    for block in (light_block, dark_block):
        v = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", block))
        text_pairs = [
            ("fg", "bg"),
            ("muted", "bg"),
            ("link", "bg"),
            ("link-visited", "bg"),
            ("accent", "bg"),
            ("fg", "mark"),
            ("fg", "card"),
            ("muted", "card"),
            ("link", "card"),
            ("bg", "fg"),  # buttons
        ]
        for fg, bg in text_pairs:
            assert contrast(v[fg], v[bg]) >= 4.5, (fg, bg, contrast(v[fg], v[bg]))
        assert contrast(v["focus"], v["bg"]) >= 3.0  # a focus ring is a graphic: 3:1
