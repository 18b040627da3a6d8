"""Shared fixtures: real SQLite files and a real PostgreSQL schema per test.

Under ``CI=true`` (CI sets it) a test that needs PostgreSQL or Chromium fails instead of skipping when the
service is missing, so a CI run cannot go green without them: ``require_service`` in the fixtures, and a hook
that turns any skip of a test marked ``postgres`` or ``browser`` into a failure.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest
from sqlalchemy import create_engine, text

from gazette.config import Settings, load_settings
from gazette.store.db import Database
from tests import run_summaries

PG_ADMIN_URL = os.environ.get("GAZETTE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


PG_AVAILABLE = _pg_available()
IN_CI = os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}
SERVICE_MARKS = ("postgres", "browser")


def require_service(reason: str) -> NoReturn:
    """Skip a test whose service (PostgreSQL, Chromium) is missing; under ``CI=true`` fail it instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a test that needs it fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


# The files that take longest (minutes between them: repeated kills, Dask clusters, live servers), run first so
# that with `make test`'s worker processes (pytest-xdist, a whole file to a worker) no worker is left alone with
# one of them at the end. Only the order changes; a file missing from this list runs where it always did.
HEAVY_FIRST = (
    "tests/faults/test_kill.py",
    "tests/test_backfill.py",
    "tests/commands/test_watch_webhooks.py",
    "tests/faults/test_storage_faults.py",
    "tests/enrich/test_gazetteer.py",
    "tests/commands/test_run.py",
    "tests/commands/test_takedowns.py",
    "tests/commands/test_corrections.py",
    "tests/commands/test_watch.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: n for n, path in enumerate(HEAVY_FIRST)}
    root = config.rootpath

    def heavy(item: pytest.Item) -> int:
        try:
            return rank.get(item.path.relative_to(root).as_posix(), len(rank))
        except ValueError:
            return len(rank)

    items.sort(key=heavy)  # stable: every file keeps its tests' order, the rest keep theirs


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if not (IN_CI and report.skipped) or hasattr(report, "wasxfail"):
        return
    needs = [m for m in SERVICE_MARKS if item.get_closest_marker(m) is not None]
    if needs:
        why = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, but it needs {' and '.join(needs)}: {why}"


def make_settings(database_url: str, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "database_url": database_url,
        "fetch": {
            "allow_hosts": ["127.0.0.1"],
            "delay_seconds": 0.0,
            "timeout_seconds": 5.0,
            "total_timeout": 10.0,
        },
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}  # type: ignore[dict-item]
        else:
            base[key] = value
    return load_settings(env={}, overrides=base)


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/gazette.db"  # type: ignore[str-bytes-safe]


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    """The URL of a fresh PostgreSQL schema on the real server, dropped on exit (fails under CI=true when the
    server is missing, skips otherwise)."""
    if not PG_AVAILABLE:
        require_service(f"PostgreSQL at {PG_ADMIN_URL} is not reachable")
    schema = f"gz_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema on the real server, dropped afterwards."""
    with pg_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.init()
    try:
        yield database
    finally:
        database.dispose()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    run_summaries.record(report)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    run_summaries.write(terminalreporter)
