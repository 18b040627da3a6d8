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


def test_static_pages_enforce_the_meta_policy(
    static_site: StaticServer, browser_page: tuple[Any, ConsoleLog]
) -> None:
    """http.server sends no Content-Security-Policy header: the policy in the page's meta tag blocks injected
    script on its own (issue 9, item 10)."""
    page, log = browser_page
    page.goto(static_site.base_url + "/content/2026/02/10/released-prisoners-face-travel-bans.html")
    outcome = page.evaluate(
        """() => new Promise(resolve => {
            const violations = [];
            document.addEventListener('securitypolicyviolation', e => violations.push(e.effectiveDirective));
            const script = document.createElement('script');
            script.textContent = 'window.__injected = true;';
            document.head.appendChild(script);
            setTimeout(() => resolve({injected: window.__injected === true, violations}), 300);
        })"""
    )
    assert outcome["injected"] is False
    assert "script-src-elem" in outcome["violations"]
    assert page.get_by_role("button", name="Copy link").is_visible()  # the page's own script still runs
    assert not any("frame-ancestors" in e for e in log.errors)


def test_date_archive_links_are_24px_touch_targets(
    static_site: StaticServer, browser_page: tuple[Any, ConsoleLog]
) -> None:
    """Issue 9, item 16: links in the date archive are at least 24 CSS pixels tall (WCAG 2.2, 2.5.8)."""
    page, _log = browser_page
    for path, selector in (
        ("/content/2026/02/10/released-prisoners-face-travel-bans.html", ".date-archive a"),
        ("/archive/2026/02/", ".days a"),
        ("/archive/2026/02/10/", ".pagination a"),
    ):
        page.goto(static_site.base_url + path)
        heights = page.eval_on_selector_all(selector, "els => els.map(e => e.getBoundingClientRect().height)")
        assert heights, (path, selector)
        assert min(heights) >= 24, (path, selector, heights)
