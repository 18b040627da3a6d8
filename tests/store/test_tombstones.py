"""Tombstones (migration 0010) against the writers that are not a feed ingest: a backfill of a WARC that holds an
unpublished article skips it (by its URL, and by its text under another URL of the same publisher) and its
counts still add up; migrate-db copies the tombstones, so the copy keeps the article out too. On SQLite and
PostgreSQL. The WARC is ``tests/backfill_corpus.py``'s (12 records; its docstring says what a backfill gives)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gazette import models
from gazette.ingest.warc import plan_ranges, response_record
from gazette.pipeline import BackfillCounts, Pipeline, backfill_range
from gazette.store import articles as article_store
from gazette.store import bulk as bulk_store
from gazette.store import tombstones as tombstone_store
from gazette.store.db import Database
from gazette.store.migrate import copy_database
from gazette.store.schema import Article
from gazette.store.story_schema import Duplicate
from tests.backfill_corpus import BASE, EVENTS, article_html, write_warc
from tests.conftest import make_settings

GAZETTE = [sys.executable, "-c", "from gazette.cli import app; app()"]
TAKEN_DOWN = "https://harbour-ledger.example/news/port-strike-0"  # the original of the corpus's near-copy


def _backfill(db: Database, path: Path) -> BackfillCounts:
    settings = make_settings(db.url)
    counts = backfill_range(settings, plan_ranges(path, 100)[0], batch_size=4, db=db)
    with Pipeline(settings, db, processes=1) as pipeline:
        pipeline.assign_stories()
    return counts


def _outcome(counts: BackfillCounts) -> tuple[int, int, int, int, int]:
    assert counts.records == counts.new + counts.duplicates + counts.skipped + counts.failed
    return counts.records, counts.new, counts.duplicates, counts.skipped, counts.failed


def _take_down(db: Database, url: str) -> None:
    with db.session() as s:
        article = article_store.find_by_url(s, url)
        assert article is not None
        tombstone_store.unpublish(s, article, "licence withdrawn")


def _same_text_elsewhere(path: Path) -> Path:
    """One record: the taken-down article's page, word for word, under another URL of its publisher."""
    _slug, title, paragraphs = EVENTS[0]
    page = article_html(title, paragraphs, BASE, "harbour-ledger.example")
    path.write_bytes(response_record(f"{TAKEN_DOWN}-amp", page, BASE + timedelta(days=1)))
    return path


def test_a_backfill_skips_an_unpublished_article_by_url_and_by_text(tmp_path: Path, db_url: str) -> None:
    warc = write_warc(tmp_path / "a.warc.gz", gz=True)
    db = Database(db_url)
    db.init()
    try:
        assert _outcome(_backfill(db, warc)) == (12, 9, 0, 2, 1)  # 9 stored; the near-copy is stored too
        with db.session() as s:
            assert s.scalar(select(func.count(Duplicate.id))) == 1
        _take_down(db, TAKEN_DOWN)
        with db.session() as s:
            assert s.scalar(select(func.count(Article.id))) == 8
            assert s.scalar(select(func.count(Duplicate.id))) == 0  # the copy no longer points at it
        # again: the unpublished article is one more skipped record, and nothing is new
        assert _outcome(_backfill(db, warc)) == (12, 0, 0, 11, 1)
        # its text under another URL of the same publisher is skipped too
        assert _outcome(_backfill(db, _same_text_elsewhere(tmp_path / "amp.warc"))) == (1, 0, 0, 1, 0)
        with db.session() as s:
            assert s.scalar(select(func.count(Article.id))) == 8
            assert article_store.find_by_url(s, TAKEN_DOWN) is None
            # republished: the next backfill stores it again
            stone = tombstone_store.tombstone_by_url(s, [TAKEN_DOWN])
            assert stone is not None
            tombstone_store.lift(s, stone)
        assert _outcome(_backfill(db, warc)) == (12, 1, 0, 10, 1)
        with db.session() as s:
            assert article_store.find_by_url(s, TAKEN_DOWN) is not None
    finally:
        db.dispose()


