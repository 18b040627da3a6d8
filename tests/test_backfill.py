"""`gazette backfill`: WARC files through extract → enrich → store, locally and on a real Dask cluster.

The WARC is written by ``tests/backfill_corpus.py``, whose docstring states what a backfill of it must give.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from gazette.errors import ArchiveError
from gazette.ingest.warc import plan_ranges, read_range
from gazette.pipeline import Pipeline, backfill_range
from gazette.store.db import Database
from gazette.store.schema import Article, ArticleLocale, BriefSentenceRow, Source
from gazette.store.story_schema import ArticleStory, Duplicate
from tests.backfill_corpus import records, write_warc
from tests.conftest import make_settings, pg_schema

GAZETTE = [sys.executable, "-c", "from gazette.cli import app; app()"]
DASK = str(Path(sys.executable).with_name("dask"))
FIRST_RUN = "backfilled 12 records: 8 new, 1 duplicates, 2 skipped, 1 failed"
SECOND_RUN = "backfilled 12 records: 0 new, 0 duplicates, 11 skipped, 1 failed"


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZETTE_")}
    env["GAZETTE_DATABASE_URL"] = url
    return env


def _backfill(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GAZETTE, "backfill", *args], env=_env(url), capture_output=True, text=True, timeout=600, check=False
    )


SNAPSHOT_FIELDS = (
    "url",
    "title",
    "content_hash",
    "section",
    "published",
    "fetched",
    "slug",
    "source",
    "locales",
    "brief",
)


def snapshot(url: str, *, memberships: bool = False) -> dict[str, object]:
    """What two backfills of the same WARC must agree on, whatever ids the databases gave; with
    ``memberships``, each article's story row too (similarity, fingerprint, features), by URL."""
    db = Database(url)
    try:
        with db.session() as s:
            rows = s.execute(
                select(
                    Article.id,
                    Article.canonical_url,
                    Article.title,
                    Article.content_hash,
                    Article.section,
                    Article.published_at,
                    Article.fetched_at,
                    Article.slug,
                    Source.name,
                    select(func.count(ArticleLocale.id))
                    .where(ArticleLocale.article_id == Article.id)
                    .scalar_subquery(),
                    select(func.count(BriefSentenceRow.id))
                    .where(BriefSentenceRow.article_id == Article.id)
                    .scalar_subquery(),
                ).outerjoin(Source, Source.id == Article.source_id)
            ).all()
            url_of = {r[0]: r[1] for r in rows}
            stories: dict[int, set[str]] = {}
            for article_id, story_id in s.execute(select(ArticleStory.article_id, ArticleStory.story_id)):
                stories.setdefault(story_id, set()).add(url_of[article_id])
            duplicates = sorted(
                (url_of[a], url_of[o])
                for a, o in s.execute(select(Duplicate.article_id, Duplicate.original_id))
            )
            story_rows = select(
                ArticleStory.article_id,
                ArticleStory.similarity,
                ArticleStory.fingerprint,
                ArticleStory.features,
            )
            placed = sorted((url_of[r[0]], *r[1:]) for r in s.execute(story_rows)) if memberships else []
    finally:
        db.dispose()
    found: dict[str, object] = {
        "articles": sorted(tuple(r[1:]) for r in rows),
        "stories": sorted(sorted(members) for members in stories.values()),
        "duplicates": duplicates,
    }
    if memberships:
        found["memberships"] = placed
    return found


# --- the WARC reader ------------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_ranges_cover_every_http_response_once(tmp_path: Path, gz: bool) -> None:
    path = write_warc(tmp_path / ("a.warc.gz" if gz else "a.warc"), gz=gz)
    ranges = plan_ranges(path, 5)
    assert [r.count for r in ranges] == [5, 5, 2]  # 12 responses; warcinfo and request records not counted
    urls = [resp.url for r in ranges for resp in read_range(r, 10_000_000)]
    assert len(urls) == 12 and len(set(urls)) == 12
    whole = [resp.url for resp in read_range(plan_ranges(path, 100)[0], 10_000_000)]
    assert urls == whole


