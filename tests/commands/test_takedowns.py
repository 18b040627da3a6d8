"""Takedowns over real HTTP on 127.0.0.1, on SQLite and PostgreSQL: `gazette unpublish` takes an article off every
surface of the live site (behind the response cache) and of the static build, a re-ingest of its feed does not
bring it back (not under its URL, not its text under another URL), `gazette unpublished [--json]` lists it, and
`gazette republish` has the feed fetch it again on its next ingest although the feed itself has not changed
(the server answers 304 to the validators Gazette kept). Bad input gets one error line and a non-zero exit."""

from __future__ import annotations

import hashlib
import html
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from typer.testing import CliRunner

from gazette.cli import app
from gazette.config import Settings
from gazette.demo.corpus import CorpusArticle, load_corpus
from gazette.pipeline import IngestReport, Pipeline
from gazette.publish.app import create_app
from gazette.publish.cache import cached_app
from gazette.publish.static import build_site
from gazette.store import stories as story_store
from gazette.store import tombstones as tombstone_store
from gazette.store.db import Database
from gazette.store.schema import Article, BriefSentenceRow, Feed
from gazette.store.story_schema import Story
from tests.commands.conftest import GAZETTE, LiveFeed, Run, _Handler, gazette_env, wait_until
from tests.commands.test_run import FAST, _articles, _get, _subscribe
from tests.conftest import make_settings
from tests.publish.conftest import parse
from tests.publish.publish_corpus import free_port
from tests.store.test_counts import recount, stored

BASE = "http://gazette.test"
# Two reports of one blackout (they make one story) and a budget debate (a story of its own).
SLUGS = (
    "venezuela-blackout-eastern-states",
    "venezuela-outage-halts-guayana-mines",
    "port-of-spain-budget-debate",
)
KEYS = {"url", "canonical_url", "reason", "time"}


class ConditionalFeed(LiveFeed):
    """``LiveFeed`` with validators: the feed carries an ETag and answers 304 to a matching If-None-Match, as
    most publishers' servers do. ``aliases`` lists article numbers also linked as ``/alias/<n>.html`` (the same
    page under another URL), after the other items. Every request is counted by path."""

    def __init__(self, articles: list[CorpusArticle]) -> None:
        super().__init__(articles)
        self.RequestHandlerClass = _ConditionalHandler
        self.aliases: list[int] = []
        self.requests: dict[str, int] = {}
        self.not_modified = 0

    def feed_xml(self) -> bytes:
        body = super().feed_xml().decode()
        base = f"http://127.0.0.1:{self.server_address[1]}"
        extra = "".join(
            f"<item><title>{html.escape(self.articles[n].title)}</title><link>{base}/alias/{n}.html</link>"
            f"<guid>{base}/alias/{n}.html</guid></item>"
            for n in self.aliases
        )
        return body.replace("</channel>", extra + "</channel>").encode()

    def article_url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/a/{n}.html"


class _ConditionalHandler(_Handler):
    server: ConditionalFeed

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        srv = self.server
        path = self.path.split("?")[0]
        with srv.lock:
            srv.requests[path] = srv.requests.get(path, 0) + 1
        if path == "/feed.xml":
            with srv.lock:
                body = srv.feed_xml()
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                with srv.lock:
                    srv.not_modified += 1
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self._reply(200, body, "application/rss+xml", {"ETag": etag})
        elif path.startswith("/alias/") and path[7:-5].isdigit():
            self._reply(200, srv.page(int(path[7:-5])), "text/html; charset=utf-8")
        else:
            super().do_GET()


@pytest.fixture
def feed() -> Iterator[ConditionalFeed]:
    by_slug = {a.slug: a for a in load_corpus()}
    server = ConditionalFeed([by_slug[slug] for slug in SLUGS])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> str:
    monkeypatch.chdir(tmp_path)  # no gazette.toml from the checkout
    for name in list(__import__("os").environ):
        if name.startswith("GAZETTE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GAZETTE_DATABASE_URL", db_url)
    monkeypatch.setenv("GAZETTE_SITE_BASE_URL", BASE)
    return db_url


