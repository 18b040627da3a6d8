"""Two writers' batches that want the same rows: a backfill batch that PostgreSQL picks as a deadlock's victim
is written again, whole, instead of failing its Dask task (a real deadlock, on the real server)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gazette import models
from gazette.pipeline import _write_batch
from gazette.store import articles as article_store
from gazette.store import bulk as bulk_store
from gazette.store.db import Database
from gazette.store.schema import Article

DAY = datetime(2026, 3, 4, 8, tzinfo=UTC)


def _article(n: int, title: str) -> models.Article:
    url = f"https://wire{n}.example/{n}"
    body = f"{title}. The harbour board met on Tuesday to discuss it. " * 5
    return models.Article(
        url=url,
        canonical_url=url,
        title=title,
        text=body,
        html=f"<p>{body}</p>",
        published_at=DAY,
        fetched_at=DAY,
        content_hash=f"hash-{n}",
        source=f"wire{n}.example",
    )


def _waiting_on_a_lock(db: Database) -> bool:
    with db.engine.connect() as conn:
        waiting = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        ).scalar()
    return bool(waiting)


def _write_in_a_thread(
    db: Database, batch: list[models.Article]
) -> tuple[threading.Thread, dict[str, object]]:
    """``_write_batch`` started in a thread; its result or its exception lands in the dict."""
    outcome: dict[str, object] = {}

    def write() -> None:
        try:
            outcome["result"] = _write_batch(db, batch)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome["error"] = exc

    writer = threading.Thread(target=write)
    writer.start()
    return writer, outcome


@pytest.mark.postgres
def test_a_batch_chosen_as_a_deadlock_victim_is_written_again(pg_url: str) -> None:
    db = Database(pg_url)
    db.init()
    try:
        batch = [_article(1, "Alpha harbour vote"), _article(2, "Zulu harbour vote")]
        with db.session() as s:  # the batch's sources exist already, so its first write is its articles
            bulk_store.ensure_sources(s, [a.source or "" for a in batch])
        holder = Session(db.engine)
        # another writer holds the second of the batch's (day, slug) keys, uncommitted
        article_store.save_article(holder, _article(3, "Zulu harbour vote"), source_id=None, feed_id=None)
        holder.flush()
        writer, outcome = _write_in_a_thread(db, batch)
        deadline = time.monotonic() + 30
        while not _waiting_on_a_lock(db):  # the batch has its first key and waits for the holder's
            assert time.monotonic() < deadline, "the batch never waited on the holder"
            time.sleep(0.05)
        try:
            # ... and the holder now wants the batch's first key: each waits for the other
            article_store.save_article(
                holder, _article(4, "Alpha harbour vote"), source_id=None, feed_id=None
            )
            holder.flush()
        except OperationalError:
            pass  # the server may pick the holder as the victim instead; the batch goes on either way
        holder.rollback()
        holder.close()
        writer.join(timeout=60)
        assert not writer.is_alive()
        assert "error" not in outcome, outcome.get("error")
        with db.session() as s:
            stored = set(s.scalars(select(Article.canonical_url)))
        assert stored == {a.canonical_url for a in batch}
    finally:
        db.dispose()


@pytest.mark.postgres
def test_two_batches_of_one_days_repeated_titles_take_turns_instead_of_colliding(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Two backfill workers' batches carrying the same wire titles on the same day: the second waits for the
    first's day lock, then numbers its copies after the first's, with no constraint hit and no one-by-one
    rewrite (without the lock both read ``…-2`` free and the second batch failed on it)."""
    db = Database(pg_url)
    db.init()
    try:
        titles = ["Harbour strike ends", "Port reopens"]
        first = [_article(10 + n, titles[n % 2]) for n in range(4)]
        second = [_article(20 + n, titles[n % 2]) for n in range(4)]
        with db.session() as s:
            bulk_store.ensure_sources(s, [a.source or "" for a in first + second])
        holder = Session(db.engine)
        bulk_store.store_batch(holder, [(a, None) for a in first])  # holds the day's lock, uncommitted
        caplog.set_level("INFO", logger="gazette.store.bulk")
        writer, outcome = _write_in_a_thread(db, second)
        deadline = time.monotonic() + 30
        while not _waiting_on_a_lock(db):
            assert time.monotonic() < deadline, "the second batch never waited for the first"
            time.sleep(0.05)
        holder.commit()
        holder.close()
        writer.join(timeout=60)
        assert not writer.is_alive()
        assert "error" not in outcome, outcome.get("error")
        assert "hit a constraint" not in caplog.text
        with db.session() as s:
            slugs = dict(s.execute(select(Article.canonical_url, Article.slug)).all())
        assert len(slugs) == 8 and len(set(slugs.values())) == 8
        # the first batch numbered its copies first; the second went on after them
        assert sorted(slugs[a.canonical_url] for a in second) == [
            "harbour-strike-ends-3",
            "harbour-strike-ends-4",
            "port-reopens-3",
            "port-reopens-4",
        ]
    finally:
        db.dispose()
