"""The static build in a real browser, served by ``python -m http.server``: it behaves like the live site
(copy link, print view) except search, which it does not offer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gazette.config import Settings
from gazette.publish.static import build_site
from gazette.store.db import Database
from tests.browser.conftest import ConsoleLog
from tests.publish.test_static import StaticServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def static_site(
    corpus_site: tuple[Settings, Database], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StaticServer]:
    settings, db = corpus_site
    with StaticServer(tmp_path_factory.mktemp("static-site")) as server:
        report = build_site(settings, db, server.root, base_url=server.base_url)
        assert report.broken == []
        yield server


def test_static_build_front_section_article_copy_print(
    static_site: StaticServer, browser_page: tuple[Any, ConsoleLog]
) -> None:
    page, _log = browser_page
    base = static_site.base_url
    page.goto(base + "/")
    assert page.title() == "Test Gazette"
    assert page.get_by_role("search").count() == 0  # a static host cannot search

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Health").click()
    page.wait_for_url(base + "/health/")
    assert page.locator("h1").inner_text() == "Health"
    link = page.locator("main article.card h2 a").first
    title = link.inner_text()
    link.click()
    page.wait_for_url("**/content/**.html")
    assert page.locator("h1").inner_text() == title

    # The permalink is the built site's own address, and the copy script (a file) works from disk.
    permalink = page.locator("#permalink").get_attribute("href")
    assert permalink == page.url
    page.get_by_role("button", name="Copy link").click()
    page.wait_for_function("document.getElementById('copy-status').textContent.length > 0")
    assert page.evaluate("navigator.clipboard.readText()") == permalink

    # One file serves both views: ?view=print switches to the print layout in the page's script.
    page.get_by_role("link", name="Print").click()
    page.wait_for_url("**view=print")
    page.wait_for_selector("body.print-view", state="attached")
    assert page.locator("h1").inner_text() == title
    assert not any(n.is_visible() for n in page.locator("nav").all())
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".site-footer").is_visible()
