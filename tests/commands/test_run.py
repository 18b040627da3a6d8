"""`gazette run` as a subprocess over real HTTP: it serves at once, picks up a new item of a served feed without a
restart, keeps a static build up to date, answers /healthz and /metrics, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import urllib.request
from pathlib import Path

from sqlalchemy import func, select

from gazette.store import subscriptions as feed_store
from gazette.store.db import Database
from gazette.store.schema import Article, BriefSentenceRow, Feed
from tests.commands.conftest import GAZETTE, LiveFeed, Run, gazette_env, wait_until

FAST = {"GAZETTE_SCHEDULE_MIN_INTERVAL": "1", "GAZETTE_SCHEDULE_MAX_INTERVAL": "2"}


def _subscribe(path: Path, url: str) -> str:
    db_url = f"sqlite:///{path}"
    db = Database(db_url)
    db.init()
    with db.session() as s:
        feed_store.add_feed(s, url, source="Live Wire")
    db.dispose()
    return db_url


def _articles(db_url: str) -> list[tuple[str, str, int]]:
    """(title, permalink path, brief sentences) of every stored article."""
    db = Database(db_url)
    try:
        with db.session() as s:
            rows = s.scalars(select(Article).order_by(Article.id)).all()
            briefs = dict(
                s.execute(
                    select(BriefSentenceRow.article_id, func.count(BriefSentenceRow.id)).group_by(
                        BriefSentenceRow.article_id
                    )
                ).all()
            )
            return [(a.title, a.path, int(briefs.get(a.id, 0))) for a in rows]
    finally:
        db.dispose()


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.headers.get("Cache-Control", ""), answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Cache-Control", ""), exc.read().decode()


def test_run_serves_at_once_picks_up_a_new_item_and_stops_on_sigterm(
    tmp_path: Path, live_feed: LiveFeed, runs: list[Run]
) -> None:
    db_url = _subscribe(tmp_path / "desk.db", live_feed.url)
    live_feed.publish(1)
    site = tmp_path / "site"
    run = Run(["--build", str(site)], gazette_env(db_url, **FAST))
    runs.append(run)
    base = run.base
    assert base is not None

    status, _, body = _get(f"{base}/healthz")  # served before the first ingest has to finish
    assert status == 200 and json.loads(body)["status"] == "ok"

    wait_until(lambda: len(_articles(db_url)) == 1, "the first article")
    fetches_before = live_feed.feed_requests
    live_feed.publish(1)  # a new item on the served feed; the run is not restarted
    wait_until(lambda: len(_articles(db_url)) == 2, "the new item")
    assert live_feed.feed_requests > fetches_before
    stored = _articles(db_url)
    assert [t for t, _, _ in stored] == [live_feed.articles[0].title, live_feed.articles[1].title]

    # --build: both articles' pages are in the static site, the second one rebuilt after its ingest
    wait_until(lambda: all((site / path.lstrip("/")).is_file() for _, path, _ in stored), "the static build")
    assert live_feed.articles[1].title.split()[0] in (site / stored[1][1].lstrip("/")).read_text()

    status, cache_control, body = _get(f"{base}/healthz")
    health = json.loads(body)
    assert status == 200 and cache_control == "no-store"
    assert health["database"] == "ok" and health["last_ingest"] is not None
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", health["last_ingest"])

    status, _, metrics = _get(f"{base}/metrics")
    assert status == 200
    ingested = re.search(r"^gazette_articles_ingested_total (\S+)$", metrics, re.M)
    fetched_ok = re.search(r'^gazette_feed_fetches_total\{outcome="ok"\} (\S+)$', metrics, re.M)
    assert ingested and float(ingested.group(1)) == 2.0
    assert fetched_ok and float(fetched_ok.group(1)) >= 2.0
    pages = re.search(r"^gazette_extract_seconds_count (\S+)$", metrics, re.M)
    assert pages and float(pages.group(1)) == 2.0

    code, stderr = run.terminate()
    assert code == 0, stderr
    assert "stopped" in "".join(run.lines)


def test_sigterm_in_the_middle_of_a_feed_leaves_nothing_half_written(
    tmp_path: Path, live_feed: LiveFeed, runs: list[Run]
) -> None:
    db_url = _subscribe(tmp_path / "desk.db", live_feed.url)
    live_feed.publish(3)
    release = threading.Event()
    original_page = live_feed.page

    def held_page(
        n: int,
    ) -> bytes:  # the newest (listed first, fetched first) at once; the others when released
        if n < 2:
            release.wait(120)
        return original_page(n)

    live_feed.page = held_page  # type: ignore[method-assign]
    env = gazette_env(db_url, **FAST, GAZETTE_FETCH_TIMEOUT_SECONDS="120", GAZETTE_FETCH_TOTAL_TIMEOUT="240")
    run = Run([], env)
    runs.append(run)
    try:
        wait_until(lambda: len(_articles(db_url)) == 1, "the first article")
        wait_until(lambda: live_feed.page_requests >= 2, "the run to be reading the second article")
        code, stderr = run.terminate()  # while a worker waits for article 1's page
    finally:
        release.set()
    assert code == 0, stderr

    stored = _articles(db_url)
    assert [t for t, _, _ in stored] == [live_feed.articles[2].title] and stored[0][
        2
    ] > 0  # the stored article is whole: text and its brief
    db = Database(db_url)
    with db.session() as s:
        feed = s.scalar(select(Feed))
        assert feed is not None
        assert feed.lease_until is None and feed.lease_owner is None  # the next run may take it at once
        assert feed.error_count == 0 and feed.last_success is None  # not recorded as checked: items are left
        assert s.connection().exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    db.dispose()

    # Nothing was lost: a plain ingest afterwards stores the two articles the stopped run had not reached.
    rerun = subprocess.run(
        [*GAZETTE, "ingest"],
        env=gazette_env(db_url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(t for t, _, _ in _articles(db_url)) == sorted(a.title for a in live_feed.articles[:3])


def test_run_refuses_bad_arguments_in_one_line(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'desk.db'}"
    busy = socket.create_server(("127.0.0.1", 0))
    afile = tmp_path / "a-file"
    afile.write_text("not a folder")
    cases = [
        (["--port", str(busy.getsockname()[1])], 1, "cannot serve on 127.0.0.1:"),
        (["--port", "70000"], 2, "--port must be between 0 and 65535"),
        (["--build", str(afile)], 2, "is a file, not a folder"),
    ]
    try:
        for args, code, message in cases:
            done = subprocess.run(
                [*GAZETTE, "run", *args], env=gazette_env(db_url), capture_output=True, text=True, timeout=120
            )
            lines = done.stderr.strip().splitlines()
            assert done.returncode == code, done.stderr
            assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], done.stderr
    finally:
        busy.close()
