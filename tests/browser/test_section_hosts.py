"""Section hosts in a real browser: Chromium follows a link from the front page on the base domain to a section's
own host and on to an article there. Chromium's --host-resolver-rules sends every *.example.test name (and
example.test itself) to the test server on 127.0.0.1, so the Host header is the section host's, as with DNS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ConsoleLog
from tests.publish.publish_corpus import LiveServer, section_hosts_server

pytestmark = pytest.mark.browser

DOMAIN = "example.test"
RESOLVE = f"--host-resolver-rules=MAP *.{DOMAIN} 127.0.0.1, MAP {DOMAIN} 127.0.0.1"


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with section_hosts_server(tmp_path_factory.mktemp("browser-hosts"), DOMAIN) as server:
        yield server


@pytest.fixture
def resolving_page(chromium: Any) -> Iterator[tuple[Any, ConsoleLog]]:
    """A page in a second Chromium (from the same Playwright) that resolves the test domain to 127.0.0.1."""
    browser = chromium.browser_type.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, RESOLVE])
    try:
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        yield page, ConsoleLog(page)
    finally:
        browser.close()


def test_front_page_link_leads_to_the_section_host(
    hosted: LiveServer, resolving_page: tuple[Any, ConsoleLog], artifacts: Path
) -> None:
    page, log = resolving_page
    base = f"http://{DOMAIN}:{hosted.port}"
    section = f"http://politics-government.{DOMAIN}:{hosted.port}"

    page.goto(base + "/")
    assert page.title() == "Test Gazette"
    page.get_by_role("navigation", name="Sections").get_by_role(
        "link", name="Politics and Government"
    ).click()
    page.wait_for_url(section + "/")
    assert page.locator("h1").inner_text() == "Politics and Government"
    # the stylesheet came from the section host itself: the page is laid out, not bare
    assert page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position") == "absolute"
    page.screenshot(path=str(artifacts / "section-host.png"), full_page=True)

    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Older").click()
    page.wait_for_url(section + "/page/2/")
    page.locator("main article.card h2 a").first.click()
    page.wait_for_url(section + "/content/**")
    assert page.locator("#permalink").get_attribute("href") == page.url

    # the old section path on the base domain answers 301 to the section host
    page.goto(base + "/health/")
    assert page.url == f"http://health.{DOMAIN}:{hosted.port}/"
    assert page.locator("h1").inner_text() == "Health"
    # Chromium ignores (and says so) the Cross-Origin-Opener-Policy header of a plain-http origin other than
    # localhost; every other console error is a failure (a CSP refusal, a missing asset).
    assert [e for e in log.errors if "Cross-Origin-Opener-Policy header has been ignored" not in e] == []