@pytest.mark.timeout(900)
def test_the_backfill_command_counts_an_unpublished_article_as_skipped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/gazette.db"
    warc = write_warc(tmp_path / "a.warc.gz", gz=True)
    db = Database(url)
    db.init()
    try:
        _backfill(db, warc)
        _take_down(db, TAKEN_DOWN)
    finally:
        db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZETTE_")}
    env["GAZETTE_DATABASE_URL"] = url
    done = subprocess.run(
        [*GAZETTE, "backfill", str(warc), "--workers", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines() == [
        "backfilled 12 records: 0 new, 0 duplicates, 11 skipped, 1 failed"
    ]


def test_migrate_db_copies_the_tombstones(tmp_path: Path, db_url: str) -> None:
    """A desk copied to another database (SQLite → SQLite, SQLite → PostgreSQL) keeps its tombstones: the
    copy still answers for the article and still keeps it out of a backfill."""
    source_url = f"sqlite:///{tmp_path}/source.db"
    warc = write_warc(tmp_path / "a.warc.gz", gz=True)
    source = Database(source_url)
    source.init()
    try:
        _backfill(source, warc)
        _take_down(source, TAKEN_DOWN)
        with source.session() as s:
            want = [
                (t.url, t.canonical_url, t.content_hash, t.reason, t.article_id, t.date_path, t.slug)
                for t in tombstone_store.list_tombstones(s)
            ]
    finally:
        source.dispose()
    target_url = db_url if "postgresql" in db_url else f"sqlite:///{tmp_path}/target.db"
    report = copy_database(source_url, target_url)
    assert report.tables["tombstones"] == 1
    target = Database(target_url)
    try:
        with target.session() as s:
            got = [
                (t.url, t.canonical_url, t.content_hash, t.reason, t.article_id, t.date_path, t.slug)
                for t in tombstone_store.list_tombstones(s)
            ]
            assert got == want
            assert tombstone_store.tombstone_at(s, want[0][5] or "", want[0][6] or "") is not None
        assert _outcome(_backfill(target, warc)) == (12, 0, 0, 11, 1)
    finally:
        target.dispose()


def _new_article(url: str, text: str) -> models.Article:
    return models.Article(
        url=url,
        canonical_url=url,
        title="Caracas releases prisoners",
        text=text,
        html=f"<p>{text}</p>",
        published_at=datetime(2026, 2, 20, 9, 30, tzinfo=UTC),
        content_hash=f"h-{text}",
    )


def test_an_unpublished_permalink_is_never_handed_to_another_article(db_url: str) -> None:
    """The same title on the same day after a takedown gets a slug of its own, on the one-by-one and the
    batch writers, so the old permalink keeps answering 410 Gone; a republished article gets its slug back."""
    db = Database(db_url)
    db.init()
    try:
        with db.session() as s:
            row, _ = article_store.save_article(
                s, _new_article("https://a.example/1", "one"), source_id=None, feed_id=None
            )
            gone_path = row.path
            tombstone_store.unpublish(s, row, "legal")
        with db.session() as s:
            second, _ = article_store.save_article(
                s, _new_article("https://b.example/2", "two"), source_id=None, feed_id=None
            )
            assert second.path != gone_path
            third = bulk_store.store_batch(s, [(_new_article("https://c.example/3", "three"), None)])
            assert third.new_ids
            paths = {a.path for a in s.scalars(select(Article))}
            assert gone_path not in paths and len(paths) == 2
            stone = tombstone_store.tombstone_by_url(s, ["https://a.example/1"])
            assert stone is not None and stone.path == gone_path
            tombstone_store.lift(s, stone)
        with db.session() as s:
            back, _ = article_store.save_article(
                s, _new_article("https://a.example/1", "one"), source_id=None, feed_id=None
            )
            assert back.path == gone_path
    finally:
        db.dispose()


def test_migration_0010_goes_down_and_up_again(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from gazette.store.db import alembic_config

    db = Database(db_url)
    try:
        db.init()
        assert inspect(db.engine).has_table("tombstones")
        command.downgrade(alembic_config(db.engine), "0009")
        assert not inspect(db.engine).has_table("tombstones")
        db.init()
        assert inspect(db.engine).has_table("tombstones")
    finally:
        db.dispose()


def test_is_barred_answers_as_barred_urls_and_barred_pairs_do(db_url: str) -> None:
    """The one-query check before a row is written: by canonical or original URL, or by text from the same
    publisher (a source-less tombstone bars only source-less text)."""
    db = Database(db_url)
    db.init()
    now = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        with db.session() as s:
            s.add_all(
                [
                    tombstone_store.Tombstone(
                        url="http://127.0.0.1/a?utm=x",
                        canonical_url="http://127.0.0.1/a",
                        content_hash="h-sourced",
                        reason="r",
                        unpublished_at=now,
                        source_id=7,
                    ),
                    tombstone_store.Tombstone(
                        url="http://127.0.0.1/b",
                        canonical_url="http://127.0.0.1/b",
                        content_hash="h-sourceless",
                        reason="r",
                        unpublished_at=now,
                    ),
                ]
            )
        cases = [
            (["http://127.0.0.1/a"], None, None, True),  # the canonical URL
            (["http://127.0.0.1/new", "http://127.0.0.1/a?utm=x"], None, None, True),  # the original URL
            (["http://127.0.0.1/new"], "h-sourced", 7, True),  # the text, same publisher
            (["http://127.0.0.1/new"], "h-sourced", 8, False),  # the text, another publisher
            (["http://127.0.0.1/new"], "h-sourced", None, False),
            (["http://127.0.0.1/new"], "h-sourceless", None, True),
            (["http://127.0.0.1/new"], "h-sourceless", 7, False),
            (["http://127.0.0.1/new", ""], "", 7, False),
            ([], None, None, False),
        ]
        with db.session() as s:
            for urls, content_hash, source_id, barred in cases:
                parts = bool(tombstone_store.barred_urls(s, urls)) or bool(
                    content_hash and tombstone_store.barred_pairs(s, [(source_id, content_hash)])
                )
                answer = tombstone_store.is_barred(
                    s, urls=urls, content_hash=content_hash, source_id=source_id
                )
                assert answer == parts == barred, (urls, content_hash, source_id)
    finally:
        db.dispose()
