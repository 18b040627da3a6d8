"""Search that finds what readers type: folding, stemming, query syntax, ranking, snippets, the index's
transaction — each behaviour on SQLite and again on PostgreSQL, in English and Spanish."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import Stemmer
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, inspect, select, text

from gazette import models
from gazette.store import articles as article_store
from gazette.store import listings, textindex
from gazette.store import search as search_module
from gazette.store.db import Database, alembic_config
from gazette.store.schema import Article
from gazette.store.search import RELAX_BELOW, SearchHit, unindexed_articles
from tests.conftest import PG_ADMIN_URL, PG_AVAILABLE
from tests.publish.publish_corpus import fill
from tests.store import search_corpus
from tests.store.search_corpus import NOW

BLACKOUT = {"Venezuela blackout leaves Bolívar in the dark", "Guayana mines halt after outage"}
APAGON = "Apagón deja sin luz a Bolívar y Aragua"
EXCARCELADOS = "Excarcelados cuatro presos en Mérida"
PRISONERS = "Released prisoners face travel bans"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The search corpus on SQLite and again on a fresh PostgreSQL schema, built once per module."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path_factory.mktemp('search')}/gazette.db")
        db.init()
        fill(db, search_corpus.build())
        yield db
        db.dispose()
        return
    if not PG_AVAILABLE:
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    schema = f"gz_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}")
    try:
        db.init()
        fill(db, search_corpus.build())
        yield db
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def search(db: Database, query: str, limit: int = 50) -> tuple[list[SearchHit], int]:
    with db.session() as s:
        return listings.search_articles(s, query, limit=limit, now=NOW)


def full(db: Database, query: str) -> set[str]:
    """Titles of the articles holding every word of the query (not the partial ones that may follow)."""
    hits, _ = search(db, query)
    return {h.article.title for h in hits if not h.partial}


def ordered(db: Database, query: str) -> list[str]:
    return [h.article.title for h in search(db, query)[0]]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["running", "runs", "apagones", "blackouts", "niño", "x" * 70]), max_size=30))
def test_stems_from_the_cache_are_the_stemmers(words: list[str]) -> None:
    """``analyse_article``'s stems come from a cache of the words stemmed before: the stemmer's, every time."""
    folded = textindex.words(" ".join(words))
    for language in ("en", "es-419", "de", None):
        name = textindex.STEMMED_LANGUAGES.get(textindex.base_language(language) or "")
        expected = Stemmer.Stemmer(name).stemWords(folded) if name else folded
        assert textindex._stem_all(folded, language) == expected
        assert textindex._stem_all(folded, language) == expected


def test_accents_fold_both_ways(corpus: Database) -> None:
    bolivar = BLACKOUT | {APAGON}  # two write "Bolívar", one "Ciudad Bolivar"
    assert full(corpus, "Bolivar") == bolivar
    assert full(corpus, "Bolívar") == bolivar
    assert full(corpus, "Merida") == {EXCARCELADOS}  # Spanish, written "Mérida"
    assert full(corpus, "apagon") == {APAGON}


def test_case_does_not_matter(corpus: Database) -> None:
    assert full(corpus, "BLACKOUT") == BLACKOUT
    assert full(corpus, "MÉRIDA") == full(corpus, "mérida") == {EXCARCELADOS}


def test_english_words_match_other_inflections(corpus: Database) -> None:
    assert full(corpus, "blackouts") == BLACKOUT  # one article says "blackout", the other "blackouts"
    assert full(corpus, "blackout") == BLACKOUT
    assert full(corpus, "prisoner") == {PRISONERS}


def test_spanish_words_match_other_inflections(corpus: Database) -> None:
    assert full(corpus, "excarcelado") == {EXCARCELADOS}
    assert full(corpus, "apagones") == {APAGON}  # the article says "Apagón" and "apagón"
    assert full(corpus, "preso") == {EXCARCELADOS}


def test_quoted_phrase_needs_the_words_in_order(corpus: Database) -> None:
    assert full(corpus, "power cut") == {
        "Venezuela blackout leaves Bolívar in the dark",
        "Cut flower growers look abroad",
    }
    assert full(corpus, '"power cut"') == {"Venezuela blackout leaves Bolívar in the dark"}
    assert full(corpus, '"cortes se repiten"') == {APAGON}
    assert full(corpus, '"cut power"') == set()


def test_or_between_words(corpus: Database) -> None:
    assert full(corpus, "excarcelado OR apagones") == {EXCARCELADOS, APAGON}
    assert full(corpus, "prisoners OR presos court") == {PRISONERS}  # (prisoners OR presos) AND court


def test_minus_excludes_a_word(corpus: Database) -> None:
    assert full(corpus, "blackouts -mines") == {"Venezuela blackout leaves Bolívar in the dark"}
    assert full(corpus, 'bolivar -"power cut" -apagón') == {"Guayana mines halt after outage"}


def test_star_matches_a_prefix(corpus: Database) -> None:
    assert full(corpus, "blacko*") == BLACKOUT
    assert full(corpus, "excarcel*") == {EXCARCELADOS}
    assert full(corpus, "Bolí*") == BLACKOUT | {APAGON}
    assert full(corpus, "prisoners*") == {PRISONERS}  # longer than the stem "prison"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"power cut', {"Venezuela blackout leaves Bolívar in the dark", "Cut flower growers look abroad"}),
        ("-apagones", {APAGON}),  # nothing but exclusions: the words are searched for
        ("OR excarcelados", set()),  # a leading OR is the word "or"
        ("excarcelados OR", set()),  # so is a trailing one
        ("en* excarcelados", {EXCARCELADOS}),  # a two-letter prefix is the word "en", in the Spanish text
        ("NEAR(apagon)", set()),  # the words "near" and "apagon": no article has both
        ("(apagon)", {APAGON}),
        ("title:apagón", set()),
        ("apagón^ :* <-> & | !", {APAGON}),
    ],
)
def test_malformed_syntax_is_read_as_plain_words(corpus: Database, query: str, expected: set[str]) -> None:
    assert full(corpus, query) == expected


HOSTILE = [
    '"',
    '""',
    '"*"',
    "*",
    "-",
    "-*",
    "OR",
    "OR OR OR",
    "AND OR NOT",
    "'; DROP TABLE articles; --",
    "(((",
    "\\",
    "%_",
    "\x00",
    "x:*",
    "'",
    "''",
    "🙂",
    "a" * 500,
    " ".join(["word"] * 100),
]


def test_no_query_is_an_error(corpus: Database) -> None:
    for query in HOSTILE:
        hits, total = search(corpus, query)
        assert len(hits) == min(total, 50), query
    with corpus.session() as s:
        assert s.scalar(select(func.count(Article.id))) == len(search_corpus.ARTICLES)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"ab \"-*OR():^á\\'_", " OR ", "NOT", "NEAR"]), max_size=30).map("".join))
def test_every_query_parses_to_valid_syntax_or_nothing(raw: str) -> None:
    query = textindex.parse_query(raw)
    if query:
        assert textindex.fts_match(query) and textindex.tsquery(query)
        assert all(term and term.isalnum() for term in textindex.sample_terms(query))


def test_title_ranks_above_text(corpus: Database) -> None:
    # "Smelters reopen in Guayana" is ten days older than the article that names smelters in its text.
    assert ordered(corpus, "smelters") == ["Smelters reopen in Guayana", "Guayana mines halt after outage"]


def test_recent_articles_win_ties_and_only_ties(corpus: Database) -> None:
    # Same words, 30 days apart: the newer first.
    ranked = ordered(corpus, "island crossings")
    assert ranked == ["New timetable for the dry season", "Ferry timetable for the dry season"]
    # An old article about the ferry beats a new one that names it in passing: recency is mild.
    ferry = ordered(corpus, "ferry")
    assert ferry.index("Tobago ferry strike ends") < ferry.index("Market prices steady in Scarborough")
    hits, _ = search(corpus, "ferry")
    assert [h.rank for h in hits] == sorted((h.rank for h in hits), reverse=True)


def test_snippets_mark_the_matched_words(corpus: Database) -> None:
    (hit,), _ = search(corpus, "apagones")
    assert "<mark>apagón</mark>" in hit.snippet_html
    hits, _ = search(corpus, "blackouts")
    snippets = " ".join(h.snippet_html for h in hits)
    assert "<mark>blackout</mark>" in snippets and "<mark>blackouts</mark>" in snippets
    (hit,), _ = search(corpus, "excarcel*")
    assert "<mark>excarcelados</mark>" in hit.snippet_html
    (hit,), _ = search(corpus, '"power cut"')
    assert "<mark>power</mark> <mark>cut</mark>" in hit.snippet_html
    (hit,), _ = search(corpus, "cranes")
    assert "&lt;script&gt;" in hit.snippet_html and "<script" not in hit.snippet_html
    assert "<mark>cranes</mark>" in hit.snippet_html


def test_articles_with_some_words_follow_those_with_all(corpus: Database) -> None:
    hits, total = search(corpus, "bolivar blackout")
    assert total == len(hits) == 3 < RELAX_BELOW
    assert [h.partial for h in hits] == [False, False, True]
    assert {h.article.title for h in hits[:2]} == BLACKOUT and hits[2].article.title == APAGON
    hits, total = search(corpus, "blackout budget")  # no article has both
    assert total == 3 and all(h.partial for h in hits)
    hits, total = search(corpus, "blackout -mines")  # exclusions still hold
    assert {h.article.title for h in hits} == {"Venezuela blackout leaves Bolívar in the dark"}


def test_only_distinctive_words_bring_partial_hits(corpus: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "COMMON_MATCHES", 2)  # a word in 2 articles is "common" here
    hits, total = search(corpus, "bolivar blackout")  # both words common: the full matches alone
    assert total == 2 and {h.article.title for h in hits} == BLACKOUT and not any(h.partial for h in hits)
    hits, total = search(corpus, "smelters prisoners")  # no article has both; only "prisoners" is rare
    assert total == 1 and hits[0].article.title == PRISONERS and hits[0].partial
    # An OR group is judged as one: "prisoners" alone is rare, but (prisoners OR blackouts) is not, so the
    # full matches (blackout articles with "grid", no "prisoners") are not swapped for partial ones.
    hits, total = search(corpus, "prisoners OR blackouts grid")
    assert total == 2 and {h.article.title for h in hits if not h.partial} == BLACKOUT


def test_filters_apply_to_search(corpus: Database) -> None:
    with corpus.session() as s:
        hits, total = listings.search_articles(s, "bolivar", listings.ArticleFilter(language="es"), now=NOW)
    assert total == 1 and hits[0].article.title == APAGON


# --- the index and the transaction --------------------------------------------------------------------------


def _article(n: int, words: str, language: str = "en") -> models.Article:
    return models.Article(
        url=f"https://tx.example/{n}",
        canonical_url=f"https://tx.example/{n}",
        title=f"Article {n}",
        text=words,
        language=language,
        content_hash=f"tx-{n}",
        fetched_at=NOW - timedelta(days=n),
    )


def test_an_entry_prepared_by_the_worker_is_written_only_for_its_own_text(db: Database) -> None:
    article = _article(2, "Zeppelins landed.")
    prepared = search_module.prepare_entry(article.title, article.text, article.language)
    assert prepared.document == textindex.analyse_article(article.title, article.text, article.language)
    # terms no analysis of this text gives: the index shows which entry was written
    marked = search_module.PreparedEntry(
        article.title, article.text, article.language, textindex.Document(["airship"], ["hovered"])
    )
    with db.session() as s:
        row, _ = article_store.save_article(s, article, source_id=None, feed_id=None, index_entry=marked)
        assert search_module.article_matches(s, "hovered", None, row.id)
        assert not search_module.article_matches(s, "zeppelin", None, row.id)
        other = _article(3, "Balloons drifted.")
        stale = dataclasses.replace(marked, text="Some other text.")  # made from another text: not used
        row, _ = article_store.save_article(s, other, source_id=None, feed_id=None, index_entry=stale)
        assert search_module.article_matches(s, "balloon", None, row.id)
        assert not search_module.article_matches(s, "hovered", None, row.id)


def test_index_is_written_and_rolled_back_with_the_article(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as s:
        article_store.save_article(s, _article(1, "Zeppelins landed."), source_id=None, feed_id=None)
        assert [h.article.title for h in listings.search_articles(s, "zeppelin")[0]] == ["Article 1"]
        raise RuntimeError("the run dies before commit")
    with db.session() as s:
        assert listings.search_articles(s, "zeppelin") == ([], 0)
        assert unindexed_articles(s) == []
        article_store.save_article(
            s, _article(2, "Los dirigibles aterrizaron.", "es"), source_id=None, feed_id=None
        )
    with db.session() as s:
        assert listings.search_articles(s, "dirigible")[1] == 1
        row = s.scalars(select(Article)).one()
        row.text = "Los globos aterrizaron."
    with db.session() as s:
        assert listings.search_articles(s, "dirigible")[1] == 0
        assert listings.search_articles(s, "globo")[1] == 1
        s.delete(s.scalars(select(Article)).one())
    with db.session() as s:
        assert listings.search_articles(s, "globo")[1] == 0
        assert unindexed_articles(s) == []


WRITER = """
import sys
from gazette import models
from gazette.store import articles
from gazette.store.db import Database

