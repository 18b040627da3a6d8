"""The live site in a real browser: a reader's way through it, the copy button, print view, search, the CSP.

Console errors are checked in ``test_console.py``, over the same pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ConsoleLog
from tests.publish.publish_corpus import LiveServer

pytestmark = pytest.mark.browser


def test_reader_journey_front_section_article_copy_print(
    live_server: LiveServer, browser_page: tuple[Any, ConsoleLog], artifacts: Path
) -> None:
    page, _log = browser_page
    base = live_server.base_url

    page.goto(base + "/")
    assert page.title() == "Test Gazette"
    assert page.locator("h1").count() == 1
    page.screenshot(path=str(artifacts / "front.png"), full_page=True)

    # Follow a section from the navigation.
    page.get_by_role("navigation", name="Sections").get_by_role(
        "link", name="Politics and Government"
    ).click()
    page.wait_for_url(base + "/politics-government/")
    assert page.locator("h1").inner_text() == "Politics and Government"
    assert page.locator("main article.card").count() == 5  # page_size 5; 7 articles, so a page 2
    # The oldest articles are on page 2; open the one with the Venezuelan locales there.
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Older").click()
    page.wait_for_url(base + "/politics-government/page/2/")
    page.get_by_role("link", name="Released prisoners face travel bans").click()
    page.wait_for_url("**/content/**/released-prisoners-face-travel-bans.html")
    assert page.locator("h1").inner_text() == "Released prisoners face travel bans"
    assert page.locator("p.locales").inner_text() == "Locales: Bolívar, Nueva Esparta, Aragua, VENEZUELA"
    page.screenshot(path=str(artifacts / "article.png"), full_page=True)

    # "Copy link" puts the permalink on the clipboard and says so.
    permalink = page.locator("#permalink").get_attribute("href")
    assert permalink == "http://gazette.test" + page.url.removeprefix(base)
    page.get_by_role("button", name="Copy link").click()
    status = page.locator("#copy-status")
    page.wait_for_function("document.getElementById('copy-status').textContent.length > 0")
    assert status.inner_text() == "Link copied."
    assert page.evaluate("navigator.clipboard.readText()") == permalink

    # The button is usable from the keyboard too: focus it and press Enter.
    page.evaluate("navigator.clipboard.writeText('')")
    page.get_by_role("button", name="Copy link").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("navigator.clipboard.readText().then(t => t.length > 0)")
    assert page.evaluate("navigator.clipboard.readText()") == permalink

    # Printing the normal page hides navigation through the print stylesheet …
    page.emulate_media(media="print")
    for selector in (".site-header", ".site-nav", ".site-footer", "nav.date-archive", ".related"):
        assert not page.locator(selector).first.is_visible(), selector
    page.emulate_media(media="screen")

    # … and the print view is the article alone, with no navigation at all.
    page.get_by_role("link", name="Print").click()
    page.wait_for_url("**view=print")
    assert page.locator("h1").inner_text() == "Released prisoners face travel bans"
    assert page.locator("nav").count() == 0 or not any(n.is_visible() for n in page.locator("nav").all())
    assert not page.locator(".site-header").is_visible()
    assert page.locator("body.print-view").count() == 1
    page.screenshot(path=str(artifacts / "print.png"), full_page=True)


def test_search_then_open_a_hit(live_server: LiveServer, browser_page: tuple[Any, ConsoleLog]) -> None:
    page, _log = browser_page
    page.goto(live_server.base_url + "/")
    page.get_by_role("search").get_by_label("Search articles").fill("desalination")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=desalination*")
    assert page.locator(".result-count").inner_text() == "3 results for “desalination”."
    hits = page.locator("ol.hits li.hit")
    assert hits.count() == 3
    assert hits.first.locator("mark").count() >= 1  # the word is highlighted in the snippet
    title = hits.first.locator("h2 a").inner_text()
    hits.first.locator("h2 a").click()
    page.wait_for_url("**/content/**.html")
    assert page.locator("h1").inner_text() == title
    assert "desalination" in page.locator("main").inner_text().lower()


def test_csp_blocks_an_injected_inline_script(
    live_server: LiveServer, browser_page: tuple[Any, ConsoleLog]
) -> None:
    page, log = browser_page
    page.goto(live_server.base_url + "/")
    # The page's own script file runs (the CSP allows 'self') …
    page.goto(
        live_server.base_url + (page.locator("main article.card h3 a").first.get_attribute("href") or "/")
    )
    assert page.get_by_role("button", name="Copy link").is_visible()
    # … but a script element with inline code, added the way an injection would, never runs.
    outcome = page.evaluate(
        """() => new Promise(resolve => {
            const violations = [];
            document.addEventListener('securitypolicyviolation',
                e => violations.push(e.effectiveDirective || e.violatedDirective));
            const script = document.createElement('script');
            script.textContent = 'window.__injected = true;';
            document.head.appendChild(script);
            const handler = document.createElement('img');
            handler.setAttribute('src', 'data:,');
            handler.setAttribute('onerror', 'window.__handler = true;');
            document.body.appendChild(handler);
            setTimeout(() => resolve({
                injected: window.__injected === true,
                handler: window.__handler === true,
                violations,
            }), 300);
        })"""
    )
    assert outcome["injected"] is False
    assert outcome["handler"] is False
    assert "script-src-elem" in outcome["violations"]
    assert any("Content Security Policy" in e for e in log.errors)  # the browser reports the block
