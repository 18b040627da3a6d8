"""No page of the site, live or built, logs a console error or throws in the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gazette.config import Settings
from gazette.publish.static import build_site
from gazette.store.db import Database
from tests.browser.conftest import ConsoleLog
from tests.publish.publish_corpus import LiveServer
from tests.publish.test_static import StaticServer

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/politics-government/",
    "/politics-government/page/2/",
    "/content/2026/02/10/released-prisoners-face-travel-bans.html",
    "/content/2026/02/10/released-prisoners-face-travel-bans.html?view=print",
    "/archive/2026/02/",
    "/archive/2026/02/10/",
    "/locale/venezuela/bolivar/",
    "/source/harbour-ledger/",
]


def visit(page: Any, base: str, paths: list[str]) -> None:
    for path in paths:
        response = page.goto(base + path, wait_until="load")
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")


def test_live_pages_log_no_console_error(
    live_server: LiveServer, browser_page: tuple[Any, ConsoleLog]
) -> None:
    page, log = browser_page
    visit(page, live_server.base_url, [*PAGES, "/search?q=desalination", "/api/docs"])
    assert log.errors == []


def test_built_pages_log_no_console_error(
    corpus_site: tuple[Settings, Database], browser_page: tuple[Any, ConsoleLog], tmp_path: Path
) -> None:
    settings, db = corpus_site
    page, log = browser_page
    with StaticServer(tmp_path / "site") as server:
        build_site(settings, db, server.root, base_url=server.base_url)
        visit(page, server.base_url, PAGES)
    assert log.errors == []
