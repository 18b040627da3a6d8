"""Editors' corrections over real HTTP, on SQLite and PostgreSQL: `gazette correct` wins over a re-ingest of a
changed article, `gazette recluster` and `gazette migrate-db`; the live page (behind the response cache) and the
static build say "Corrected on"; listings, counts and search filters follow the corrected section and places;
`gazette history` lists every change; `--revert` restores the extracted value; bad input changes nothing."""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from typer.testing import CliRunner

from gazette.cli import app
from gazette.pipeline import IngestReport, Pipeline
from gazette.publish.app import create_app
from gazette.publish.cache import cached_app
from gazette.publish.static import build_site
from gazette.store import counts as counter
from gazette.store import stories as story_store
from gazette.store import subscriptions as feed_store
from gazette.store.corrections import ArticleOverride, Correction
from gazette.store.db import Database
from gazette.store.listings import ArticleFilter
from gazette.store.schema import Article, ArticleLocale
from gazette.store.search import search_articles
from tests.commands.conftest import LiveFeed
from tests.conftest import make_settings
from tests.publish.publish_corpus import free_port

HISTORY_KEYS = {"field", "old", "new", "by", "time"}


class RevisedFeed(LiveFeed):
    """``LiveFeed`` whose articles the publisher can revise: a revised article's feed item links
    ``/a/N.html?rev=R`` (a URL not stored yet) and its page, under a new headline with an added paragraph,
    names ``/a/N.html`` as its canonical URL — so the next ingest updates the stored article."""

    def __init__(self, articles: list[Any]) -> None:
        super().__init__(articles)
        self.revisions: dict[int, int] = {}

    def revise(self, n: int) -> None:
        with self.lock:
            self.revisions[n] = self.revisions.get(n, 0) + 1

    def revised_title(self, n: int) -> str:
        return f"{self.articles[n].title}, officials confirm"

    def feed_xml(self) -> bytes:
        base = f"http://127.0.0.1:{self.server_address[1]}"
        items = []
        for n in range(self.published - 1, -1, -1):
            rev = self.revisions.get(n)
            link = f"{base}/a/{n}.html" + (f"?rev={rev}" if rev else "")
            title = self.revised_title(n) if rev else self.articles[n].title
            items.append(
                f"<item><title>{html.escape(title)}</title><link>{link}</link><guid>{link}</guid>"
                f"<pubDate>Sun, 01 Nov 2026 0{n}:00:00 GMT</pubDate></item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Live wire</title>'
            f"<link>{base}/</link><description>test feed</description>{''.join(items)}</channel></rss>"
        ).encode()

    def page(self, n: int) -> bytes:
        a = self.articles[n]
        base = f"http://127.0.0.1:{self.server_address[1]}"
        rev = self.revisions.get(n)
        title = self.revised_title(n) if rev else a.title
        paragraphs = list(a.paragraphs)
        if rev:
            paragraphs.append(
                f"This report was revised (revision {rev}) after officials confirmed the details."
            )
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        return (
            f"<!doctype html><html lang='{a.language}'><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><link rel='canonical' href='{base}/a/{n}.html'>"
            f"<meta name='author' content='{html.escape(a.author)}'></head><body><article>"
            f"<h1>{html.escape(title)}</h1>{body}</article></body></html>"
        ).encode()