def test_responses_that_are_not_html_pages_say_why(tmp_path: Path) -> None:
    path = write_warc(tmp_path / "a.warc")
    responses = list(read_range(plan_ranges(path, 100)[0], 10_000_000))
    reasons = {r.url: r.skip_reason for r in responses if r.page is None}
    assert reasons == {
        "https://harbour-ledger.example/logo.png": "not HTML (image/png)",
        "https://valley-courier.example/gone": "HTTP status 404",
    }
    page = next(r for r in responses if r.page is not None)
    assert page.url == "https://harbour-ledger.example/news/port-strike-0"
    assert page.fetched_at.isoformat() == "2026-03-02T07:05:00+00:00"  # the record's WARC-Date


def test_a_file_gzipped_as_one_stream_is_one_range(tmp_path: Path) -> None:
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gzip.compress(b"".join(records())))
    ranges = plan_ranges(path, 5)
    assert len(ranges) == 1 and ranges[0].count == 12
    assert len(list(read_range(ranges[0], 10_000_000))) == 12


def test_unreadable_warc_is_an_archive_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError):
        plan_ranges(tmp_path / "missing.warc", 10)
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(b"\x1f\x8b" + os.urandom(200))
    with pytest.raises(ArchiveError):
        plan_ranges(bad, 10)


# --- the worker side, in process ------------------------------------------------------------------------


def test_a_range_run_twice_or_cut_short_stores_each_article_once(tmp_path: Path, db_url: str) -> None:
    """What a killed worker leaves behind (some batches written) is completed by a re-run, never doubled."""
    settings = make_settings(db_url)
    path = write_warc(tmp_path / "a.warc.gz", gz=True)
    first_half = plan_ranges(path, 6)[0]
    db = Database(db_url)
    db.init()
    try:
        partial = backfill_range(settings, first_half, batch_size=2, db=db)
        assert partial.records == 6 and partial.new == 6  # the first six are articles
        whole = plan_ranges(path, 100)[0]
        rest = backfill_range(settings, whole, batch_size=3, db=db)
        assert (rest.records, rest.new, rest.duplicates, rest.skipped, rest.failed) == (12, 3, 0, 8, 1)
        again = backfill_range(settings, whole, batch_size=3, db=db)
        assert (again.new, again.skipped, again.failed) == (0, 11, 1)
        with Pipeline(settings, db, processes=1) as pipeline:
            placed = pipeline.assign_stories()
        assert len(placed) == 9
        with db.session() as s:
            assert s.scalar(select(func.count(Article.id))) == 9
            assert s.scalar(select(func.count(func.distinct(Article.canonical_url)))) == 9
            assert s.scalar(select(func.count(Duplicate.id))) == 1
            with_brief = select(func.count(func.distinct(BriefSentenceRow.article_id)))
            assert s.scalar(with_brief) == 9
    finally:
        db.dispose()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("tasks_fail", [False, True], ids=["workers-make-them", "tasks-fail"])
def test_story_inputs_made_on_dask_workers_place_as_the_client_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tasks_fail: bool
) -> None:
    """The story pass with each chunk's features and fingerprints made on the cluster's workers, ahead of the
    placing, writes what the client alone writes, and the client then uses the workers' inputs instead of
    making them; when the cluster's tasks fail, the client makes every input itself and still places all."""
    from distributed import Client

    from gazette import pipeline as pipeline_module
    from gazette.enrich import stories as stories_stage
    from gazette.pipeline import dask_story_inputs

    path = write_warc(tmp_path / "a.warc.gz", gz=True)
    from_workers: list[bool] = []  # per placed article: the worker's input was used
    real_for_article = stories_stage.for_article

    def for_article(prepared: Any, title: str, text: str, language: str | None, *, max_chars: int) -> Any:
        from_workers.append(prepared is not None and prepared.matches(title, text, language, max_chars))
        return real_for_article(prepared, title, text, language, max_chars=max_chars)

    def broken_task(settings: object, ids: list[int]) -> dict[int, object]:
        raise RuntimeError("worker lost")

    urls = {}
    for name in ("client", "cluster"):
        url = urls[name] = f"sqlite:///{tmp_path}/{name}.db"
        settings = make_settings(url)
        db = Database(url)
        db.init()
        try:
            assert backfill_range(settings, plan_ranges(path, 100)[0], batch_size=3, db=db).new == 9
            with Pipeline(settings, db, processes=1) as pipeline:
                if name == "client":
                    placed = pipeline.assign_stories(batch=2)
                else:
                    monkeypatch.setattr(stories_stage, "for_article", for_article)
                    if tasks_fail:
                        monkeypatch.setattr(pipeline_module, "story_inputs_task", broken_task)
                    with Client(
                        processes=False, n_workers=2, threads_per_worker=1, dashboard_address=":0"
                    ) as c:
                        placed = pipeline.assign_stories(
                            batch=2, prepare=dask_story_inputs(c, settings, ahead=2)
                        )
            assert len(placed) == 9
        finally:
            db.dispose()
    assert from_workers == [not tasks_fail] * 9
    assert snapshot(urls["cluster"], memberships=True) == snapshot(urls["client"], memberships=True)


