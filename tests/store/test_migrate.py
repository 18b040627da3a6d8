"""`gazette migrate-db`: a desk copied SQLite → PostgreSQL → SQLite keeps every row, and serves the same site."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from gazette.errors import CopyRefused
from gazette.store import articles as article_store
from gazette.store.db import Database
from gazette.store.migrate import article_digests, copy_database, masked
from gazette.store.schema import Article
from gazette.store.story_schema import Story
from tests.publish.publish_corpus import LiveServer, assign_stories, build_articles, corpus_settings, fill

GAZETTE = [sys.executable, "-c", "from gazette.cli import app; app()"]
SEARCH = "/search?q=desalination"
PAGES = [
    "/",
    "/politics-government/",
    "/politics-government/page/2/",
    "/stories/",
    "/source/valley-courier/",
    "/archive/2026/02/",
    SEARCH,
    "/api/articles?limit=50",
    "/api/stories",
    "/sitemap.xml",
    "/feed.json",
]


@pytest.fixture
def desk(tmp_path: Path) -> Database:
    """The publish tests' corpus in SQLite, with its stories."""
    db = Database(f"sqlite:///{tmp_path}/desk.db")
    db.init()
    fill(db)
    assign_stories(db)
    return db


def _hits(html: str) -> list[str]:
    return re.findall(r'href="(/content/[^"]+)"', html)


def _pages(url: str) -> dict[str, tuple[int, str]]:
    settings = corpus_settings(url)
    db = Database(url)
    try:
        with LiveServer(settings, db) as server, httpx.Client(base_url=server.base_url) as client:
            found = {}
            for path in PAGES:
                response = client.get(path)
                found[path] = (response.status_code, response.text)
            with db.session() as s:
                some = list(s.scalars(select(Article).order_by(Article.id).limit(5)))
                story = s.scalars(select(Story).order_by(Story.id)).first()
            for path in [a.path for a in some] + ([story.path] if story else []):
                response = client.get(path)
                found[path] = (response.status_code, response.text)
            return found
    finally:
        db.dispose()


@pytest.mark.postgres
def test_sqlite_to_postgresql_and_back_keeps_every_row_and_the_site(
    desk: Database, pg_url: str, tmp_path: Path
) -> None:
    to_pg = copy_database(desk.url, pg_url)
    assert (
        to_pg.tables["articles"] == len(build_articles())
        and to_pg.articles_checked == to_pg.tables["articles"]
    )
    assert to_pg.tables["stories"] > 0 and to_pg.tables["article_stories"] == to_pg.tables["articles"]
    back_url = f"sqlite:///{tmp_path}/back.db"
    back = copy_database(pg_url, back_url)
    assert back.tables == to_pg.tables
    digests = list(article_digests(desk.engine))
    for url in (pg_url, back_url):
        db = Database(url)
        try:
            assert list(article_digests(db.engine)) == digests
        finally:
            db.dispose()

    original = _pages(desk.url)
    assert all(status == 200 for status, _ in original.values()), {p: s for p, (s, _) in original.items()}
    on_pg = _pages(pg_url)
    # search snippets are each backend's own (FTS5's snippet(), PostgreSQL's ts_headline): the hits must agree
    assert _hits(on_pg.pop(SEARCH)[1]) == _hits(original[SEARCH][1]) and _hits(original[SEARCH][1])
    assert on_pg == {path: page for path, page in original.items() if path != SEARCH}
    assert _pages(back_url) == original

    # the copy goes on as a desk of its own: new ids follow the copied ones
    db = Database(pg_url)
    try:
        with db.session() as s:
            _, article = build_articles()[0]
            article.canonical_url = article.url = "https://harbour-ledger.example/after-the-copy"
            article.title = "Written after the copy"
            article.text += " A paragraph written after the copy."
            article.content_hash = "after-the-copy"
            row, _ = article_store.save_article(s, article, source_id=None, feed_id=None)
            assert row.id == to_pg.tables["articles"] + 1
            assert s.scalar(select(func.count(Article.id))) == to_pg.tables["articles"] + 1
    finally:
        db.dispose()


@pytest.mark.postgres
def test_a_target_that_holds_articles_is_refused(desk: Database, pg_url: str) -> None:
    copy_database(desk.url, pg_url)
    with pytest.raises(CopyRefused, match="already holds articles"):
        copy_database(desk.url, pg_url)


def test_an_empty_source_or_the_source_itself_is_refused(tmp_path: Path, desk: Database) -> None:
    with pytest.raises(CopyRefused, match="holds no Gazette desk"):
        copy_database(f"sqlite:///{tmp_path}/empty.db", f"sqlite:///{tmp_path}/other.db")
    with pytest.raises(CopyRefused, match="is the source"):
        copy_database(desk.url, desk.url)


def test_passwords_are_masked() -> None:
    assert masked("postgresql+psycopg://gazette:s3cret@db.example:5432/news") == (
        "postgresql+psycopg://gazette:***@db.example:5432/news"
    )


def test_command_copies_and_never_prints_the_password(desk: Database, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZETTE_")}
    env["GAZETTE_DATABASE_URL"] = desk.url
    target = f"sqlite:///{tmp_path}/copy.db"
    done = subprocess.run(
        [*GAZETTE, "migrate-db", "--to", target], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    n = len(build_articles())
    assert done.stdout.strip().splitlines()[-1].endswith(f"{n} articles checked")
    assert f"articles: {n} rows" in done.stdout
    again = subprocess.run(
        [*GAZETTE, "migrate-db", "--to", target], env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 1 and "already holds articles" in again.stderr
    secret = subprocess.run(
        [*GAZETTE, "migrate-db", "--to", "postgresql+psycopg://gz:hunter2@127.0.0.1:1/none"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert secret.returncode == 1
    assert "hunter2" not in secret.stdout + secret.stderr and "gz:***@" in secret.stderr
