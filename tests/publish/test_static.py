"""The static build: every page, feed and sitemap as files; incremental rebuilds; served with no broken link."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx
import pytest
from typer.testing import CliRunner

from gazette import models
from gazette.config import Settings
from gazette.publish.static import MANIFEST, BuildReport, build_site, links_in, output_path, read_manifest
from gazette.store import listings
from gazette.store.db import Database
from tests.publish.conftest import asset_url
from tests.publish.publish_corpus import (
    SECTIONS,
    build_articles,
    corpus_settings,
    fill,
    free_port,
)

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def corpus_db(tmp_path: Path) -> Iterator[tuple[Settings, Database]]:
    """The publish corpus on a migrated SQLite file."""
    settings = corpus_settings(f"sqlite:///{tmp_path}/corpus.db")
    db = Database(settings.database_url)
    db.init()
    fill(db)
    try:
        yield settings, db
    finally:
        db.dispose()


@dataclasses.dataclass
class Built:
    settings: Settings
    settings_before: dict[str, object]
    db: Database
    out: Path
    report: BuildReport


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """One build of the corpus with --base-url https://news.example, shared by the tests that only read it."""
    folder = tmp_path_factory.mktemp("built")
    settings = corpus_settings(f"sqlite:///{folder}/corpus.db")
    db = Database(settings.database_url)
    db.init()
    fill(db)
    before = dataclasses.asdict(settings)
    try:
        report = build_site(settings, db, folder / "site", base_url="https://news.example/")
        yield Built(settings, before, db, folder / "site", report)
    finally:
        db.dispose()


def built_files(outdir: Path) -> set[str]:
    return {p.relative_to(outdir).as_posix() for p in outdir.rglob("*") if p.is_file()} - {MANIFEST}


def article_files(db: Database) -> set[str]:
    with db.session() as s:
        return {a.path.lstrip("/") for a in listings.all_articles(s)}


def html_files(outdir: Path) -> list[Path]:
    return sorted(outdir.rglob("*.html"))


# --- URL → file ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "index.html"),
        ("/politics-government/", "politics-government/index.html"),
        ("/politics-government/page/2/", "politics-government/page/2/index.html"),
        ("/content/2026/02/10/a-b.html", "content/2026/02/10/a-b.html"),
        ("/feed.rss", "feed.rss"),
        ("/locale/venezuela/feed.json", "locale/venezuela/feed.json"),
        ("/assets/gazette.css", "assets/gazette.css"),
        ("/api/docs", None),  # no file name: cannot be a static file
        ("/content/../../etc/passwd.html", None),
        ("/x/./y.html", None),
        ("relative.html", None),
    ],
)
def test_output_path(path: str, expected: str | None) -> None:
    assert output_path(path) == expected


def test_links_in_reads_every_kind_of_reference() -> None:
    html = (
        '<link rel="stylesheet" href="/a.css"><script src="/a.js"></script>'
        '<a href="/x/">x</a><img src="/i.png" alt=""><a name="anchor-only">n</a>'
    )
    assert links_in(html) == ["/a.css", "/a.js", "/x/", "/i.png"]


# --- a full build -------------------------------------------------------------------------------------


