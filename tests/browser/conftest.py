"""Fixtures for the browser tests: headless Debian Chromium driven by Playwright, and the site it visits."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gazette.config import Settings
from gazette.store.db import Database
from tests.conftest import require_service
from tests.publish.publish_corpus import LiveServer, corpus_settings, fill

CHROMIUM = Path(os.environ.get("GAZETTE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # git-ignored; screenshots for a person


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the browser tests (skipped, with the reason, when it is not installed; a
    failure under CI=true).

    Package scope, not session: Playwright's sync API keeps an event loop running in the main thread while
    it is open, which would break any later test that calls ``asyncio.run``.
    """
    if not CHROMIUM.exists():
        require_service(
            f"{CHROMIUM} is missing: install Debian's chromium (`make browser`) to run browser tests"
        )
    try:
        from playwright import sync_api
    except ImportError:
        require_service("the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Database]]:
    """The publish corpus on a migrated SQLite file, shared by one module's tests (they only read it)."""
    folder = tmp_path_factory.mktemp("browser-corpus")
    settings = corpus_settings(f"sqlite:///{folder}/corpus.db")
    db = Database(settings.database_url)
    db.init()
    fill(db)
    try:
        yield settings, db
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def live_server(corpus_site: tuple[Settings, Database]) -> Iterator[LiveServer]:
    """What `gazette serve` runs (create_app under uvicorn) on a free 127.0.0.1 port."""
    settings, db = corpus_site
    with LiveServer(settings, db) as server:
        yield server


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class ConsoleLog:
    """Console errors and uncaught exceptions of one page, with where they came from."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            where = (message.location or {}).get("url") or "?"
            self.errors.append(f"{message.text} ({where})")


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[tuple[Any, ConsoleLog]]:
    """A fresh context that may read and write the clipboard, its one page, and that page's console log."""
    context = chromium.new_context(
        permissions=["clipboard-read", "clipboard-write"], viewport={"width": 1100, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    log = ConsoleLog(page)
    try:
        yield page, log
    finally:
        context.close()