def gazette(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def failing(*args: str, code: int = 1) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@contextmanager
def served(settings: Settings, db: Database) -> Iterator[httpx.Client]:
    """The live site as `gazette serve` runs it (behind the response cache) on a free 127.0.0.1 port."""
    port = free_port()
    asgi = cached_app(create_app(settings, db), db, check_interval=0.0)
    server = uvicorn.Server(
        uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def ingest(settings: Settings, db: Database, *, force: bool) -> IngestReport:
    with Pipeline(settings, db, processes=1) as pipeline:
        return pipeline.ingest(force=force)


def stored_row(db: Database, url: str) -> tuple[int, str, str, str | None, str | None, str | None] | None:
    """(id, path, title, section, source slug, first paragraph) of the article stored from ``url``."""
    with db.session() as s:
        row = s.scalar(select(Article).where(Article.original_url == url))
        if row is None:
            return None
        first = row.text.split("\n")[0][:120]
        return row.id, row.path, row.title, row.section, row.source.slug if row.source else None, first


def surface_paths(client: httpx.Client, path: str, query: str) -> list[str]:
    """Every listing, feed, sitemap, search and API answer that shows the article at ``path``, found from its
    own page (its section, source, places, day and story) and the site-wide ones."""
    page = parse(client.get(path).text)
    day = path.split("/")[2:5]  # /content/YYYY/MM/DD/<slug>.html
    listings = {"/", "/stories/", f"/archive/{'/'.join(day)}/", f"/archive/{'/'.join(day[:2])}/"}
    for href in page.links():
        target = href.removeprefix(BASE)
        if target.startswith(("/source/", "/locale/", "/story/")) or (
            target.count("/") == 2 and target.endswith("/") and target != "/"
        ):
            listings.add(target)
    paths = set(listings)
    for listing in listings:
        if not listing.startswith(("/archive/", "/story/", "/stories/")):
            paths.update(f"{listing}feed.{fmt}" for fmt in ("rss", "atom", "json"))
    paths.update({"/sitemap.xml", "/sitemap-news.xml", f"/search?q={query}"})
    paths.update({f"/api/search?q={query}", "/api/articles?limit=100"})
    return sorted(paths)


def fetch_all(client: httpx.Client, paths: list[str]) -> dict[str, httpx.Response]:
    return {p: client.get(p) for p in paths}


def shows(answer: httpx.Response, article_id: int, path: str, title: str) -> bool:
    if answer.status_code != 200:
        return False
    if answer.url.path.startswith("/api/"):
        return article_id in {item["id"] for item in answer.json()["items"]}
    return path in answer.text or html.escape(title) in answer.text or title in answer.text


@pytest.mark.timeout(600)
def test_an_unpublished_article_leaves_every_surface_and_only_republish_brings_it_back(
    cli_env: str, feed: ConditionalFeed, tmp_path: Path
) -> None:
    db_url = cli_env
    settings = make_settings(db_url, site={"base_url": BASE})
    db = Database(db_url)
    db.init()
    try:
        feed.publish(3)
        gazette("add-feed", feed.url)
        first = ingest(settings, db, force=True)
        assert first.new == 3, first
        alone_url = feed.article_url(2)
        with db.session() as s:
            first_report = s.scalar(select(Article).where(Article.original_url == feed.article_url(0)))
            assert first_report is not None
            story = story_store.story_of(s, first_report.id)
            assert story is not None and story.article_count == 2  # the two blackout reports
            story_path = story.path
            # the report the story is named after is the one taken down: the story must not keep its name
            gone_n = next(n for n in (0, 1) if stored_row(db, feed.article_url(n))[2] == story.title)  # type: ignore[index]
        gone_url, kept_url = feed.article_url(gone_n), feed.article_url(1 - gone_n)
        gone = stored_row(db, gone_url)
        kept = stored_row(db, kept_url)
        alone = stored_row(db, alone_url)
        assert gone is not None and kept is not None and alone is not None
        gone_id, gone_path, title, _section, _source, first_lines = gone
        with db.session() as s:
            alone_story = story_store.story_of(s, alone[0])
            assert alone_story is not None and alone_story.article_count == 1
            alone_story_id, alone_story_path = alone_story.id, alone_story.path
        query = "eastern Venezuela dark"
        site_dir = tmp_path / "site"
        build_site(settings, db, site_dir)
        assert (site_dir / gone_path.lstrip("/")).is_file()

        with served(settings, db) as client:
            page = client.get(gone_path)
            assert page.status_code == 200 and title in page.text
            assert client.get(f"/api/articles/{gone_id}").status_code == 200
            paths = surface_paths(client, gone_path, query)
            before = fetch_all(client, paths)
            assert story_path in before
            # every surface shows it now (the news sitemap lists only the last two days' articles, the month
            # archive lists days)
            month = gone_path[8:16] + "/"
            missing = [
                p
                for p, a in before.items()
                if p not in ("/sitemap-news.xml", f"/archive{month}")
                and not shows(a, gone_id, gone_path, title)
            ]
            assert not missing, missing

            # -- the takedown, by absolute permalink; the lone article by its original URL ---------------
            said = gazette("unpublish", BASE + gone_path, "--reason", "publisher's request: legal")
            assert said.strip() == f"unpublished: {gone_url} ({gone_path} now answers 410 Gone)"
            said = gazette("unpublish", alone_url, "--reason", "duplicate of a wire story")
            assert f"story {alone_story_id} had no other article and was removed" in said

            page = client.get(gone_path)
            assert page.status_code == 410
            assert "Article removed" in page.text and "no longer available" in page.text
            assert title not in page.text and first_lines not in page.text
            api = client.get(f"/api/articles/{gone_id}")
            assert api.status_code == 410 and api.json()["error"]["status"] == 410
            spec = client.get("/api/openapi.json").json()
            assert "410" in spec["paths"]["/api/articles/{article_id}"]["get"]["responses"]
            after = fetch_all(client, paths)
            still = [p for p, a in after.items() if shows(a, gone_id, gone_path, title)]
            assert not still, still
            with db.session() as s:
                renamed = story_store.story_of(s, kept[0])
                assert renamed is not None and renamed.title == kept[2] and renamed.article_count == 1
                renamed_path = renamed.path
            assert renamed_path != story_path and client.get(story_path).status_code == 404
            assert client.get(renamed_path).status_code == 200  # the story keeps its other report
            assert client.get(alone_story_path).status_code == 404  # the lone article's story is gone

        with db.session() as s:
            assert s.scalar(select(func.count(Article.id))) == 1  # the kept report
            assert (
                s.scalar(
                    select(func.count(BriefSentenceRow.id)).where(BriefSentenceRow.article_id == gone_id)
                )
                == 0
            )
            assert s.get(Story, alone_story_id) is None
            assert stored(s) == recount(s)  # the trigger-kept counts followed the deletes
            stone = tombstone_store.tombstone_by_url(s, [gone_url])
            assert stone is not None and stone.content_hash and stone.reason == "publisher's request: legal"

        report = build_site(settings, db, site_dir)
        assert gone_path.lstrip("/") in report.removed
        assert not (site_dir / gone_path.lstrip("/")).exists()
        leftovers = [p for p in site_dir.rglob("*") if p.is_file() and title.encode() in p.read_bytes()]
        assert not leftovers, leftovers

        # -- a re-ingest of the feed: not fetched under its URL, not stored under another ------------------
        feed.aliases = [gone_n]  # the same page, linked under a second URL
        fetched_before = feed.requests.get(f"/a/{gone_n}.html", 0)
        again = ingest(settings, db, force=True)
        assert (again.new, again.unpublished) == (0, 1), again
        assert feed.requests.get(f"/a/{gone_n}.html", 0) == fetched_before  # not even fetched
        assert feed.requests.get(f"/alias/{gone_n}.html", 0) == 1  # fetched, and barred by its text
        third = ingest(settings, db, force=True)
        assert third.feeds_not_modified == 1 and third.new == 0  # Gazette kept the feed's validators
        assert stored_row(db, gone_url) is None and stored_row(db, gone_url.replace("/a/", "/alias/")) is None

        listed = [json.loads(line) for line in gazette("unpublished", "--json").splitlines()]
        assert [r["url"] for r in listed] == [gone_url, alone_url]
        assert all(set(r) == KEYS for r in listed)
        assert listed[0]["reason"] == "publisher's request: legal" and listed[0]["time"].startswith("20")
        table = gazette("unpublished")
        assert all(word in table for word in ("url", "reason", "time", "legal", "wire", "127.0.0.1"))

        # -- republish: the unchanged feed is read whole on its next (scheduled, not forced) ingest --------
        said = gazette("republish", gone_path)
        assert (
            said.strip()
            == f"republished: {gone_url} (its feed {feed.url} fetches it again on the next ingest)"
        )
        with db.session() as s:
            row = s.scalar(select(Feed).where(Feed.url == feed.url))
            assert row is not None and row.etag is None and row.next_check is None
        not_modified = feed.not_modified
        back = ingest(settings, db, force=False)
        assert back.new == 1 and back.feeds_ok == 1, back
        assert feed.not_modified == not_modified
        revived = stored_row(db, gone_url)
        assert revived is not None and revived[2] == title
        assert stored_row(db, alone_url) is None  # still unpublished
        listed = [json.loads(line) for line in gazette("unpublished", "--json").splitlines()]
        assert [r["url"] for r in listed] == [alone_url]
        with served(settings, db) as client:
            assert client.get(revived[1]).status_code == 200
            assert title in client.get("/feed.rss").text
    finally:
        db.dispose()


def test_bad_takedown_commands_say_why_in_one_line(cli_env: str, feed: ConditionalFeed) -> None:
    db = Database(cli_env)
    db.init()
    try:
        feed.publish(1)
        gazette("add-feed", feed.url)
        ingest(make_settings(cli_env, site={"base_url": BASE}), db, force=True)
    finally:
        db.dispose()
    url = feed.article_url(0)
    assert "no article stored at http://127.0.0.1:1/nope" in failing(
        "unpublish", "http://127.0.0.1:1/nope", "--reason", "x"
    )
    assert "no article stored" in failing("unpublish", "/content/2026/01/01/nothing.html", "--reason", "x")
    assert "--reason must not be empty" in failing("unpublish", url, "--reason", "  ", code=2)
    missing_reason = CliRunner().invoke(app, ["unpublish", url])
    assert missing_reason.exit_code == 2 and "--reason" in missing_reason.stderr
    assert "no unpublished article at" in failing("republish", url)
    assert gazette("unpublished").strip() == "no unpublished articles"
    assert gazette("unpublished", "--json") == ""
    gazette("unpublish", url, "--reason", "test")
    assert "already unpublished" in failing("unpublish", url, "--reason", "again")
    gazette("republish", url)
    assert "no unpublished article at" in failing("republish", url)


@pytest.mark.timeout(300)
def test_gazette_run_drops_an_unpublished_article_from_its_live_site_and_static_build(
    tmp_path: Path, live_feed: LiveFeed, runs: list[Run]
) -> None:
    """`gazette unpublish` in another process, while `gazette run --build` serves and ingests: the running
    server answers 410 within its cache check interval (its response cache follows the store) and the next round rebuilds the static
    site without the article's file, although that round ingested nothing new."""
    db_url = _subscribe(tmp_path / "desk.db", live_feed.url)
    live_feed.publish(2)
    site = tmp_path / "site"
    run = Run(["--build", str(site)], gazette_env(db_url, **FAST))
    runs.append(run)
    wait_until(lambda: len(_articles(db_url)) == 2, "both articles")
    stored = _articles(db_url)
    wait_until(lambda: all((site / path.lstrip("/")).is_file() for _, path, _ in stored), "the static build")
    title, path, _ = stored[0]
    status, _, body = _get(f"{run.base}{path}")
    assert status == 200 and html.escape(title) in body

    done = subprocess.run(
        [*GAZETTE, "unpublish", path, "--reason", "court order"],
        env=gazette_env(db_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # the response cache asks the store what changed at most once per check interval (a second)
    wait_until(lambda: _get(f"{run.base}{path}")[0] == 410, "the running server's 410", limit=30)
    status, _, body = _get(f"{run.base}{path}")
    assert status == 410 and html.escape(title) not in body
    # the round that drops the article's file may still be rewriting the listings that named it: wait for the
    # whole build to hold no trace of it, not just for the file to go
    wait_until(
        lambda: not (site / path.lstrip("/")).exists() and not _mentions(site, title),
        "the rebuild without the article",
    )
    assert (site / stored[1][1].lstrip("/")).is_file()
    code, _ = run.terminate()
    assert code == 0


def _mentions(site: Path, title: str) -> bool:
    """Whether any file of the static build holds ``title`` (a file removed while being read counts as not)."""
    for path in site.rglob("*"):
        try:
            if path.is_file() and title.encode() in path.read_bytes():
                return True
        except FileNotFoundError:
            continue
    return False
