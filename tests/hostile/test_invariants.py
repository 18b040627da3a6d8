"""HOSTILE.md's invariants after a fault, as far as a hostile server can cause one (the kill -9, disk-full and
database faults live in tests/faults): I1 no loss, I2 no duplicates, I3 validators last, I4 clean publishing,
I5 locks expire."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from gazette import models
from gazette.errors import StorageError
from gazette.publish.static import build_site
from gazette.store import articles as article_store
from gazette.store.schema import Feed
from tests.hostile.cases import case
from tests.hostile.conftest import Desk
from tests.hostile.server import HostileHandler

PAGES = 4


def _flaky_site(desk: Desk) -> tuple[str, set[str], dict[str, int]]:
    """A feed of PAGES items behind a server whose pages reset on their first request; the feed answers
    304 to a matching If-None-Match, as real servers do. Returns the feed URL, the article URLs and the
    request counts per page."""
    seen: dict[str, int] = {}
    lock = threading.Lock()
    pages = {}
    for i in range(PAGES):
        path = f"/flaky/{i}.html"
        desk.page(path, title=f"Flaky story {i}")
        pages[path] = desk.server.routes[path]

    def flaky(h: HostileHandler) -> None:
        with lock:
            seen[h.path] = seen.get(h.path, 0) + 1
            first = seen[h.path] == 1
        if first:
            h.head(200, [("Content-Type", "text/html"), ("Content-Length", "5000")])
            h.wfile.write(b"<html><body><p>cut")
            h.reset()
        else:
            pages[h.path](h)

    for path in pages:
        desk.server.add(path, flaky)
    items = "".join(
        f"<item><title>Flaky story {i}</title><link>{desk.server.url(f'/flaky/{i}.html')}</link></item>"
        for i in range(PAGES)
    )
    body = f'<rss version="2.0"><channel><title>Flaky</title><link>{desk.base}/</link>{items}</channel></rss>'.encode()

    def feed(h: HostileHandler) -> None:
        if h.headers.get("If-None-Match") == '"flaky-v1"':
            h.send_bytes(304, b"", "", {"ETag": '"flaky-v1"'})
        else:
            h.send_bytes(200, body, "application/rss+xml", {"ETag": '"flaky-v1"'})

    url = desk.server.add("/flaky.xml", feed)
    return url, {desk.server.url(p) for p in pages}, seen


@case("inv_no_loss")
def test_pages_that_failed_are_not_lost_behind_a_304(desk: Desk) -> None:
    desk.seed()
    url, expected, _ = _flaky_site(desk)
    first = desk.ingest(url)
    assert first.articles_failed == PAGES and first.new == 0, first
    desk.ingest(url)
    assert expected <= set(desk.snapshot())  # a re-run ends with the articles of a fault-free run


@case("inv_no_loss")
def test_rerun_after_transient_page_faults_equals_a_clean_run(desk: Desk) -> None:
    desk.seed()
    url, expected, seen = _flaky_site(desk)
    first = desk.ingest(url)
    assert first.articles_failed == PAGES, first
    with desk.db.session() as s:  # a server that ignores validators (or an operator's forced refetch)
        s.scalar(select(Feed).where(Feed.url == url)).etag = None
    second = desk.ingest(url)
    assert second.new == PAGES, second
    assert set(desk.snapshot()) == expected | set(desk.baseline)
    assert desk.ingest(url).new == 0
    desk.assert_clean()


@case("inv_unique_key")
def test_one_article_from_two_feeds_and_the_unique_key(desk: Desk) -> None:
    desk.seed()
    desk.page("/shared/story.html", title="Shared story")
    feeds = []
    for i, suffix in enumerate(("?utm_source=a", "?fbclid=z#c")):
        link = desk.server.url("/shared/story.html" + suffix).replace("&", "&amp;")
        body = f'<rss version="2.0"><channel><title>F{i}</title><item><title>Shared</title><link>{link}</link></item></channel></rss>'
        feeds.append(desk.server.static(f"/shared{i}.xml", body.encode(), "application/rss+xml"))
    report = desk.ingest(*feeds)
    assert report.new == 1, report
    # The key is a UNIQUE constraint, not only a check in Python.
    with pytest.raises(StorageError), desk.db.session() as s:
        row = article_store.find_existing(s, _article(desk.server.url("/shared/story.html")))
        assert row is not None
        clone = type(row)(
            **{
                c: getattr(row, c)
                for c in (
                    "canonical_url",
                    "original_url",
                    "title",
                    "text",
                    "html",
                    "content_hash",
                    "fetched_at",
                )
            },
            date_path="2001/01/01",
            slug="clone",
        )
        s.add(clone)
        s.flush()
    desk.assert_clean()


def _article(url: str) -> models.Article:
    return models.Article(url=url, canonical_url=url, title="x", text="x")


@case("inv_validators_last")
def test_validators_are_written_only_with_a_complete_answer(desk: Desk) -> None:
    desk.seed()
    body = desk.fixture("rss_basic.xml")
    desk.server.static(
        "/v.xml",
        body,
        "application/rss+xml",
        headers={"ETag": '"good"', "Last-Modified": "Fri, 20 Nov 2026 09:00:00 GMT"},
    )
    url = desk.server.url("/v.xml")
    desk.ingest(url)
    assert desk.feed(url).etag == '"good"'
    for broken in (
        lambda: desk.server.reset_after("/v.xml", body[:100], len(body), {"ETag": '"cut"'}),
        lambda: desk.server.static(
            "/v.xml", b"<rss><chan", "application/rss+xml", headers={"ETag": '"garbage"'}
        ),
        lambda: desk.server.static("/v.xml", b"oops", "text/plain", status=500, headers={"ETag": '"error"'}),
    ):
        broken()
        report = desk.ingest(url)
        desk.failed(report, url)
        row = desk.feed(url)
        assert row.etag == '"good"' and row.last_modified == "Fri, 20 Nov 2026 09:00:00 GMT"
    desk.assert_clean()


@case("inv_clean_publishing")
def test_uncommitted_rows_are_not_published(desk: Desk) -> None:
    desk.seed()
    client = desk.client()
    saw: list[int] = []
    with desk.db.session() as s:
        article_store.save_article(
            s,
            models.Article(
                url="http://x.test/u",
                canonical_url="http://x.test/u",
                title="Uncommitted story",
                text="words " * 40,
                content_hash="u",
            ),
            source_id=None,
            feed_id=None,
        )
        s.flush()
        for path in ("/", "/api/articles", "/feed.rss"):
            answer = client.get(path)
            assert answer.status_code == 200
            saw.append(answer.text.count("Uncommitted story"))
        s.rollback()
    assert saw == [0, 0, 0]
    assert all(a["title"] != "Uncommitted story" for a in desk.articles())
    desk.assert_clean()


@case("inv_clean_publishing")
def test_static_build_leaves_only_complete_files(desk: Desk, tmp_path: Path) -> None:
    desk.seed()
    parent = tmp_path / "build"
    parent.mkdir()
    out = parent / "site"
    build_site(desk.settings, desk.db, out)
    build_site(desk.settings, desk.db, out)  # a rebuild over an existing tree
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files
    for path in files:
        name = path.name
        assert not name.endswith((".tmp", ".part", "~")), name
        assert path.stat().st_size > 0 or path.suffix not in (".html", ".rss", ".json", ".xml"), name
    assert not [p for p in files if p.name.startswith(".tmp-")]  # every temp file was renamed or removed
    stray = [p for p in parent.iterdir() if p != out]
    assert stray == []


@case("inv_lease_expiry")
def test_feed_leases_expire_and_dead_holders_are_taken_over(desk: Desk) -> None:
    desk.seed()
    desk.page("/lease/a.html", title="Lease story")
    body = f'<rss version="2.0"><channel><title>L</title><item><title>Lease</title><link>{desk.server.url("/lease/a.html")}</link></item></channel></rss>'
    url = desk.server.static("/lease.xml", body.encode(), "application/rss+xml")
    desk.subscribe(url)
    now = datetime.now(UTC)

    def hold(until: datetime, owner: str) -> None:
        with desk.db.session() as s:
            feed = s.scalar(select(Feed).where(Feed.url == url))
            feed.lease_until = until
            feed.lease_owner = owner

    hold(now + timedelta(minutes=10), "another-host:123")  # a live run elsewhere: skipped
    assert desk.ingest(url).feeds_ok == 0
    hold(now - timedelta(seconds=1), "another-host:123")  # its lease ran out: taken
    assert desk.ingest(url).new == 1
    dead = _dead_pid()
    hold(now + timedelta(minutes=10), f"{socket.gethostname()}:{dead}")  # a dead process on this host
    assert desk.ingest(url).feeds_ok == 1
    row = desk.feed(url)
    assert row.lease_until is None and row.lease_owner is None  # released after the run
    desk.assert_clean()


def _dead_pid() -> int:
    pid = 4_000_000
    while pid > 300:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 7919
    raise AssertionError("no free pid found")


_BUILD = """
import sys
from gazette.publish.static import build_site
from gazette.store.db import Database
from tests.conftest import make_settings
db = Database(sys.argv[1])
build_site(make_settings(sys.argv[1]), db, sys.argv[2])
"""


@case("inv_clean_publishing")
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_static_files_are_fsynced_before_rename(desk: Desk, tmp_path: Path) -> None:
    desk.seed()
    trace = tmp_path / "trace.txt"
    out = tmp_path / "site"
    cmd = ["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync,rename,renameat,renameat2", "-o", str(trace)]
    done = subprocess.run(
        [*cmd, sys.executable, "-c", _BUILD, desk.settings.database_url, str(out)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0 and "ptrace" in done.stderr.lower():
        pytest.skip("ptrace is not permitted here")
    assert done.returncode == 0, done.stderr[-2000:]
    lines = trace.read_text().splitlines()
    renames = [i for i, line in enumerate(lines) if "rename" in line and ".tmp-" in line]
    assert renames, "the build renamed no temp files"
    syncs = [i for i, line in enumerate(lines) if "fsync(" in line or "fdatasync(" in line]
    assert len(syncs) >= len(renames), (len(syncs), len(renames))