db = Database(sys.argv[1])
n = 0
while True:
    with db.session() as s:
        for _ in range(5):
            n += 1
            text = f"Harbour report number w{n:05d}. " * 200
            article = models.Article(url=f"https://kill.example/{n}", canonical_url=f"https://kill.example/{n}",
                                     title=f"Report {n}", text=text, language="en", content_hash=f"k{n}")
            articles.save_article(s, article, source_id=None, feed_id=None)
    print(n, flush=True)
"""


def test_after_a_kill_the_index_and_articles_agree(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    db.init()
    try:
        for round_ in range(3):
            proc = subprocess.Popen(
                [sys.executable, "-c", WRITER, db_url],
                stdout=subprocess.PIPE,
            )
            assert proc.stdout is not None
            for _ in range(2 + round_):
                assert proc.stdout.readline(), "the writer died on its own"
            time.sleep(0.05 * round_)  # land the kill somewhere inside a later transaction
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            with db.session() as s:
                assert unindexed_articles(s) == []
                rows = s.execute(select(Article.title, Article.canonical_url)).all()
                for title, url in rows:
                    tag = "w" + url.rsplit("/", 1)[1].zfill(5)
                    found = {h.article.title for h in listings.search_articles(s, tag)[0]}
                    assert found == {title}
            with db.session() as s:  # the next round starts where this one stopped
                s.execute(text("DELETE FROM articles"))
    finally:
        db.dispose()


def test_migration_indexes_existing_articles_and_goes_back(db_url: str) -> None:
    db = Database(db_url)
    cfg = alembic_config(db.engine)
    sqlite = db.engine.dialect.name == "sqlite"
    try:
        command.upgrade(cfg, "0004")
        with db.engine.begin() as conn:  # stored under the old, unstemmed index
            conn.execute(
                text(
                    "INSERT INTO articles (canonical_url, original_url, title, fetched_at, text, html, "
                    "content_hash, slug, date_path, language) VALUES ('https://x.example/1', "
                    "'https://x.example/1', 'Apagones en Mérida', '2026-02-01 00:00:00', 'Los apagones "
                    "siguen.', '', 'h', 'apagones', '2026/02/01', 'es')"
                )
            )
        command.upgrade(cfg, "head")
        with db.session() as s:
            assert [h.article.title for h in listings.search_articles(s, "apagon merida")[0]] == [
                "Apagones en Mérida"
            ]
            assert unindexed_articles(s) == []
        command.downgrade(cfg, "0004")
        with db.engine.connect() as conn:  # 0002's index is back, with the article in it
            if sqlite:
                assert "articles_search" not in inspect(conn).get_table_names()
                found = conn.execute(
                    text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'apagones'")
                )
            else:
                found = conn.execute(
                    text(
                        "SELECT id FROM articles WHERE search_vector @@ plainto_tsquery('simple', 'apagones')"
                    )
                )
            assert len(found.all()) == 1
        command.upgrade(cfg, "head")
        with db.session() as s:
            assert listings.search_articles(s, "Merida")[1] == 1
        if not sqlite:
            with db.engine.begin() as conn:
                # with no sequential or plain index scan allowed, only a bitmap scan of the GIN index can answer
                conn.execute(text("SET LOCAL enable_seqscan = off"))
                conn.execute(text("SET LOCAL enable_indexscan = off"))
                plan = " ".join(
                    row[0]
                    for row in conn.execute(
                        text(
                            "EXPLAIN SELECT id FROM articles WHERE search_vector @@ CAST('apagon' AS tsquery)"
                        )
                    )
                )
            assert "ix_articles_search" in plan
    finally:
        db.dispose()