def test_build_writes_every_page_feed_and_sitemap(built: Built) -> None:
    db, out, report = built.db, built.out, built.report

    assert report.broken == []
    files = built_files(out)
    assert files == set(report.files) == set(report.written)
    assert article_files(db) <= files  # every article at its /content/YYYY/MM/DD/<slug>.html path
    for slug in SECTIONS:
        assert f"{slug}/index.html" in files
        for fmt in ("rss", "atom", "json"):
            assert f"{slug}/feed.{fmt}" in files
    assert "politics-government/page/2/index.html" in files  # 7 articles at 5 a page
    assert "politics-government/page/3/index.html" not in files
    for name in (
        "index.html",
        "feed.rss",
        "feed.atom",
        "feed.json",
        "sitemap.xml",
        "sitemap-news.xml",
        "robots.txt",
        "404.html",
        asset_url("gazette.css").lstrip("/"),
        asset_url("gazette.js").lstrip("/"),
        asset_url("print.css").lstrip("/"),
        "_headers",
        "source/harbour-ledger/index.html",
        "source/harbour-ledger/feed.rss",
        "locale/venezuela/index.html",
        "locale/venezuela/bolivar/index.html",
        "locale/venezuela/feed.atom",
        "archive/2026/02/index.html",
        "archive/2026/02/10/index.html",
    ):
        assert name in files, name
    assert report.pages == len([f for f in files if f.endswith(".html")]) - 1  # the 404 page is not one
    assert report.summary() == f"wrote {len(files)}, unchanged 0, removed 0"

    # The bytes are the live app's: the stylesheet is copied as it is.
    from gazette.publish.pages import ASSETS

    assert (out / asset_url("gazette.css").lstrip("/")).read_bytes() == (ASSETS / "gazette.css").read_bytes()

    # --base-url reaches feeds, sitemap and canonical links; the test settings' own URL appears nowhere.
    assert "https://news.example/content/" in (out / "feed.rss").read_text()
    assert "<loc>https://news.example/</loc>" in (out / "sitemap.xml").read_text()
    one_article = sorted(article_files(db))[0]
    assert (
        f'<link rel="canonical" href="https://news.example/{one_article}">' in (out / one_article).read_text()
    )
    for path in out.rglob("*"):
        if path.is_file():
            assert "gazette.test" not in path.read_text(encoding="utf-8"), path

    manifest = json.loads((out / MANIFEST).read_text())
    assert set(manifest["files"]) == files
    assert manifest["base_url"] == "https://news.example"
    assert dataclasses.asdict(built.settings) == built.settings_before  # the override was the build's own


def test_static_pages_link_no_search_or_api_unless_a_server_is_given(built: Built, tmp_path: Path) -> None:
    for page in html_files(built.out):
        html = page.read_text()
        refs = links_in(html) + re.findall(r'action="([^"]*)"', html)
        assert not [r for r in refs if "/search" in r or "/api/" in r], page
    assert 'role="search"' not in (built.out / "index.html").read_text()
    assert not (built.out / "search").exists() and not (built.out / "api").exists()

    out = tmp_path / "site"
    build_site(built.settings, built.db, out, search_url="https://live.example/search")
    for name in ("index.html", "politics-government/index.html", built.report.files[0]):
        assert 'action="https://live.example/search"' in (out / name).read_text(), name


def test_built_feeds_and_sitemaps_are_valid(built: Built) -> None:
    out = built.out
    xml_feeds = sorted([*out.rglob("feed.rss"), *out.rglob("feed.atom")])
    assert len(xml_feeds) >= 2 * (1 + len(SECTIONS) + 3)  # site, sections, sources at least
    for path in xml_feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.version in ("rss20", "atom10"), path
        assert parsed.entries, path
    for path in sorted(out.rglob("feed.json")):
        doc = json.loads(path.read_text())
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        assert doc["title"] and isinstance(doc["items"], list) and doc["items"], path
        assert all(item["id"] and ("content_text" in item or "content_html" in item) for item in doc["items"])
    root = ET.parse(out / "sitemap.xml").getroot()
    assert root.tag == f"{SITEMAP_NS}urlset"
    locs = [u.findtext(f"{SITEMAP_NS}loc") for u in root.findall(f"{SITEMAP_NS}url")]
    assert locs and all(loc and loc.startswith("https://news.example/") for loc in locs)
    # Every page in the sitemap exists as a file of the build.
    for loc in locs:
        assert loc is not None
        target = output_path(urlsplit(loc).path)
        assert target is not None and (out / target).is_file(), loc


@pytest.mark.postgres
def test_build_is_byte_identical_on_postgresql(built: Built, pg_url: str, tmp_path: Path) -> None:
    """The store, not the database, decides the site: the same corpus builds the same files on PostgreSQL."""
    settings = corpus_settings(pg_url)
    db = Database(pg_url)
    try:
        db.init()
        fill(db)
        report = build_site(settings, db, tmp_path / "site", base_url="https://news.example")
    finally:
        db.dispose()
    assert report.broken == []
    assert report.files == built.report.files
    differing = [
        rel
        for rel in report.files
        if (tmp_path / "site" / rel).read_bytes() != (built.out / rel).read_bytes()
        and rel != "sitemap-news.xml"  # its two-day window is measured from now
    ]
    assert differing == []


# --- incremental rebuilds -----------------------------------------------------------------------------