# --- the command --------------------------------------------------------------------------------------


@pytest.mark.timeout(900)
def test_backfill_command_counts_and_skips_what_is_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/gazette.db"
    path = write_warc(tmp_path / "a.warc.gz", gz=True)
    first = _backfill(url, str(path), "--workers", "2", "--batch-size", "2")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines() == [FIRST_RUN]
    assert "failed https://valley-courier.example/menu" in first.stderr
    second = _backfill(url, str(path), "--workers", "1")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().splitlines() == [SECOND_RUN]
    snap = snapshot(url)
    assert len(snap["articles"]) == 8 + 1  # type: ignore[arg-type]
    assert [len(members) for members in snap["stories"]] == [3, 3, 3]  # type: ignore[attr-defined]


def test_backfill_of_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    done = _backfill(f"sqlite:///{tmp_path}/g.db", str(tmp_path / "nope.warc"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: not a file: {tmp_path / 'nope.warc'}"]


# --- a real Dask cluster into PostgreSQL -----------------------------------------------------------------


@pytest.fixture
def second_pg_url() -> Iterator[str]:
    with pg_schema() as url:
        yield url


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """A `dask scheduler` and two `dask worker` processes on 127.0.0.1 (free ports); yields its address."""
    info = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [
        subprocess.Popen(
            [
                DASK,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--dashboard-address",
                "127.0.0.1:0",
                "--scheduler-file",
                str(info),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 120
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert info.exists(), "the scheduler did not start"
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        DASK,
                        "worker",
                        "--scheduler-file",
                        str(info),
                        "--host",
                        "127.0.0.1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--dashboard-address",
                        "127.0.0.1:0",
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        address = json.loads(info.read_text())["address"]
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=180)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(1200)  # three clusters' worth of processes, each loading the models, on a shared machine
def test_backfill_on_a_dask_cluster_equals_a_local_run(
    tmp_path: Path, dask_cluster: str, pg_url: str, second_pg_url: str
) -> None:
    path = write_warc(tmp_path / "a.warc.gz", gz=True)
    on_cluster = _backfill(pg_url, str(path), "--scheduler", dask_cluster, "--batch-size", "1")
    assert on_cluster.returncode == 0, on_cluster.stderr
    assert on_cluster.stdout.strip().splitlines() == [FIRST_RUN]
    local = _backfill(second_pg_url, str(path), "--workers", "1")
    assert local.returncode == 0, local.stderr
    assert local.stdout.strip().splitlines() == [FIRST_RUN]
    cluster_snap, local_snap = snapshot(pg_url), snapshot(second_pg_url)
    assert len(cluster_snap["articles"]) == 9  # type: ignore[arg-type]
    differing = [
        (
            mine[0],
            [(field, a, b) for field, a, b in zip(SNAPSHOT_FIELDS, mine, theirs, strict=True) if a != b],
        )
        for mine, theirs in zip(cluster_snap["articles"], local_snap["articles"], strict=True)  # type: ignore[call-overload]
        if mine != theirs
    ]
    assert not differing
    assert cluster_snap == local_snap
    again = _backfill(pg_url, str(path), "--scheduler", dask_cluster)
    assert again.stdout.strip().splitlines() == [SECOND_RUN]
    assert snapshot(pg_url) == cluster_snap