@pytest.fixture
def revised_feed() -> Iterator[RevisedFeed]:
    from gazette.demo.corpus import load_corpus

    server = RevisedFeed([a for a in load_corpus() if a.language == "en"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> None:
    monkeypatch.chdir(tmp_path)  # no gazette.toml from the checkout
    for name in list(__import__("os").environ):
        if name.startswith("GAZETTE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GAZETTE_DATABASE_URL", db_url)
    monkeypatch.setenv("GAZETTE_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("GAZETTE_FETCH_DELAY_SECONDS", "0")


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> str:
    _cli_env(monkeypatch, tmp_path, db_url)
    return db_url


def gazette(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout


def failing(*args: str, code: int = 1) -> str:
    """Run a command that must fail: its stderr is one line starting with "error:"."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def ingest(db_url: str) -> IngestReport:
    db = Database(db_url)
    try:
        with Pipeline(make_settings(db_url), db, processes=1) as pipeline:
            return pipeline.ingest(force=True)
    finally:
        db.dispose()


def subscribe_and_ingest(db_url: str, feed: RevisedFeed, count: int = 2) -> None:
    feed.publish(count)
    db = Database(db_url)
    db.init()
    with db.session() as s:
        feed_store.add_feed(s, feed.url, source="Live Wire")
    db.dispose()
    report = ingest(db_url)
    assert report.new == count and not report.failures, report


def stored(db: Database, url: str) -> dict[str, Any]:
    """What readers see of the article at ``url``."""
    with db.session() as s:
        row = s.scalar(select(Article).where(Article.canonical_url == url))
        assert row is not None
        return {
            "id": row.id,
            "path": row.path,
            "title": row.title,
            "text": row.text,
            "section": row.section,
            "published_at": row.published_at,
            "author": row.author,
            "places": sorted((loc.kind, loc.name, loc.country_code, loc.region_code) for loc in row.locales),
            "countries": {loc.country_code for loc in row.locales},
        }


def assert_counts_true(db: Database) -> None:
    """The trigger-kept counts of sections and places equal a count from the tables themselves."""
    with db.session() as s:
        by_section = dict(
            s.execute(
                select(Article.section, func.count(Article.id))
                .where(Article.section.is_not(None))
                .group_by(Article.section)
            ).all()
        )
        by_country = dict(
            s.execute(
                select(
                    ArticleLocale.country_code, func.count(func.distinct(ArticleLocale.article_id))
                ).group_by(ArticleLocale.country_code)
            ).all()
        )
        assert counter.counts(s, "section") == by_section
        assert counter.counts(s, "country") == by_country


class CachedServer:
    """The site behind the response cache (as `gazette serve` runs it) under uvicorn on 127.0.0.1."""

    def __init__(self, db_url: str, db: Database) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        asgi = cached_app(create_app(make_settings(db_url), db), db, check_interval=0.0)
        config = uvicorn.Config(asgi, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> httpx.Client:
        self.thread.start()
        while not self.server.started:
            self.thread.join(0.02)
        return httpx.Client(base_url=self.base_url)

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _other_section(current: str | None) -> str:
    taxonomy = list(make_settings("sqlite://").sections.taxonomy)
    return next(s for s in taxonomy if s != current)


def test_a_correction_survives_reingest_and_recluster(
    cli_env: str, revised_feed: RevisedFeed, tmp_path: Path
) -> None:
    db_url = cli_env
    subscribe_and_ingest(db_url, revised_feed)
    db = Database(db_url)
    base = revised_feed.url.rsplit("/", 1)[0]
    # the Peru mine article: its places are what the tagger found (Peru among them)
    url = f"{base}/a/1.html"
    before = stored(db, url)
    assert "PE" in before["countries"], before["places"]
    target = _other_section(before["section"])
    word = "Protesters"
    with db.session() as s:
        story = story_store.story_of(s, before["id"])
        assert story is not None and story.title == before["title"]  # a story named after this article
        story_path = story.path

    with CachedServer(db_url, db) as http:
        old_listing = http.get(f"/{before['section']}/")
        assert old_listing.status_code == 200 and before["title"] in html.unescape(old_listing.text)
        assert http.get(before["path"]).status_code == 200  # both now kept by the cache
        assert "Corrected on" not in http.get(before["path"]).text

        out = gazette(
            "correct",
            url,
            "--section",
            target,
            "--title",
            "Protesters block the road to a Canadian-run mine in Cajamarca",
            "--published",
            "2026-10-30",
            "--add-place",
            "Caracas, VE",
            "--remove-place",
            "PE",
            "--by",
            "Ana Editor",
        )
        assert "corrected " + before["path"] in out
        after = stored(db, url)
        assert after["section"] == target and after["title"].endswith("in Cajamarca")
        assert after["published_at"] == datetime(2026, 10, 30, tzinfo=UTC)
        assert "PE" not in after["countries"] and ("city", "Caracas", "VE", "VE-A") in after["places"]
        assert after["path"] == before["path"]  # the permalink stays
        assert_counts_true(db)
        with db.session() as s:  # its story's heading follows the corrected title; the story's URL stays
            story = story_store.story_of(s, before["id"])
            assert story is not None and story.title == after["title"] and story.path == story_path

        # the live site, behind the cache, moved it: listings, place pages and the article page
        page = http.get(before["path"]).text
        assert "Corrected on" in page and "in Cajamarca" in page
        assert before["title"] not in html.unescape(http.get(f"/{before['section']}/").text)
        assert "in Cajamarca" in http.get(f"/{target}/").text
        assert "in Cajamarca" in http.get("/locale/venezuela/").text
        story_page = html.unescape(http.get(story_path).text)
        assert "in Cajamarca" in story_page and before["title"] not in story_page
        assert http.get("/api/articles", params={"section": target}).status_code == 200
    with db.session() as s:

        def found(query: str, flt: ArticleFilter) -> set[int]:
            return {h.article.id for h in search_articles(s, query, flt)[0]}

        assert after["id"] in found(word, ArticleFilter(section=target))
        assert after["id"] not in found(word, ArticleFilter(section=before["section"]))
        assert after["id"] not in found(word, ArticleFilter(country_code="PE"))
        assert after["id"] in found(word, ArticleFilter(country_code="VE"))
        assert after["id"] in found("Cajamarca", ArticleFilter(section=target))  # the new title is indexed

    # the publisher revises the article: the text is refreshed, the editor's fields stay
    revised_feed.revise(1)
    report = ingest(db_url)
    assert report.updated == 1 and not report.failures, report
    refreshed = stored(db, url)
    assert "revised (revision 1)" in refreshed["text"]
    assert {k: refreshed[k] for k in ("title", "section", "published_at", "places")} == {
        k: after[k] for k in ("title", "section", "published_at", "places")
    }
    with db.session() as s:
        title_override = s.get(ArticleOverride, (after["id"], "title"))
        assert title_override is not None and title_override.extracted == revised_feed.revised_title(1)
    assert ingest(db_url).updated == 0  # the next run finds nothing new: a correction is no change
    assert_counts_true(db)

    gazette("recluster")
    assert {k: stored(db, url)[k] for k in ("title", "section", "published_at", "places")} == {
        k: after[k] for k in ("title", "section", "published_at", "places")
    }

    # history: every change, by whom and when
    lines = [json.loads(line) for line in gazette("history", url, "--json").splitlines()]
    assert all(set(line) == HISTORY_KEYS for line in lines)
    assert [line["field"] for line in lines] == ["section", "title", "published", "places"]
    assert {line["by"] for line in lines} == {"Ana Editor"}
    assert lines[0]["old"] == before["section"] and lines[0]["new"] == target
    assert lines[1]["old"] == before["title"]
    assert "Caracas (VE-A)" in lines[3]["new"] and "Peru (PE)" in lines[3]["old"]
    assert datetime.fromisoformat(lines[0]["time"]).tzinfo is not None
    table = gazette("history", before["path"])  # the permalink finds it too
    assert "Ana Editor" in table and "section" in table

    # the static build says so as well
    outdir = tmp_path / "site"
    build_site(make_settings(db_url), db, outdir)
    built = (outdir / before["path"].lstrip("/")).read_text(encoding="utf-8")
    assert "Corrected on" in built and "in Cajamarca" in built

    # revert: the value extracted last (the publisher's revised headline, the tagger's places) comes back
    gazette("correct", url, "--revert", "title", "--revert", "places", "--by", "Bo")
    reverted = stored(db, url)
    assert reverted["title"] == revised_feed.revised_title(1)
    with db.session() as s:  # the story follows the revert too
        story = story_store.story_of(s, before["id"])
        assert story is not None and story.title == reverted["title"]
    assert "PE" in reverted["countries"] and "VE" not in reverted["countries"]
    assert reverted["section"] == target  # still corrected
    assert_counts_true(db)
    lines = [json.loads(line) for line in gazette("history", url, "--json").splitlines()]
    assert [(line["field"], line["by"]) for line in lines[-2:]] == [("title", "Bo"), ("places", "Bo")]
    assert lines[-2]["new"] == revised_feed.revised_title(1)
    with db.session() as s:
        section_override = s.get(ArticleOverride, (after["id"], "section"))
        assert section_override is not None
        extracted_section = section_override.extracted["slug"]  # as the revised text was classified
    gazette("correct", url, "--revert", "section", "--revert", "published")
    final = stored(db, url)
    assert final["section"] == extracted_section and final["published_at"] == before["published_at"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ArticleOverride)) == 0
    assert_counts_true(db)
    db.dispose()


def test_bad_corrections_change_nothing(cli_env: str, revised_feed: RevisedFeed) -> None:
    db_url = cli_env
    subscribe_and_ingest(db_url, revised_feed, count=1)
    db = Database(db_url)
    url = revised_feed.url.rsplit("/", 1)[0] + "/a/0.html"
    before = stored(db, url)
    missing = revised_feed.url.rsplit("/", 1)[0] + "/a/99.html"
    assert "no article at" in failing("correct", missing, "--title", "X")
    assert "no article at" in failing("history", missing)
    assert "unknown section 'Gardening'" in failing("correct", url, "--section", "Gardening", code=2)
    assert "bad date" in failing("correct", url, "--published", "30/10/2026")
    assert "in the future" in failing("correct", url, "--published", "2999-01-01")
    assert "bad title" in failing("correct", url, "--title", "   ")
    assert "unknown place 'Atlantis, ZZ'" in failing("correct", url, "--add-place", "Atlantis, ZZ")
    ambiguous = failing("correct", url, "--title", "Fine", "--add-place", "Springfield, US")
    assert (
        "ambiguous place 'Springfield, US'" in ambiguous and "US-IL" in ambiguous and "GeoNames" in ambiguous
    )
    assert "nothing to change" in failing("correct", url)
    assert "nothing to change" in failing("correct", url, "--title", before["title"])
    assert "not corrected" in failing("correct", url, "--revert", "title")
    assert "unknown field 'body'" in failing("correct", url, "--revert", "body")
    assert "corrected and reverted at once" in failing("correct", url, "--title", "New", "--revert", "title")
    assert "no corrections" in gazette("history", url)
    assert stored(db, url) == before
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Correction)) == 0
        assert s.scalar(select(func.count()).select_from(ArticleOverride)) == 0
    db.dispose()


@pytest.mark.postgres
def test_migrate_db_keeps_corrections(
    sqlite_url: str, pg_url: str, revised_feed: RevisedFeed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli_env(monkeypatch, tmp_path, sqlite_url)
    subscribe_and_ingest(sqlite_url, revised_feed, count=1)
    url = revised_feed.url.rsplit("/", 1)[0] + "/a/0.html"
    gazette("correct", url, "--title", "A corrected budget headline", "--author", "Desk Staff", "--by", "Ana")
    gazette("migrate-db", "--to", pg_url)
    monkeypatch.setenv("GAZETTE_DATABASE_URL", pg_url)
    revised_feed.revise(0)
    assert ingest(pg_url).updated == 1  # the copy's sequences and overrides carry on
    target = Database(pg_url)
    copied = stored(target, url)
    assert copied["title"] == "A corrected budget headline" and copied["author"] == "Desk Staff"
    assert "revised (revision 1)" in copied["text"]
    lines = [json.loads(line) for line in gazette("history", url, "--json").splitlines()]
    assert [(line["field"], line["by"]) for line in lines] == [("title", "Ana"), ("author", "Ana")]
    gazette("correct", url, "--revert", "title")
    assert stored(target, url)["title"] == revised_feed.revised_title(0)
    target.dispose()


def test_a_backfill_of_the_same_pages_keeps_corrections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    from tests.backfill_corpus import write_warc

    _cli_env(monkeypatch, tmp_path, sqlite_url)
    warc = str(write_warc(tmp_path / "a.warc.gz", gz=True))
    gazette("backfill", warc, "--workers", "1")
    db = Database(sqlite_url)
    with db.session() as s:
        url = s.scalars(select(Article.canonical_url).order_by(Article.id)).first()
    assert url is not None
    gazette(
        "correct",
        url,
        "--title",
        "Port Marlow strike: the corrected headline",
        "--section",
        "Business and Finance",
    )
    corrected = stored(db, url)
    second = gazette("backfill", warc, "--workers", "1")
    assert "0 new" in second
    assert stored(db, url) == corrected and corrected["section"] == "business-finance"
    assert_counts_true(db)
    db.dispose()


def test_a_feed_that_declares_a_section_keeps_the_editors(cli_env: str, revised_feed: RevisedFeed) -> None:
    db_url = cli_env
    subscribe_and_ingest(db_url, revised_feed, count=1)
    db = Database(db_url)
    url = revised_feed.url.rsplit("/", 1)[0] + "/a/0.html"
    gazette("correct", url, "--section", "Sports", "--add-place", "VE-F")
    corrected = stored(db, url)
    assert corrected["section"] == "sports" and ("region", "Bolívar", "VE", "VE-F") in corrected["places"]
    gazette("set-feed", revised_feed.url, "--section", "Health")  # the feed now files its items in Health
    report = ingest(db_url)
    assert not report.failures and report.new == 0
    assert stored(db, url) == corrected
    with db.session() as s:
        override = s.get(ArticleOverride, (corrected["id"], "section"))
        assert override is not None and override.extracted["slug"] == "health"
    assert_counts_true(db)
    gazette("correct", url, "--revert", "section")
    assert stored(db, url)["section"] == "health"
    assert_counts_true(db)
    db.dispose()