def test_rebuild_without_changes_writes_nothing(built: Built) -> None:
    out = built.out
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != MANIFEST}
    again = build_site(built.settings, built.db, out, base_url="https://news.example")
    assert again.written == [] and again.removed == []
    assert again.unchanged == built.report.files
    assert again.summary() == f"wrote 0, unchanged {len(built.report.files)}, removed 0"
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def new_article() -> models.Article:
    """An Environment article from Valley Courier on 2026-02-18, a day that already has articles."""
    text = "Rangers counted more herons on the marsh than last year.\n\nThe count runs every spring."
    return models.Article(
        url="https://valley-courier.example/news/herons",
        canonical_url="https://canonical.example/herons",
        title="Herons return to the marsh",
        text=text,
        html="<p>Rangers counted more herons on the marsh than last year.</p>",
        published_at=datetime(2026, 2, 18, 11, 0, tzinfo=UTC),
        fetched_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        language="en",
        content_hash="hash-herons",
        source="Valley Courier",
        section=models.SectionAssignment("Environment", "environment", 0.9, "feed"),
        brief=[models.BriefSentence(0, text.split("\n\n")[0], 0, text.index("\n"))],
    )


def listing_files(db: Database, base: str, flt: listings.ArticleFilter, page_size: int) -> set[str]:
    with db.session() as s:
        pages = max(1, -(-listings.count_matching(s, flt) // page_size))
    return {f"{base}index.html"} | {f"{base}page/{n}/index.html" for n in range(2, pages + 1)}


def test_rebuild_after_one_new_article_rewrites_only_the_pages_it_changes(
    corpus_db: tuple[Settings, Database], tmp_path: Path
) -> None:
    settings, db = corpus_db
    out = tmp_path / "site"
    before = build_site(settings, db, out)
    old_bytes = {rel: (out / rel).read_bytes() for rel in before.files}

    fill(db, [("Valley Courier", new_article())])
    after = build_site(settings, db, out)
    with db.session() as s:
        new = next(a for a in listings.all_articles(s) if a.title == "Herons return to the marsh")
        new_path = new.path.lstrip("/")
        source_id = new.source_id
        # Article pages whose "Related articles" now list the new one (same section, no shared place).
        related_to_new = {
            a.path.lstrip("/")
            for a in listings.all_articles(s)
            if a.id != new.id and new.id in {r.id for r in listings.related_articles(s, a)}
        }
    feeds = {f"feed.{fmt}" for fmt in ("rss", "atom", "json")}
    expected_written = (
        {new_path, "index.html", "sitemap.xml"}
        | feeds
        | {f"environment/{f}" for f in feeds}
        | {f"source/valley-courier/{f}" for f in feeds}
        | listing_files(db, "environment/", listings.ArticleFilter(section="environment"), 5)
        # Newest first: every page of the source's listing shifts by one.
        | listing_files(db, "source/valley-courier/", listings.ArticleFilter(source_id=source_id), 5)
        | {"archive/2026/02/18/index.html", "archive/2026/02/index.html"}
        | related_to_new
    )
    assert related_to_new  # the other Environment articles link to it
    assert new_path in set(after.written) - set(before.files)
    assert set(after.written) == expected_written
    assert after.removed == []
    assert after.summary() == (
        f"wrote {len(expected_written)}, unchanged {len(before.files) + 1 - len(expected_written)}, removed 0"
    )
    # "Unchanged" means byte-identical to the first build, and "written" means the bytes really changed.
    for rel in after.unchanged:
        assert (out / rel).read_bytes() == old_bytes[rel], rel
    for rel in set(after.written) - {new_path}:
        assert (out / rel).read_bytes() != old_bytes[rel], rel


def test_rebuild_removes_pages_that_no_longer_exist(built: Built, tmp_path: Path) -> None:
    out = tmp_path / "site"
    shutil.copytree(built.out, out)  # the full corpus's build, manifest included
    (out / "notes.txt").write_text("not the build's: must survive")
    fewer = corpus_settings(f"sqlite:///{tmp_path}/fewer.db")
    fewer_db = Database(fewer.database_url)
    try:
        fewer_db.init()
        # Without any Valley Courier article: its source listing and feeds go, and so do its articles.
        fill(fewer_db, [(src, a) for src, a in build_articles() if src != "Valley Courier"])
        second = build_site(fewer, fewer_db, out, base_url="https://news.example")
        gone = set(built.report.files) - set(second.files)
        assert set(second.removed) == gone
        assert {"source/valley-courier/index.html", "source/valley-courier/feed.rss"} <= gone
        assert article_files(built.db) - article_files(fewer_db) <= gone
        assert not (out / "source/valley-courier").exists()  # emptied folders are pruned
        assert (out / "notes.txt").read_text() == "not the build's: must survive"
        assert built_files(out) == set(second.files) | {"notes.txt"}
    finally:
        fewer_db.dispose()


def test_a_tampered_manifest_never_deletes_outside_the_build(tmp_path: Path) -> None:
    settings = corpus_settings(f"sqlite:///{tmp_path}/empty.db")
    db = Database(settings.database_url)
    db.init()
    out = tmp_path / "site"
    out.mkdir()
    outside = tmp_path / "keep.txt"
    outside.write_text("precious")
    (out / "notes").write_text("not a page")
    entries = {"../keep.txt": "x", str(outside): "x", "notes": "x", "old/page.html": "x"}
    (out / MANIFEST).write_text(json.dumps({"version": 1, "files": entries}))
    (out / "old").mkdir()
    (out / "old/page.html").write_text("stale")
    try:
        report = build_site(settings, db, out)
    finally:
        db.dispose()
    assert report.removed == ["old/page.html"]  # the one entry that names a page of a build
    assert outside.read_text() == "precious" and (out / "notes").read_text() == "not a page"
    assert not (out / "old").exists()
    assert set(json.loads((out / MANIFEST).read_text())["files"]) == set(report.files)


@pytest.mark.parametrize("content", ["[1, 2]", "not json", '{"version": 99, "files": {}}', '{"version": 1}'])
def test_an_unreadable_manifest_means_a_full_build(tmp_path: Path, content: str) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / MANIFEST).write_text(content)
    assert read_manifest(out) == {}


# --- served by a static file server -------------------------------------------------------------------


class StaticServer:
    """``python -m http.server`` in a subprocess on a free 127.0.0.1 port, serving ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> StaticServer:
        self.root.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "http.server",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--directory",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(self.base_url + "/", timeout=1)
                return self
            except httpx.TransportError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.__exit__()
                    raise RuntimeError("http.server did not start") from None
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def static_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static file server over an (initially empty) folder: (base URL, folder)."""
    with StaticServer(tmp_path / "served") as server:
        yield server.base_url, server.root


def crawl(base: str) -> tuple[dict[str, int], list[tuple[str, str, int]]]:
    """Follow every same-origin link from ``base/`` and ``base/robots.txt`` (where crawlers find the
    sitemap), also links outside ``base``'s path; (status by URL path, broken (url, referrer, status))."""
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    status: dict[str, int] = {}
    broken: list[tuple[str, str, int]] = []
    todo: list[tuple[str, str]] = [(base + "/robots.txt", "(start)"), (base + "/", "(start)")]
    absolute_link = re.compile(re.escape(origin) + r"/[^\s\"'<>]*")
    with httpx.Client(timeout=10) as client:
        while todo:
            url, referrer = todo.pop()
            path = urlsplit(url).path
            if path in status:
                continue
            response = client.get(url)
            status[path] = response.status_code
            if response.status_code != 200:
                broken.append((url, referrer, response.status_code))
                continue
            if path.endswith((".html", "/")):
                refs = [urljoin(url, href) for href in links_in(response.text)]
            elif path.endswith((".rss", ".atom", ".json", ".xml", ".txt")):
                refs = absolute_link.findall(response.text)  # feed items, sitemap locs, robots' Sitemap
            else:
                refs = []
            for ref in refs:
                ref_parts = urlsplit(ref)
                if f"{ref_parts.scheme}://{ref_parts.netloc}" == origin:
                    todo.append((origin + ref_parts.path, url))  # a query (?view=print) is the same file
    return status, broken


def test_served_build_has_no_broken_internal_link(
    corpus_db: tuple[Settings, Database], static_server: tuple[str, Path]
) -> None:
    settings, db = corpus_db
    base, root = static_server
    report = build_site(settings, db, root, base_url=base)  # absolute links point at this server too
    status, broken = crawl(base)
    assert broken == []
    crawled = set(status)
    # The crawl reached every kind of file: articles, listings, feeds, sitemaps and assets …
    for path in ("/politics-government/page/2/", "/feed.json", "/sitemap.xml", asset_url("gazette.js")):
        assert path in crawled, path
    assert {"/" + f for f in article_files(db)} <= crawled
    # … and every file of the build is linked from somewhere (the 404 page aside; robots.txt names only
    # the main sitemap, so the news sitemap is found by search engines' own configuration).
    reachable = {output_path(p) for p in crawled}
    assert set(report.files) - reachable <= {"404.html", "sitemap-news.xml", "_headers"}
    assert len(reachable) > 100
    # A missing page is a 404 from the static server, not something the crawl would miss.
    assert httpx.get(base + "/content/2026/02/10/no-such-article.html").status_code == 404


@pytest.mark.slow
def test_demo_corpus_build_is_served_without_broken_links(
    tmp_path: Path, static_server: tuple[str, Path]
) -> None:
    """The issue's acceptance check: ingest the demo publisher over HTTP, build, serve, crawl."""
    from gazette.demo.publisher import DemoPublisher
    from gazette.pipeline import Pipeline
    from gazette.store import subscriptions as feed_store
    from tests.conftest import make_settings

    base, root = static_server
    settings = make_settings(f"sqlite:///{tmp_path}/demo.db", site={"base_url": base})
    db = Database(settings.database_url)
    db.init()
    try:
        with DemoPublisher() as publisher:
            with db.session() as s:
                for f in publisher.feeds():
                    feed_store.add_feed(s, f.url, section=f.section, source=f.source)
            with Pipeline(settings, db) as pipeline:
                ingested = pipeline.ingest([f.url for f in publisher.feeds()], force=True)
        assert ingested.new > 20
        report = build_site(settings, db, root)
        assert report.broken == []
        assert {"/" + f for f in article_files(db)} <= {"/" + f for f in report.files}
    finally:
        db.dispose()
    status, broken = crawl(base)  # the publisher is gone: only the built site answers now
    assert broken == []
    assert len(status) >= report.pages


# --- the command --------------------------------------------------------------------------------------


def test_served_build_under_a_path_prefix(
    corpus_db: tuple[Settings, Database], static_server: tuple[str, Path]
) -> None:
    """A site published at https://host/news/: links carry the prefix, files sit at the folder's root."""
    settings, db = corpus_db
    origin, root = static_server
    report = build_site(settings, db, root / "news", base_url=origin + "/news")
    assert (root / "news/index.html").is_file() and not (root / "news/news").exists()
    status, broken = crawl(origin + "/news")
    assert broken == []  # the server's root is the parent folder: a link missing the prefix would 404
    crawled = {p.removeprefix("/news") for p in status}
    assert {"/" + f for f in article_files(db)} <= crawled
    assert set(report.files) - {output_path(p) for p in crawled} <= {
        "404.html",
        "sitemap-news.xml",
        "_headers",
    }
    assert f"<loc>{origin}/news/politics-government/</loc>" in (root / "news/sitemap.xml").read_text()


def test_cli_build_prints_what_it_wrote(corpus_db: tuple[Settings, Database], tmp_path: Path) -> None:
    from gazette.cli import app as cli_app  # here, so a broken command elsewhere fails only this test

    settings, _db = corpus_db
    config = tmp_path / "gazette.toml"
    config.write_text(
        f'database_url = "{settings.database_url}"\n[site]\ntitle = "Test Gazette"\npage_size = 5\n'
    )
    out = tmp_path / "site"
    runner = CliRunner()
    first = runner.invoke(
        cli_app, ["build", str(out), "--base-url", "https://cli.example", "--config", str(config)]
    )
    assert first.exit_code == 0, first.output
    written = len(built_files(out))
    assert f"wrote {written}, unchanged 0, removed 0" in first.output
    assert "https://cli.example/" in (out / "sitemap.xml").read_text()
    again = runner.invoke(
        cli_app, ["build", str(out), "--base-url", "https://cli.example", "-c", str(config)]
    )
    assert again.exit_code == 0, again.output
    assert f"wrote 0, unchanged {written}, removed 0" in again.output
    bad = runner.invoke(cli_app, ["build", str(out), "--base-url", "javascript:alert(1)", "-c", str(config)])
    assert bad.exit_code == 2
