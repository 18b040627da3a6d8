"""Faults in the store and the network: a locked SQLite file, a PostgreSQL connection killed mid-ingest, a full
disk, and a publisher that hangs. Each ends with a clear error or a completed run, and a re-run that completes
with every article exactly once."""

from __future__ import annotations

import os
import resource
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from gazette.demo.publisher import DemoPublisher
from gazette.errors import StorageError
from gazette.pipeline import Pipeline
from gazette.store import subscriptions as feed_store
from gazette.store.db import Database
from gazette.store.schema import Article, Feed
from tests.conftest import PG_ADMIN_URL, make_settings

GAZETTE = [sys.executable, "-c", "from gazette.cli import app; app()"]


@pytest.fixture(scope="module")
def publisher() -> Iterator[DemoPublisher]:
    with DemoPublisher() as pub:
        yield pub


def _subscribe(db: Database, publisher: DemoPublisher) -> list[str]:
    with db.session() as s:
        for f in publisher.feeds():
            feed_store.add_feed(s, f.url, section=f.section, source=f.source)
    return [f.url for f in publisher.feeds()]


def _articles(db: Database) -> list[str]:
    with db.session() as s:
        return sorted(s.scalars(select(Article.canonical_url)))


def _expected(publisher: DemoPublisher) -> int:
    return len({a.url for a in publisher.articles()})


def test_sqlite_locked_by_another_writer_waits_then_completes(
    tmp_path: Path, publisher: DemoPublisher
) -> None:
    path = tmp_path / "locked.db"
    db = Database(f"sqlite:///{path}")
    db.init()
    urls = _subscribe(db, publisher)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock
    released = threading.Event()

    def release_later() -> None:
        time.sleep(2.0)
        holder.execute("COMMIT")
        released.set()

    threading.Thread(target=release_later, daemon=True).start()
    with Pipeline(make_settings(db.url), db) as pipeline:
        report = pipeline.ingest(urls, force=True)
    assert released.is_set()
    assert report.new == _expected(publisher) and not [f for f in report.failures if "lock" in f.reason]
    assert len(set(_articles(db))) == len(_articles(db)) == _expected(publisher)
    holder.close()
    db.dispose()


def test_sqlite_lock_held_too_long_fails_cleanly_and_rerun_completes(
    tmp_path: Path, publisher: DemoPublisher
) -> None:
    path = tmp_path / "stuck.db"
    db = Database(f"sqlite:///{path}")
    db.init()
    _subscribe(db, publisher)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZETTE_")}
    env.update(
        GAZETTE_DATABASE_URL=db.url, GAZETTE_FETCH_ALLOW_HOSTS="127.0.0.1", GAZETTE_FETCH_DELAY_SECONDS="0"
    )
    try:
        run = subprocess.run(
            [*GAZETTE, "ingest"], env=env, capture_output=True, text=True, timeout=300, check=False
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert run.returncode != 0
    assert "locked" in run.stderr + run.stdout and "Traceback" not in run.stderr
    rerun = subprocess.run(
        [*GAZETTE, "ingest", "--force"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert rerun.returncode == 0, rerun.stderr
    assert len(set(_articles(db))) == len(_articles(db)) == _expected(publisher)
    db.dispose()


@pytest.mark.postgres
def test_postgres_connection_terminated_mid_ingest(pg_url: str, publisher: DemoPublisher) -> None:
    url = f"{pg_url}&application_name=gazette_fault_test"
    db = Database(url)
    db.init()
    urls = _subscribe(db, publisher)
    settings = make_settings(url)
    admin = create_engine(PG_ADMIN_URL)
    stored_at_kill: list[int] = []

    def on_event(event: str, data: dict[str, object]) -> None:
        if event == "article" and not stored_at_kill and len(_articles(db)) >= 5:
            with admin.begin() as conn:
                stored_at_kill.append(len(_articles(db)))
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE pid <> pg_backend_pid() AND datname = current_database() "
                        "AND application_name = 'gazette_fault_test'"
                    )
                )

    try:
        with Pipeline(settings, db, progress=on_event) as pipeline:
            pipeline.ingest(urls, force=True)
    except StorageError:
        pass  # failing cleanly is allowed; the re-run below must complete
    assert stored_at_kill, "the connection was never terminated"
    with Pipeline(settings, db) as pipeline:
        pipeline.ingest(urls, force=True)
    stored = _articles(db)
    assert len(set(stored)) == len(stored) == _expected(publisher)
    with db.session() as s:
        assert s.scalar(select(func.count(Feed.id)).where(Feed.lease_until.is_not(None))) == 0
    db.dispose()
    admin.dispose()


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_disk_full_gives_a_clear_error_and_keeps_the_database_intact(
    tmp_path: Path, publisher: DemoPublisher
) -> None:
    path = tmp_path / "full.db"
    db = Database(f"sqlite:///{path}")
    db.init()
    _subscribe(db, publisher)
    db.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    limit = path.stat().st_size + 48 * 1024  # room for a few articles, not for the corpus
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZETTE_")}
    env.update(
        GAZETTE_DATABASE_URL=f"sqlite:///{path}",
        GAZETTE_FETCH_ALLOW_HOSTS="127.0.0.1",
        GAZETTE_FETCH_DELAY_SECONDS="0",
    )
    run = subprocess.run(
        [*GAZETTE, "ingest"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=lambda: _limit_file_size(limit),
    )
    assert run.returncode != 0, "the file size limit did not bite; the test proves nothing"
    message = run.stderr + run.stdout
    assert "error" in message.lower() and "Traceback" not in message
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    rerun = subprocess.run(
        [*GAZETTE, "ingest", "--force"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert rerun.returncode == 0, rerun.stderr
    db = Database(f"sqlite:///{path}")
    stored = _articles(db)
    assert len(set(stored)) == len(stored) == _expected(publisher) >= kept
    db.dispose()


class _HangingServer:
    """Accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


def test_hanging_publisher_does_not_hold_up_the_others(sqlite_url: str, publisher: DemoPublisher) -> None:
    hang = _HangingServer()
    try:
        db = Database(sqlite_url)
        db.init()
        urls = _subscribe(db, publisher)
        hanging = f"http://127.0.0.1:{hang.port}/feed.xml"
        with db.session() as s:
            feed_store.add_feed(s, hanging, source="Hanging Herald")
        settings = make_settings(
            sqlite_url, fetch={"timeout_seconds": 2.0, "connect_timeout": 2.0, "total_timeout": 4.0}
        )
        with Pipeline(settings, db) as pipeline:
            report = pipeline.ingest([*urls, hanging], force=True)
        assert report.new == _expected(publisher)
        assert [f.url for f in report.failures] == [hanging]
        with db.session() as s:
            feed = s.scalar(select(Feed).where(Feed.url == hanging))
            assert feed is not None and feed.error_count == 1 and feed.last_error
        db.dispose()
    finally:
        hang.close()
